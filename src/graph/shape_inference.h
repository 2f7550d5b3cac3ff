// Static shape inference, one node at a time, in topological order.
//
// Each op's rule reads its inputs' dtypes and shapes (and, for shape-carrying inputs such as
// Reshape's `shape` or Slice's `starts`, their constant data) and sets dtype, shape and
// shape_known on the node's outputs. Declared output shapes from the model file are never
// trusted: they are overwritten.
//
//   for (const ds::Node& n : g.nodes) DS_RETURN_IF_ERROR(ds::infer_node(g, n));
#pragma once

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark {

// InvalidModel naming the node (with expected/got) when inputs are inconsistent, a required
// attribute is missing or malformed, or a shape-carrying input is not a constant (Unsupported).
Status infer_node(Graph& graph, const Node& node);

// Numpy-style broadcast of two shapes, or InvalidModel when incompatible.
Result<Shape> broadcast_shapes(const Shape& a, const Shape& b);

// Reads a constant integer tensor (I64 or I32) as int64 values; nullopt when not constant.
std::optional<std::vector<int64_t>> constant_ints(const Graph& graph, ValueId id);

// The tensor a Constant node produces (from `value`, `value_float(s)` or `value_int(s)`);
// InvalidModel naming the node when none of them is set or the node is not a Constant.
Result<Tensor> constant_node_value(const Node& node);

}  // namespace deepshark
