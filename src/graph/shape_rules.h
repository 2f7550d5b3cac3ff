// Internal to shape inference: the per-node context every op's rule works with, and one
// `Status infer_<Op>(ShapeCtx&)` per op in op_list.h (declared from the X-macro list, so a
// missing rule is a link error). Not a public header: only src/graph/shape_*.cc include it.
//
//   Status infer_Relu(ShapeCtx& c) {
//     DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
//     DS_TRY(const Value* x, c.in(0));
//     return c.set(0, x->dtype, x->shape);
//   }
#pragma once

#include <string>
#include <vector>

#include "base/shape.h"
#include "base/status.h"
#include "graph/graph.h"

namespace deepshark::shape_rules {

// Ranks beyond this are rejected: no real model comes close and hostile files may try.
inline constexpr size_t kMaxRank = 16;
// Largest single dimension or attribute value that enters shape arithmetic (2^40): keeps every
// sum and product below in int64 range.
inline constexpr int64_t kMaxDim = kMaxElements;

class ShapeCtx {
 public:
  ShapeCtx(Graph& graph, const Node& node) : g(graph), n(node) {}

  Graph& g;
  const Node& n;

  std::string label() const;
  // InvalidModel / Unsupported: "failed to infer shape of node '<n>': <reason>".
  Status invalid(const std::string& reason) const;
  Status unsupported(const std::string& reason) const;

  // Input i is given (not absent).
  bool has(size_t i) const { return n.input(i) != kNoValue; }
  size_t input_count() const { return n.inputs.size(); }
  // Between min and max inputs, the first `min` present; between min_out and max_out outputs.
  Status require_inputs(size_t min, size_t max) const;
  Status require_outputs(size_t min, size_t max) const;
  // Input i with a known shape (InvalidModel when absent, out of range or not inferred yet).
  Result<const Value*> in(size_t i) const;
  std::string input_name(size_t i) const;
  // Sets output i (no-op when the node has no output i or it is absent). Validates the rank,
  // every dimension and the element count.
  Status set(size_t out, DType dtype, const Shape& shape) const;

  // A shape-carrying input's integer data (I64/I32). Unsupported when not a constant.
  Result<std::vector<int64_t>> ints(size_t i) const;
  // A shape-carrying input's data as doubles (F32/F64/integers). Unsupported when not a constant.
  Result<std::vector<double>> floats(size_t i) const;
  // Input i is given and, if constant, not empty (ONNX uses empty tensors as "absent").
  bool has_nonempty(size_t i) const;

  // Normalises axis against rank (accepting [-rank, rank)); InvalidModel naming `what`.
  Result<int64_t> axis(int64_t axis, int64_t rank, const std::string& what = "axis") const;
  // Normalises and de-duplicates a list of axes; InvalidModel on range or duplicates.
  Result<std::vector<int64_t>> axes(const std::vector<int64_t>& axes, int64_t rank) const;
  // An Ints attribute of exactly `count` values, or `def` filled when absent.
  Result<std::vector<int64_t>> ints_attr(const std::string& name, size_t count, int64_t def, int64_t min) const;
};

std::string ints_to_string(const std::vector<int64_t>& v);

#define DS_X(name) Status infer_##name(ShapeCtx& c);
DS_OPS(DS_X)
#undef DS_X

}  // namespace deepshark::shape_rules
