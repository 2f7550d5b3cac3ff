// Shape rules for data movement that keeps or regroups elements: Concat, Split, Slice, Gather,
// Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Identity, Dropout.
#include <algorithm>
#include <limits>

#include "graph/shape_inference.h"
#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

namespace {

using i128 = __int128;

// Axes from input `i` (opset-13 form) or the `axes` attribute (older form); empty when neither.
Result<std::vector<int64_t>> axes_input_or_attr(const ShapeCtx& c, size_t i, bool* given) {
  const Attribute* attr = c.n.attrs.find("axes");
  *given = false;
  if (c.has(i)) {
    if (attr) return c.invalid("axes given both as attribute and as input");
    *given = true;
    return c.ints(i);
  }
  if (attr) {
    if (attr->kind != AttrKind::Ints) return c.invalid("attribute 'axes' must be a list of ints");
    *given = true;
    return attr->ints;
  }
  return std::vector<int64_t>{};
}

}  // namespace

Status infer_Identity(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  return c.set(0, x->dtype, x->shape);
}

Status infer_Dropout(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 2));
  DS_TRY(const Value* x, c.in(0));
  DS_RETURN_IF_ERROR(c.set(0, x->dtype, x->shape));
  return c.set(1, DType::Bool, x->shape);
}

Status infer_Concat(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1 << 16));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  const Attribute* ax = c.n.attrs.find("axis");
  if (!ax || ax->kind != AttrKind::Int) return c.invalid("attribute 'axis' is required");
  DS_TRY(const Value* first, c.in(0));
  int64_t rank = static_cast<int64_t>(first->shape.size());
  DS_TRY(int64_t axis, c.axis(ax->i, rank));
  Shape out = first->shape;
  i128 total = 0;
  for (size_t i = 0; i < c.input_count(); ++i) {
    DS_TRY(const Value* v, c.in(i));
    if (v->dtype != first->dtype) {
      return c.invalid("input '" + v->name + "' has a different dtype " +
                       expected_got(dtype_name(first->dtype), dtype_name(v->dtype)));
    }
    if (v->shape.size() != first->shape.size()) {
      return c.invalid("input '" + v->name + "' has a different rank " +
                       expected_got(std::to_string(rank), std::to_string(v->shape.size())));
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && v->shape[static_cast<size_t>(d)] != first->shape[static_cast<size_t>(d)]) {
        return c.invalid("input '" + v->name + "' differs outside the concat axis at dim " + std::to_string(d) + " " +
                         expected_got(shape_to_string(first->shape), shape_to_string(v->shape)));
      }
    }
    total += v->shape[static_cast<size_t>(axis)];
  }
  if (total > kMaxDim) return c.invalid("concatenated dimension too large");
  out[static_cast<size_t>(axis)] = static_cast<int64_t>(total);
  return c.set(0, first->dtype, out);
}

Status infer_Split(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1 << 16));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  DS_TRY(int64_t axis, c.axis(c.n.attrs.get_int("axis", 0), rank));
  int64_t dim = x->shape[static_cast<size_t>(axis)];
  int64_t outs = static_cast<int64_t>(c.n.outputs.size());
  std::vector<int64_t> split;
  const Attribute* attr = c.n.attrs.find("split");
  if (c.has_nonempty(1)) {
    DS_TRY(split, c.ints(1));
  } else if (attr && attr->kind == AttrKind::Ints && !attr->ints.empty()) {
    split = attr->ints;
  }
  if (!split.empty()) {
    if (static_cast<int64_t>(split.size()) != outs) {
      return c.invalid("split has one size per output " + expected_got(std::to_string(outs), std::to_string(split.size())));
    }
    i128 sum = 0;
    for (int64_t s : split) {
      if (s < 0 || s > kMaxDim) return c.invalid("split sizes must be non-negative " + expected_got(">= 0", std::to_string(s)));
      sum += s;
    }
    if (sum != dim) {
      return c.invalid("split sizes " + ints_to_string(split) + " do not add up to the dimension " +
                       expected_got(std::to_string(dim), std::to_string(static_cast<int64_t>(sum))));
    }
  } else if (c.n.attrs.has("num_outputs")) {
    // Split-18: ceil-sized chunks, the last one smaller.
    int64_t chunk = (dim + outs - 1) / outs;
    for (int64_t i = 0; i < outs; ++i) split.push_back(std::max<int64_t>(0, std::min(chunk, dim - i * chunk)));
  } else {
    if (dim % outs != 0) {
      return c.invalid("dimension " + std::to_string(dim) + " does not split evenly into " + std::to_string(outs) +
                       " outputs " + expected_got("a multiple of " + std::to_string(outs), std::to_string(dim)));
    }
    split.assign(static_cast<size_t>(outs), dim / outs);
  }
  for (size_t i = 0; i < split.size(); ++i) {
    Shape s = x->shape;
    s[static_cast<size_t>(axis)] = split[i];
    DS_RETURN_IF_ERROR(c.set(i, x->dtype, s));
  }
  return Status::ok_status();
}

