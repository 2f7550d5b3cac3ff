// The plan: which pieces stay resident, how the rest are grouped into blocks that stream through
// the weight ring, the prefetch depth, and what that will cost. A plan is a value: printable,
// comparable, testable. This header also has the greedy planner of the block stream (a pure
// function: no I/O, no kernels); the optimising planner produces the same Plan type.
//
//   ds::PlanInput in = ...;                       // piece sizes in execution order + fixed memory
//   ds::Requirement req{.memory_budget_bytes = 64 << 20};
//   DS_TRY(ds::Plan plan, ds::plan_greedy(in, req));   // BudgetInfeasible names the piece
//   std::cout << plan.to_string();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace deepshark {

inline constexpr uint64_t kPieceAlignment = 4096;

struct PieceSummary {
  std::string label;       // e.g. "fc6#s3" (the node it feeds)
  uint64_t bytes = 0;      // payload bytes
  int node = 0;            // index of the node that reads it (pieces are in node order)
  uint64_t flops = 0;      // compute of that node, for choosing what stays resident
};

// Time to read one piece: latency + aligned bytes * ms_per_byte (read and checksum together).
struct IoCost {
  double latency_ms = 0.1;
  double ms_per_byte = 1.0 / 1.0e6;  // 1 GB/s
  double load_ms(uint64_t bytes) const { return latency_ms + static_cast<double>(bytes) * ms_per_byte; }
};

struct PlanInput {
  std::string model;
  std::vector<PieceSummary> pieces;  // execution order
  uint64_t fixed_bytes = 0;          // arena + scratchpad + inline constants: held whatever the plan
  // The activation arena inside fixed_bytes: its size, the least any layout could have (the most
  // bytes live at one step) and the placement order chosen (runtime/arena_planner.h). Reports only.
  uint64_t arena_bytes = 0;
  uint64_t arena_lower_bound_bytes = 0;
  std::string arena_order;
  // Peak managed memory of the everything-resident plan when its sliced nodes run whole
  // (transform/unslice.h: each sliced node's weights joined into one, the unsliced graph's arena
  // and scratchpad, the read area joining needs); 0: the model has no sliced nodes, or the session
  // runs slices. All-resident plans run whole where this fits the budget, as slices (fixed_bytes +
  // every piece) where only that fits.
  uint64_t whole_nodes_peak_bytes = 0;
  // Part of a streaming budget left unplanned for what a run touches outside managed memory
  // (oneDNN code pages faulted in by the first run, thread stacks): a plan that streams keeps
  // fixed + resident + ring <= budget - min(reserve, budget / 32) (streaming_limit). Plans that
  // keep everything resident ignore it.
  uint64_t reserve_bytes = 0;
  // Cost model (plan/cost.h). node_ms: compute time per graph node in execution order (empty:
  // nothing known, predictions are zero); node_names for reports.
  std::vector<std::string> node_names;
  std::vector<double> node_ms;
  IoCost io;
  // While a read runs beside it (they share the cores: checksums and kernels), a compute takes
  // stream_compute_factor times as long as alone (plan/cost.h); measured by `deepshark profile
  // --model` (plan/device_profile.h), else 1.
  double stream_compute_factor = 1.0;
  // A read that starts on idle storage (the first of a run, every read of a load-then-compute
  // plan, a read that waited for a free ring slot) takes cold_read_factor times io's time:
  // back-to-back reads of the model's file ran 1.9-2.3x faster here than reads after a pause
  // (plan/device_profile.h measures both); else 1.
  double cold_read_factor = 1.0;
  std::string cost_source;  // "profile FILE", "built-in ..." (said in reports)
};

struct Requirement {
  uint64_t memory_budget_bytes = 0;  // 0: no budget (everything resident)
  int prefetch_depth = -1;           // -1: planner chooses; 0 = load then compute
  // plan_optimal only (at most one of these and memory_budget_bytes): the least memory whose
  // predicted latency is <= latency_ms; or the balance W in [0, 1] (docs/planner.md).
  double latency_ms = 0;
  double balance = -1;
};

