// The block stream session's state, shared by its two source files: block_stream.cc (opening,
// planning, the run loop) and block_stream_join.cc (running sliced nodes whole when every piece is
// resident: foreseeing that form's memory and joining the slices' weights). Not a public header.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/memory.h"
#include "format/dsk_file.h"
#include "io/loader.h"
#include "io/storage.h"
#include "plan/plan.h"
#include "runtime/block_stream.h"
#include "runtime/executor.h"
#include "transform/unslice.h"

namespace deepshark {

struct BlockStreamSession::Impl {
  // The loader's thread may still read into the ring or a resident buffer: stop it before any
  // member is destroyed (also when open fails half-way).
  ~Impl() {
    if (loader) loader->cancel_all();
  }

  std::string path;
  StreamOptions options;
  CountingAllocator allocator;
  std::unique_ptr<format::DskFile> file;
  std::unique_ptr<Storage> owned_storage;
  Storage* storage = nullptr;
  std::unique_ptr<Loader> loader;
  std::unique_ptr<Executor> executor;
  ExecutorOptions executor_options;
  Graph sliced_graph;  // the file's graph, piece-backed weights shape-only
  // The graph with its sliced nodes whole again (built on the first all-resident plan), and
  // whether the executor runs it: then the weights of each sliced node are joined into
  // joined_weights (per executor weight binding, empty for the others).
  std::optional<UnslicedGraph> unsliced;
  bool whole_nodes = false;
  std::vector<Buffer> joined_weights;
  std::string unslice_note;
  std::string whole_nodes_error;      // why whole_nodes_peak failed at open ("" if it did not)
  std::set<std::string> keep_sliced;  // groups whose weights could not be joined
  std::string failed_group;           // set by join_sliced_weights on failure
  // Per piece: (binding index, offset of its part within the piece).
  std::vector<std::vector<std::pair<size_t, uint64_t>>> piece_bindings;
  // Per piece of a sliced node, when the executor runs it whole: (binding, part index) pairs
  // that piece's parts are joined into.
  std::vector<std::vector<std::pair<size_t, size_t>>> piece_joins;
  std::vector<std::string> piece_labels;
  PlanInput plan_input;
  Plan plan;
  std::vector<Buffer> resident;  // per piece: the resident copy (empty when streamed)
  bool measured_node_ms = false;  // plan_input.node_ms came from a run, not FLOPs
  std::vector<double> last_node_ms;
  double replan_ms = 0;
  Buffer ring;
  std::vector<uint64_t> block_piece_offset;  // offset of each piece within its block's slot
  std::vector<std::vector<Ticket>> tickets;  // per block, reused across runs
  StreamReport report;
  // False while no plan is fully in place (weights may point at freed buffers): a replan failed
  // and so did restoring the previous plan. run() restores it first.
  bool plan_in_place = false;

  // enforce_budget: the allocator's limit is the budget from the start, so that a model whose
  // fixed memory cannot fit fails before that memory is allocated.
  Status prepare(const std::string& dsk_path, Storage& st, const StreamOptions& opts, bool enforce_budget);
  Status map_pieces();
  // Piece p, read and verified into dst (piece_request: the loader's request for it).
  ReadRequest piece_request(int p, std::byte* dst) const;
  Status read_piece(int p, std::byte* dst);
  Status load_resident();
  // Replaces the executor: the sliced graph, or the unsliced one (whole = true).
  Status build_executor(bool whole);
  // Makes the executor run the unsliced graph and fills its joined weights from the slices'
  // pieces (resident copies, else read one at a time). On an error the caller builds the sliced
  // executor again (apply_plan); failed_group names the node that could not be joined, if any.
  Status use_whole_nodes();
  Status join_sliced_weights();
  // Per node of sliced_graph: whether it is a slice of one of unsliced's groups.
  std::vector<bool> slices_of_groups() const;
  // PlanInput::whole_nodes_peak_bytes: the peak apply_plan reaches joining from nothing resident —
  // the unsliced graph's executor (built here on a probe allocator, then dropped), every piece of
  // an unsliced node, every joined weight, and the read area joining needs where the idle arena
  // and scratchpad cannot hold the largest piece. 0: no sliced nodes. A staging copy (a layout
  // oneDNN cannot address a slice of) is not foreseen: where the budget has no room for it, that
  // node stays sliced (unslice_note).
  Result<uint64_t> whole_nodes_peak();
  Result<Plan> make_plan(const Requirement& req) const;
  // reset_peak: restart the managed-memory peak once the old plan's memory is released (replan).
  Status apply_plan(Plan next, bool reset_peak = false);
  void bind_piece(int piece, const std::byte* base);
  Status submit_block(int b);
};

}  // namespace deepshark