Status infer_Slice(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(3, 5));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  DS_TRY(std::vector<int64_t> starts, c.ints(1));
  DS_TRY(std::vector<int64_t> ends, c.ints(2));
  size_t n = starts.size();
  if (ends.size() != n) return c.invalid("starts and ends differ in length " + expected_got(std::to_string(n), std::to_string(ends.size())));
  std::vector<int64_t> axes_raw, steps(n, 1);
  if (c.has(3)) {
    DS_TRY(axes_raw, c.ints(3));
    if (axes_raw.size() != n) return c.invalid("axes has one value per start " + expected_got(std::to_string(n), std::to_string(axes_raw.size())));
  } else {
    if (static_cast<int64_t>(n) > rank) return c.invalid("more starts than dims " + expected_got("<= " + std::to_string(rank), std::to_string(n)));
    for (size_t i = 0; i < n; ++i) axes_raw.push_back(static_cast<int64_t>(i));
  }
  if (c.has(4)) {
    DS_TRY(steps, c.ints(4));
    if (steps.size() != n) return c.invalid("steps has one value per start " + expected_got(std::to_string(n), std::to_string(steps.size())));
  }
  DS_TRY(std::vector<int64_t> axes, c.axes(axes_raw, rank));
  Shape out = x->shape;
  for (size_t i = 0; i < n; ++i) {
    int64_t dim = x->shape[static_cast<size_t>(axes[i])];
    int64_t step = steps[i];
    if (step == 0) return c.invalid("slice step must not be zero " + expected_got("non-zero", "0"));
    // Starts/ends may be anything an int64 holds (INT64_MAX means "to the end"): clamp first.
    i128 s = starts[i], e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = std::clamp<i128>(s, 0, dim);
      e = std::clamp<i128>(e, 0, dim);
    } else {
      s = std::clamp<i128>(s, -1, dim - 1);
      e = std::clamp<i128>(e, -1, dim - 1);
    }
    i128 len = step > 0 ? (e - s + step - 1) / step : (s - e + (-static_cast<i128>(step)) - 1) / (-static_cast<i128>(step));
    out[static_cast<size_t>(axes[i])] = static_cast<int64_t>(std::max<i128>(0, len));
  }
  return c.set(0, x->dtype, out);
}

Status infer_Gather(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  DS_TRY(const Value* idx, c.in(1));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  if (rank < 1) return c.invalid("Gather needs data of rank >= 1 " + expected_got(">= 1", "0"));
  if (idx->dtype != DType::I64 && idx->dtype != DType::I32) {
    return c.invalid("indices '" + idx->name + "' must be integers " + expected_got("I64 or I32", dtype_name(idx->dtype)));
  }
  DS_TRY(int64_t axis, c.axis(c.n.attrs.get_int("axis", 0), rank));
  int64_t dim = x->shape[static_cast<size_t>(axis)];
  if (idx->is_constant()) {
    // Constant indices are checked now so that folding and kernels never read out of bounds.
    auto vals = constant_ints(c.g, c.n.input(1));
    for (int64_t v : vals.value_or(std::vector<int64_t>{})) {
      if (v < -dim || v >= dim) {
        return c.invalid("index out of range " +
                         expected_got("[" + std::to_string(-dim) + ", " + std::to_string(dim - 1) + "]", std::to_string(v)));
      }
    }
  }
  Shape out(x->shape.begin(), x->shape.begin() + axis);
  out.insert(out.end(), idx->shape.begin(), idx->shape.end());
  out.insert(out.end(), x->shape.begin() + axis + 1, x->shape.end());
  return c.set(0, x->dtype, out);
}

Status infer_Reshape(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  DS_TRY(std::vector<int64_t> spec, c.ints(1));
  if (spec.size() > kMaxRank) return c.invalid("target rank too large " + expected_got("<= " + std::to_string(kMaxRank), std::to_string(spec.size())));
  bool allowzero = c.n.attrs.get_int("allowzero", 0) != 0;
  int64_t in_numel = *checked_numel(x->shape);
  Shape out(spec.size());
  int infer_at = -1;
  i128 known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == -1) {
      if (infer_at >= 0) return c.invalid("shape " + ints_to_string(spec) + " has more than one -1");
      infer_at = static_cast<int>(i);
      continue;
    }
    if (d == 0 && !allowzero) {
      if (i >= x->shape.size()) {
        return c.invalid("shape " + ints_to_string(spec) + " copies dim " + std::to_string(i) + " the input lacks " +
                         expected_got("rank > " + std::to_string(i), std::to_string(x->shape.size())));
      }
      d = x->shape[i];
    }
    if (d < 0 || d > kMaxDim) return c.invalid("shape " + ints_to_string(spec) + " has an invalid dimension " + expected_got(">= -1", std::to_string(d)));
    out[i] = d;
    known *= d;
    if (known > kMaxDim) known = kMaxDim + 1;  // saturate: the product check below fails anyway
  }
  if (infer_at >= 0) {
    if (known == 0) {
      return c.invalid("shape " + ints_to_string(spec) + " cannot infer -1 next to a zero dimension");
    }
    if (in_numel % known != 0) {
      return c.invalid("cannot reshape " + shape_to_string(x->shape) + " to " + ints_to_string(spec) + " " +
                       expected_got("a divisor of " + std::to_string(in_numel), std::to_string(static_cast<int64_t>(known))));
    }
    out[static_cast<size_t>(infer_at)] = in_numel / static_cast<int64_t>(known);
    known = in_numel;
  }
  if (known != in_numel) {
    return c.invalid("cannot reshape " + shape_to_string(x->shape) + " to " + ints_to_string(spec) + " " +
                     expected_got(std::to_string(in_numel) + " elements", std::to_string(static_cast<int64_t>(known))));
  }
  return c.set(0, x->dtype, out);
}

