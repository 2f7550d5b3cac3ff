// Internal to the transform module: constant folding of one node.
//
// A node folds when its result is known at prepare time: a Constant, a Shape of a value whose
// shape is known, or any node whose inputs are all constants and whose outputs fit the size
// limit. The outputs become constants (Value::constant) and the caller drops the node.
//
//   ds::FoldBudget budget = ds::fold_budget(graph, options);
//   DS_TRY(bool folded, ds::fold_node(graph, node, budget));
#pragma once

#include <span>

#include "base/status.h"
#include "graph/graph.h"
#include "transform/prepare.h"

namespace deepshark {

// The limits of one prepare's folding (PrepareOptions) and what it has used so far.
struct FoldBudget {
  uint64_t node_bytes = 0, node_work = 0;    // per node: larger nodes stay
  uint64_t total_bytes = 0, total_work = 0;  // all nodes: more is an error
  uint64_t used_bytes = 0, used_work = 0;
};
FoldBudget fold_budget(const Graph& graph, const PrepareOptions& options);

// Work of computing `node` (its shapes inferred): the most of its multiply-adds, the elements it
// reads, the elements it writes, and for pools its window positions. Saturates at UINT64_MAX.
uint64_t fold_work(const Graph& graph, const Node& node);

// true when `node` was folded (its outputs now carry constants), false when it must stay
// (an input is not constant, the output or the work is over the node limits, or no kernel
// computes it: Unsupported from the kernels keeps the node). InvalidModel naming the node when
// folding it would exceed the budget's totals; other kernel errors are returned, naming the node.
// Requires infer_node to have run on `node`.
Result<bool> fold_node(Graph& graph, const Node& node, FoldBudget& budget);

// The small built-in fallback for integer shape arithmetic (Gather, Concat, Unsqueeze, Squeeze,
// Reshape, Flatten, Identity, Slice, Cast, Add/Sub/Mul/Div on integers, ConstantOfShape, Range),
// used when the reference kernels report Unsupported. Unsupported for anything else.
Status fold_builtin(const Node& node, std::span<const TensorView> inputs, std::span<const TensorView> outputs);

}  // namespace deepshark
