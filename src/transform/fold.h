// Internal to the transform module: constant folding of one node.
//
// A node folds when its result is known at prepare time: a Constant, a Shape of a value whose
// shape is known, or any node whose inputs are all constants and whose outputs fit the size
// limit. The outputs become constants (Value::constant) and the caller drops the node.
//
//   DS_TRY(bool folded, ds::fold_node(graph, node, options.fold_limit_bytes));
#pragma once

#include <span>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark {

// true when `node` was folded (its outputs now carry constants), false when it must stay
// (an input is not constant, the output is too large, or no kernel computes it: Unsupported
// from the kernels keeps the node). Other kernel errors are returned, naming the node.
// Requires infer_node to have run on `node`.
Result<bool> fold_node(Graph& graph, const Node& node, uint64_t limit_bytes);

// The small built-in fallback for integer shape arithmetic (Gather, Concat, Unsqueeze, Squeeze,
// Reshape, Flatten, Identity, Slice, Cast, Add/Sub/Mul/Div on integers, ConstantOfShape, Range),
// used when the reference kernels report Unsupported. Unsupported for anything else.
Status fold_builtin(const Node& node, std::span<const TensorView> inputs, std::span<const TensorView> outputs);

}  // namespace deepshark
