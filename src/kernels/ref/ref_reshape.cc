// Ops that keep the bytes and change only the shape (Reshape, Flatten, Squeeze, Unsqueeze,
// Identity, Dropout in inference): each checks the output shape it would produce, then copies
// (memmove, so an executor may run them in place).
#include <algorithm>

#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

Status copy_as(const RefArgs& a, const Shape& out) {
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  if (a.in(0).numel() != numel(out))
    return a.invalid("element count changes " + expected_got(std::to_string(a.in(0).numel()), std::to_string(numel(out))));
  if (a.in(0).bytes() > 0 && a.out(0).data != a.in(0).data) std::memmove(a.out(0).data, a.in(0).data, a.in(0).bytes());
  return Status::ok_status();
}

// Axes from input 1 (opset 13) or the older `axes` attribute.
Result<std::vector<int64_t>> axes_of(const RefArgs& a, bool& given) {
  given = false;
  if (a.has_input(1)) {
    auto v = read_ints(a.in(1));
    if (!v) return a.unsupported(std::string("axes dtype ") + dtype_name(a.in(1).dtype));
    given = true;
    return *v;
  }
  if (a.attrs().has("axes")) {
    given = true;
    return a.attrs().get_ints("axes");
  }
  return std::vector<int64_t>{};
}

}  // namespace

Status run_Reshape(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  std::vector<int64_t> req;
  if (a.has_input(1)) {
    auto v = read_ints(a.in(1));
    if (!v) return a.unsupported(std::string("shape dtype ") + dtype_name(a.in(1).dtype));
    req = *v;
  } else if (a.attrs().has("shape")) {
    req = a.attrs().get_ints("shape");
  } else if (a.inputs.size() < 2) {
    return a.invalid("missing the shape input");
  }
  const bool allowzero = a.attrs().get_int("allowzero", 0) != 0;
  const Shape& xs = a.in(0).shape;
  Shape out(req.size());
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < req.size(); ++i) {
    int64_t v = req[i];
    if (v == 0 && !allowzero) {
      if (i >= xs.size()) return a.invalid("shape " + ints_to_string(req) + " copies a dimension the input lacks");
      v = xs[i];
    }
    if (v == -1) {
      if (infer >= 0) return a.invalid("shape " + ints_to_string(req) + " has more than one -1");
      infer = static_cast<int64_t>(i);
      continue;
    }
    if (v < 0) return a.invalid("shape " + ints_to_string(req) + " has a negative dimension");
    out[i] = v;
    if (v != 0 && known > kMaxElements / v) return a.invalid("shape " + ints_to_string(req) + " overflows");
    known *= v;
  }
  if (infer >= 0) {
    if (known == 0 || a.in(0).numel() % known != 0)
      return a.invalid("cannot infer -1 in " + ints_to_string(req) + " for " + std::to_string(a.in(0).numel()) + " elements");
    out[static_cast<size_t>(infer)] = a.in(0).numel() / known;
  }
  return copy_as(a, out);
}

Status run_Flatten(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  int64_t axis = a.attrs().get_int("axis", 1);
  if (axis < -rank || axis > rank) return a.invalid("axis " + std::to_string(axis) + " out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  return copy_as(a, {numel(Shape(xs.begin(), xs.begin() + axis)), numel(Shape(xs.begin() + axis, xs.end()))});
}

Status run_Squeeze(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  bool given = false;
  DS_TRY(std::vector<int64_t> axes, axes_of(a, given));
  std::vector<bool> drop(xs.size(), false);
  if (axes.empty()) {
    for (size_t d = 0; d < xs.size(); ++d) drop[d] = xs[d] == 1;
  }
  for (int64_t ax : axes) {
    auto n = normalize_axis(ax, static_cast<int64_t>(xs.size()));
    if (!n) return a.invalid("axis " + std::to_string(ax) + " out of range for rank " + std::to_string(xs.size()));
    if (xs[static_cast<size_t>(*n)] != 1) return a.invalid("cannot squeeze axis " + std::to_string(ax) + " of size " + std::to_string(xs[static_cast<size_t>(*n)]));
    drop[static_cast<size_t>(*n)] = true;
  }
  Shape out;
  for (size_t d = 0; d < xs.size(); ++d)
    if (!drop[d]) out.push_back(xs[d]);
  return copy_as(a, out);
}

Status run_Unsqueeze(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  bool given = false;
  DS_TRY(std::vector<int64_t> axes, axes_of(a, given));
  if (!given) return a.invalid("missing axes");
  const int64_t rank = static_cast<int64_t>(xs.size() + axes.size());
  std::vector<bool> inserted(static_cast<size_t>(rank), false);
  for (int64_t ax : axes) {
    auto n = normalize_axis(ax, rank);
    if (!n || inserted[static_cast<size_t>(*n)]) return a.invalid("bad or repeated axis " + std::to_string(ax) + " for output rank " + std::to_string(rank));
    inserted[static_cast<size_t>(*n)] = true;
  }
  Shape out;
  size_t j = 0;
  for (int64_t d = 0; d < rank; ++d) out.push_back(inserted[static_cast<size_t>(d)] ? 1 : xs[j++]);
  return copy_as(a, out);
}

Status run_Identity(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  return copy_as(a, a.in(0).shape);
}

// Inference-mode Dropout: identity; the optional mask output is all true.
Status run_Dropout(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  if (a.has_input(2)) {
    if (a.in(2).dtype != DType::Bool || a.in(2).numel() != 1) return a.invalid("training_mode must be a Bool scalar");
    if (*a.in(2).as<uint8_t>() != 0) return a.unsupported("training_mode=true");
  }
  DS_RETURN_IF_ERROR(copy_as(a, a.in(0).shape));
  if (a.outputs.size() > 1 && a.out(1).data) {
    DS_RETURN_IF_ERROR(a.check_out_shape(1, a.in(0).shape));
    DS_RETURN_IF_ERROR(a.check_out_dtype(1, DType::Bool));
    std::memset(a.out(1).data, 1, a.out(1).bytes());
  }
  return Status::ok_status();
}

}  // namespace deepshark::ref