// What a plan costs, from the cost model (plan/cost.h): a simulation of the pipeline as the
// block stream runs it. Per-block vectors are in block order (empty when all resident).
struct Prediction {
  double latency_ms = 0;     // simulated wall time of one run
  double t_star_ms = 0;      // max over k of (L_1..k + C_k..n): the in-order pipeline bound
  double load_ms = 0;        // L: reading the streamed blocks
  double compute_ms = 0;     // C: all nodes
  double serial_ms = 0;      // L + C (load then compute)
  double eta = 0;            // max(L, C) / latency
  std::vector<double> block_load_ms, block_compute_ms;
  std::vector<double> read_start_ms, read_end_ms, compute_start_ms, compute_end_ms;
  bool operator==(const Prediction&) const = default;
};

struct Block {
  int first_piece = 0;  // index into PlanInput::pieces (streamed pieces only, consecutive)
  int end_piece = 0;    // one past the last
  uint64_t bytes = 0;   // sum of aligned piece sizes
  std::vector<int> pieces;  // the streamed pieces of this block, in order
  bool operator==(const Block&) const = default;
};

struct Plan {
  bool all_resident = false;
  bool whole_nodes = false;      // all resident, sliced nodes run whole (PlanInput::whole_nodes_peak_bytes)
  std::vector<int> resident;     // piece indices kept in memory across runs
  std::vector<Block> blocks;     // streamed blocks, execution order
  int prefetch_depth = 0;
  int ring_slots = 0;            // prefetch_depth + 1 when streaming
  uint64_t ring_slot_bytes = 0;  // every block fits one slot
  uint64_t ring_bytes = 0;
  uint64_t resident_bytes = 0;
  uint64_t fixed_bytes = 0;
  uint64_t predicted_peak_bytes = 0;  // fixed + resident + ring (whole nodes: whole_nodes_peak_bytes)
  uint64_t bytes_read_per_run = 0;    // streamed bytes (resident pieces are read once)
  uint64_t budget_bytes = 0;
  Prediction predicted;          // filled by plan_optimal / predict_plan
  std::string planner = "greedy";

  std::string to_string() const;
  bool operator==(const Plan&) const = default;
};

// Piece size rounded up to kPieceAlignment (what it occupies in memory).
uint64_t aligned_piece_bytes(uint64_t bytes);

// Total aligned piece bytes.
uint64_t total_piece_bytes(const PlanInput& input);
// Peak of the everything-resident plan run as slices (fixed + every piece), and of the fastest
// everything-resident plan (whole nodes when the model has them: the in-memory run).
uint64_t sliced_resident_peak(const PlanInput& input);
uint64_t in_memory_peak(const PlanInput& input);
// Whether everything can stay resident under `budget` (0: none), in either form.
bool all_resident_fits(const PlanInput& input, uint64_t budget);
// The everything-resident plan under `budget` (all_resident_fits): whole nodes where their peak
// fits, else slices. Predicted with plan/cost.h; planner "greedy" until the caller says otherwise.
Plan resident_plan(const PlanInput& input, uint64_t budget);

// The smallest budget for which plan_greedy succeeds with the given prefetch depth (-1: 0).
uint64_t smallest_feasible_budget(const PlanInput& input, int prefetch_depth);

// What a streaming plan under `budget` leaves unplanned: min(reserve_bytes, budget / 32) (small
// models stream under small budgets, where the code a run touches is small too); and what it may
// hold: budget minus that.
uint64_t streaming_reserve(const PlanInput& input, uint64_t budget);
uint64_t streaming_limit(const PlanInput& input, uint64_t budget);

// Greedy plan for a memory budget: everything resident when it fits; otherwise a ring of
// (depth+1) slots, each the size of the largest streamed piece, blocks packed greedily up to the
// slot size, and the remaining budget filled with resident pieces, most bytes per FLOP first
// (those whose reads are hardest to hide behind compute). Default depth: 1, or 0 when only that
// fits.
// BudgetInfeasible when even one piece plus the fixed memory exceeds the budget.
Result<Plan> plan_greedy(const PlanInput& input, const Requirement& requirement);

// "64MiB" -> bytes; accepts B, KiB, MiB, GiB, KB, MB, GB (case-sensitive units, optional
// fraction: "1.5GiB"). InvalidArgument for anything else or overflow.
Result<uint64_t> parse_size(const std::string& text);
std::string format_size(uint64_t bytes);
// " and X kept free for ..." when a streaming plan under `budget` has a reserve (for
// BudgetInfeasible texts), else "".
std::string reserve_text(const PlanInput& input, uint64_t budget);

}  // namespace deepshark