Status infer_Flatten(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = c.n.attrs.get_int("axis", 1);
  // Flatten accepts axis in [-r, r].
  if (axis < -rank || axis > rank) {
    return c.invalid("axis out of range " + expected_got("[" + std::to_string(-rank) + ", " + std::to_string(rank) + "]",
                                                          std::to_string(axis)));
  }
  if (axis < 0) axis += rank;
  // 128-bit with saturation: beside a zero dim the other dims' product may exceed int64.
  i128 outer = 1, inner = 1;
  for (int64_t i = 0; i < rank; ++i) {
    i128& p = i < axis ? outer : inner;
    p = std::min<i128>(p * x->shape[static_cast<size_t>(i)], i128{kMaxDim} + 1);
  }
  return c.set(0, x->dtype, {static_cast<int64_t>(outer), static_cast<int64_t>(inner)});
}

Status infer_Transpose(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  std::vector<int64_t> perm = c.n.attrs.get_ints("perm");
  if (!c.n.attrs.has("perm")) {
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    return c.invalid("perm " + ints_to_string(perm) + " has the wrong length " +
                     expected_got(std::to_string(rank), std::to_string(perm.size())));
  }
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  Shape out(static_cast<size_t>(rank));
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] < 0 || perm[i] >= rank || seen[static_cast<size_t>(perm[i])]) {
      return c.invalid("perm " + ints_to_string(perm) + " is not a permutation " +
                       expected_got("each of 0.." + std::to_string(rank - 1) + " once", std::to_string(perm[i])));
    }
    seen[static_cast<size_t>(perm[i])] = true;
    out[i] = x->shape[static_cast<size_t>(perm[i])];
  }
  return c.set(0, x->dtype, out);
}

Status infer_Squeeze(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  bool given = false;
  DS_TRY(std::vector<int64_t> raw, axes_input_or_attr(c, 1, &given));
  std::vector<bool> drop(static_cast<size_t>(rank), false);
  if (raw.empty()) {
    for (int64_t i = 0; i < rank; ++i) drop[static_cast<size_t>(i)] = x->shape[static_cast<size_t>(i)] == 1;
  } else {
    DS_TRY(std::vector<int64_t> axes, c.axes(raw, rank));
    for (int64_t a : axes) {
      if (x->shape[static_cast<size_t>(a)] != 1) {
        return c.invalid("cannot squeeze dim " + std::to_string(a) + " of " + shape_to_string(x->shape) + " " +
                         expected_got("size 1", std::to_string(x->shape[static_cast<size_t>(a)])));
      }
      drop[static_cast<size_t>(a)] = true;
    }
  }
  Shape out;
  for (int64_t i = 0; i < rank; ++i) if (!drop[static_cast<size_t>(i)]) out.push_back(x->shape[static_cast<size_t>(i)]);
  return c.set(0, x->dtype, out);
}

Status infer_Unsqueeze(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  bool given = false;
  DS_TRY(std::vector<int64_t> raw, axes_input_or_attr(c, 1, &given));
  if (!given) return c.invalid("Unsqueeze needs axes (input 1 or attribute)");
  size_t out_rank = x->shape.size() + raw.size();
  if (out_rank > kMaxRank) return c.invalid("output rank too large " + expected_got("<= " + std::to_string(kMaxRank), std::to_string(out_rank)));
  DS_TRY(std::vector<int64_t> axes, c.axes(raw, static_cast<int64_t>(out_rank)));
  std::vector<bool> inserted(out_rank, false);
  for (int64_t a : axes) inserted[static_cast<size_t>(a)] = true;
  Shape out;
  size_t k = 0;
  for (size_t i = 0; i < out_rank; ++i) out.push_back(inserted[i] ? 1 : x->shape[k++]);
  return c.set(0, x->dtype, out);
}

}  // namespace deepshark::shape_rules
