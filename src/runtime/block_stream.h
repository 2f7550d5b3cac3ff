// The block stream session: runs a packed model (.dsk) under a memory budget. Pieces the plan keeps
// resident are read once at open; the others stream through a ring of (depth + 1) slots, the
// loader reading block b + depth + 1 (direct I/O, checksums verified beside the reads) while the
// compute thread runs the nodes of block b. Every byte — executor arena, scratchpad, inline constants,
// resident pieces and the ring — comes from one CountingAllocator whose limit is the budget, so
// peak managed memory cannot exceed it.
//
//   ds::StreamOptions opt;  opt.threads = 2;  opt.requirement.memory_budget_bytes = 64 << 20;
//   DS_TRY(auto s, ds::BlockStreamSession::open("vgg16.dsk", opt));   // BudgetInfeasible names the node
//   DS_TRY(std::vector<ds::Tensor> out, s->run(inputs));            // graph input order
//   s->last_report();   // bytes read, read / compute / stall time, peak managed memory, eta
//   DS_RETURN_IF_ERROR(s->replan({.memory_budget_bytes = 128 << 20}));  // keeps resident pieces
//
// Plans come from the optimising planner (plan/planner.h) with a cost model from a device profile
// (StreamOptions::profile_path) or a quick built-in measurement: a few direct reads of the model
// file itself and FLOP-based node times; after a run, the measured node times replace the FLOP
// estimate for the next replan().
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/memory.h"
#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"
#include "plan/plan.h"

namespace deepshark {

class Storage;

struct StreamOptions {
  int threads = 1;
  bool use_dnnl = true;
  bool direct_io = true;  // O_DIRECT (falls back to buffered where the file system refuses it)
  Requirement requirement;
  std::string profile_path;     // device profile JSON (deepshark profile); "" = built-in
  bool greedy_planner = false;  // the block stream's greedy planner (for comparisons)
  // Part of a streaming budget the planner leaves unplanned (PlanInput::reserve_bytes) for what a
  // run touches outside managed memory: the first streamed run of VGG-16 faults in 1.9 MiB of
  // libdnnl code pages; thread stacks add a little. With it, process RSS growth stays within the
  // budget's 5 % slack at 32 MiB (tests/models/rss_test.cc).
  uint64_t unmanaged_reserve_bytes = uint64_t{1} << 20;
  // A plan that keeps every piece resident runs the graph with pack's slices put back together
  // (transform/unslice.h): each sliced node runs whole, on the weights of its slices joined into
  // the unsliced kernel's layout at plan time — the in-memory run, without per-slice calls and
  // Concat copies. False: run the slices (deepshark profile measures them, as streamed plans run
  // them).
  bool unslice_resident = true;
  // Called after each block of a run: (blocks done, blocks total).
  std::function<void(int, int)> progress;
};

struct StreamReport {
  uint64_t bytes_read = 0;      // this run
  double read_ms = 0;           // time the loader was busy reading or verifying (io/loader.h)
  double compute_ms = 0;        // compute thread time in kernels
  double stall_ms = 0;          // compute thread waiting for reads
  double wall_ms = 0;
  double eta = 0;               // max(read, compute) / wall
  uint64_t peak_managed_bytes = 0;
  int blocks = 0;
  bool direct_io = false;
  int unsliced_nodes = 0;       // sliced nodes this run computed whole (StreamOptions::unslice_resident)
};

class BlockStreamSession {
 public:
  ~BlockStreamSession();
  static Result<std::unique_ptr<BlockStreamSession>> open(const std::string& dsk_path, const StreamOptions& options);
  // The same, reading payloads through `storage` (fault-injection tests); it must outlive the
  // session.
  static Result<std::unique_ptr<BlockStreamSession>> open_with_storage(const std::string& dsk_path,
                                                                       Storage& storage,
                                                                       const StreamOptions& options);

  // What the planner sees for this model (pieces, fixed memory, cost model) without reading any
  // weights: the file's tables are read and kernels built, nothing more.
  static Result<PlanInput> plan_input_of(const std::string& dsk_path, const StreamOptions& options);

  // Inputs in Graph::inputs order. A failed run (I/O error, checksum mismatch) leaves the session
  // ready for the next run.
  Result<std::vector<Tensor>> run(std::span<const TensorView> inputs);

  // Plans again for a new requirement and rearranges memory between runs: resident pieces that stay
  // resident are kept (not re-read), the ones no longer resident are freed, new ones are read, and
  // the ring is re-sized. The managed-memory peak restarts from the current bytes. On an error
  // (infeasible requirement) nothing changes; if reading a new resident piece fails, the previous
  // plan is restored (when that fails too, e.g. out of memory, the next run() restores it).
  Status replan(const Requirement& requirement);
  double last_replan_ms() const;  // time spent planning in the last replan() (not reading)
  // Per-node compute times of the last run (ms, execution order of graph()); empty after a run
  // that computed sliced nodes whole (their slices have no times of their own).
  const std::vector<double>& node_times_ms() const;
  // Why the last all-resident plan runs its sliced nodes as slices ("" when it runs them whole or
  // the plan streams), e.g. the budget has no room for joining their weights.
  const std::string& unslice_note() const;

  const Graph& graph() const;
  const Plan& plan() const;
  const PlanInput& plan_input() const;
  const StreamReport& last_report() const;
  uint64_t peak_managed_bytes() const;
  uint64_t current_managed_bytes() const;
  // The limit of the session's allocator: the plan's budget (0: none), so nothing it manages can
  // exceed the budget.
  uint64_t memory_limit_bytes() const;
  uint64_t weight_bytes() const;  // all pieces, aligned

 private:
  struct Impl;
  explicit BlockStreamSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace deepshark
