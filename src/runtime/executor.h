// The in-memory executor: runs a prepared graph (static shapes, constants folded) node by node
// on oneDNN kernels, falling back to the reference kernels where oneDNN has none.
//
// create() does all allocation: kernels, their weights in the kernels' own layouts (packed once),
// the activation arena (planned from value lifetimes; reshape-like ops alias their input), and one
// shared kernel scratchpad — all through the given CountingAllocator, so its peak is the engine's
// managed memory. run() allocates nothing except the returned output tensors.
//
//   DS_TRY(auto ex, ds::Executor::create(std::move(prepared_graph), {.threads = 2}, allocator));
//   DS_TRY(std::vector<ds::Tensor> outs, ex->run(input_views));   // graph input order
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/memory.h"
#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"
#include "kernels/kernel.h"
#include "runtime/arena_planner.h"

namespace deepshark {

struct ExecutorOptions {
  int threads = 1;
  bool use_dnnl = true;       // false: reference kernels only (the oracle path)
  bool profile_nodes = false;  // record per-node wall time in the run stats
  // When set, receives the bytes create() allocates (weights, arena, scratchpad), known before it
  // allocates any of them: also when create() fails because they exceed the allocator's limit.
  uint64_t* planned_bytes = nullptr;
};

// One weight a step reads: a kernel weight slot (slot >= 0, in the kernel's layout) or a plain
// constant input (slot == -1). Weights whose constant has data are packed by the executor itself;
// those given as Tensor::shape_only (their bytes live in a .dsk piece) are "external": the caller
// binds an address before running the steps that read them.
struct WeightBinding {
  int step = 0;
  int slot = -1;
  int input = 0;        // node input index
  ValueId value = kNoValue;
  uint64_t bytes = 0;
  std::string layout;   // kernel weight_layout(slot), or "plain"
  bool external = false;
};

struct ExecutorSummary {
  uint64_t weight_bytes = 0;   // packed weight slots + plain constants kept
  uint64_t arena_bytes = 0;
  uint64_t scratch_bytes = 0;
  int dnnl_nodes = 0;
  int ref_nodes = 0;
  int alias_nodes = 0;  // reshape-like nodes that run as views
  int concat_views = 0;    // Concat nodes whose inputs are written in place (runtime/lifetimes)
  int strided_concat_views = 0;  // of which inputs are column ranges written row by row
  int slice_views = 0;     // Slice nodes that run as views of their input (runtime/lifetimes)
  int in_place_nodes = 0;  // nodes whose output overwrites an input (fused residuals, runtime/lifetimes)
  int blocked_values = 0;  // activations kept in oneDNN's blocked layout (runtime/layout_assign)
};

class Executor {
 public:
  // InvalidModel / Unsupported naming the node when a kernel cannot be built; OutOfMemory when
  // the allocator refuses, and before allocating anything when the weights, arena and scratchpad
  // together exceed the allocator's limit.
  static Result<std::unique_ptr<Executor>> create(Graph graph, const ExecutorOptions& options,
                                                  CountingAllocator& allocator);
  ~Executor();

  // inputs: one per graph input, in Graph::inputs order. InvalidArgument naming the input when
  // a dtype or shape differs from the prepared graph. Errors from a kernel name the node; the
  // executor stays usable after any error.
  Result<std::vector<Tensor>> run(std::span<const TensorView> inputs);

  // The same run in pieces, for the block stream: bind inputs, run steps [begin, end) (external
  // weights of those steps bound first), then collect the outputs.
  Status bind_inputs(std::span<const TensorView> inputs);
  Status run_steps(int begin, int end);
  Result<std::vector<Tensor>> collect_outputs();
  int step_count() const;

  const std::vector<WeightBinding>& weight_bindings() const { return bindings_; }
  // Points binding i at `data` (weight_bindings()[i].bytes bytes, 64-byte aligned).
  void bind_weight(size_t binding, const std::byte* data);

  // The activation arena and the kernel scratchpad hold nothing between runs: a caller may use
  // them as scratch memory then (the block stream reads pieces to join there). Empty when absent.
  std::span<std::byte> idle_arena() { return {arena_.data(), arena_.data() ? arena_.size() : 0}; }
  std::span<std::byte> idle_scratch() { return {scratch_.data(), scratch_.data() ? scratch_.size() : 0}; }

  const Graph& graph() const { return graph_; }
  const ExecutorSummary& summary() const { return summary_; }
  const ArenaLayout& arena_layout() const { return layout_; }
  // Kernel name per node ("alias" for view nodes).
  std::vector<std::string> kernel_names() const;
  // Per-node milliseconds of the last run (empty unless profile_nodes).
  const std::vector<double>& node_times_ms() const { return node_times_ms_; }

 private:
  struct Step;
  Executor() = default;
  Status build(const ExecutorOptions& options, CountingAllocator& allocator);

  Graph graph_;
  ExecutorOptions options_;
  std::vector<Step> steps_;
  std::vector<WeightBinding> bindings_;
  std::vector<Buffer> weight_buffers_;
  Buffer arena_;
  Buffer scratch_;
  ArenaLayout layout_;
  ExecutorSummary summary_;
  std::vector<std::byte*> value_ptr_;      // resolved address per value (inputs set per run)
  std::vector<ValueId> alias_root_;        // value -> value whose storage it uses
  std::vector<uint64_t> alias_offset_;     // value -> its byte offset in that storage
  std::vector<double> node_times_ms_;
};

}  // namespace deepshark
