// Internal helpers shared by the reference kernels: the per-node argument bundle, error
// builders, input validation, integer-input reading and broadcasting index arithmetic.
// Not a public header: only src/kernels/ref/*.cc include it.
//
//   Status run_Relu(const RefArgs& a) {
//     DS_RETURN_IF_ERROR(a.require(1, 1));
//     DS_RETURN_IF_ERROR(a.require_dtype(0, DType::F32));
//     ...
//   }
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"

namespace deepshark::ref {

struct RefArgs {
  const Graph& graph;
  const Node& node;
  std::span<const TensorView> inputs;
  std::span<const TensorView> outputs;

  const Attributes& attrs() const { return node.attrs; }
  const char* op() const { return op_name(node.op); }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i].data != nullptr; }
  // An input present in the node but with zero elements also counts as present (data may be
  // any non-null pointer); absent optional inputs have data == nullptr.
  const TensorView& in(size_t i) const { return inputs[i]; }
  const TensorView& out(size_t i) const { return outputs[i]; }

  // Unsupported naming op, node and dtype.
  Status unsupported(const std::string& what) const;
  Status unsupported_dtype(DType t) const;
  // InvalidArgument naming op and node.
  Status invalid(const std::string& reason) const;

  // Checks that at least `min_in` inputs are present (data non-null for the first min_in) and at
  // least `min_out` outputs are given with data (outputs may be empty tensors).
  Status require(size_t min_in, size_t min_out) const;
  Status require_dtype(size_t input, DType t) const;
  // Output `o` must have exactly `shape` (what this kernel computes); InvalidArgument otherwise.
  Status check_out_shape(size_t o, const Shape& shape) const;
  Status check_out_dtype(size_t o, DType t) const;
};

// Normalises a possibly negative axis against rank; nullopt when out of range.
std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank);

// Reads an I64 or I32 tensor as int64 values; nullopt for other dtypes.
std::optional<std::vector<int64_t>> read_ints(const TensorView& t);
// Reads a numeric scalar-ish tensor element i as double (any arithmetic dtype incl. F16).
double read_as_double(const TensorView& t, int64_t i);

// IEEE half <-> float.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);

// Numpy broadcasting: output shape of a and b, or nullopt.
std::optional<Shape> broadcast_pair(const Shape& a, const Shape& b);

// Iterates the output of a broadcast and yields, for each output element (in row-major order),
// the element offset into an input of shape `in_shape` (right-aligned to out's rank).
class BroadcastIndex {
 public:
  BroadcastIndex(const Shape& in_shape, const Shape& out_shape);
  // Offset of the input element for the current output position.
  int64_t offset() const { return offset_; }
  // Advances to the next output element.
  void next();

 private:
  std::vector<int64_t> out_shape_, in_strides_, counter_;
  int64_t offset_ = 0;
};

// True when `in_shape` can broadcast (numpy rules) to `out_shape`.
bool broadcastable_to(const Shape& in_shape, const Shape& out_shape);

std::string ints_to_string(const std::vector<int64_t>& v);

// Advances a row-major multi-index over `shape`; false when it wraps around.
bool next_index(std::vector<int64_t>& idx, const Shape& shape);

}  // namespace deepshark::ref
