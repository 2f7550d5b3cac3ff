// Shape rules for shape and constant producers: Shape (-> I64), Constant, ConstantOfShape, Range.
#include <cmath>

#include "graph/shape_inference.h"
#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

namespace {
using i128 = __int128;

Result<const Value*> scalar_input(const ShapeCtx& c, size_t i) {
  DS_TRY(const Value* v, c.in(i));
  auto n = checked_numel(v->shape);
  if (!n || *n != 1) {
    return c.invalid("input '" + v->name + "' must be a scalar " + expected_got("1 element", shape_to_string(v->shape)));
  }
  return v;
}
}  // namespace

Status infer_Shape(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  auto clamp = [rank](int64_t v) {
    if (v < 0) v = v < -rank ? 0 : v + rank;
    return std::min(v, rank);
  };
  int64_t start = clamp(c.n.attrs.get_int("start", 0));
  int64_t end = clamp(c.n.attrs.get_int("end", rank));
  return c.set(0, DType::I64, {std::max<int64_t>(0, end - start)});
}

Status infer_Constant(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(0, 0));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(Tensor t, constant_node_value(c.n));
  return c.set(0, t.dtype(), t.shape());
}

Status infer_ConstantOfShape(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* sv, c.in(0));
  if (sv->shape.size() > 1) return c.invalid("shape input must be 1-D " + expected_got("rank 1", std::to_string(sv->shape.size())));
  DS_TRY(std::vector<int64_t> shape, c.ints(0));
  if (shape.size() > kMaxRank) return c.invalid("output rank too large " + expected_got("<= " + std::to_string(kMaxRank), std::to_string(shape.size())));
  for (int64_t d : shape) {
    if (d < 0 || d > kMaxDim) return c.invalid("shape " + ints_to_string(shape) + " has an invalid dimension " + expected_got(">= 0", std::to_string(d)));
  }
  DType dt = DType::F32;
  if (const Attribute* a = c.n.attrs.find("value")) {
    if (a->kind != AttrKind::Tensor || !a->t.defined() || !checked_numel(a->t.shape()) || a->t.numel() != 1) {
      return c.invalid("attribute 'value' must be a one-element tensor");
    }
    dt = a->t.dtype();
  }
  return c.set(0, dt, shape);
}

Status infer_Range(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(3, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  const Value* v[3];
  for (size_t i = 0; i < 3; ++i) {
    DS_TRY(v[i], scalar_input(c, i));
    if (v[i]->dtype != v[0]->dtype) {
      return c.invalid("start, limit and delta must share a dtype " + expected_got(dtype_name(v[0]->dtype), dtype_name(v[i]->dtype)));
    }
  }
  DType dt = v[0]->dtype;
  int64_t n = 0;
  if (dt == DType::I64 || dt == DType::I32) {
    std::vector<int64_t> s[3];
    for (size_t i = 0; i < 3; ++i) {
      DS_TRY(s[i], c.ints(i));
    }
    i128 start = s[0][0], limit = s[1][0], delta = s[2][0];
    if (delta == 0) return c.invalid("delta must not be zero " + expected_got("non-zero", "0"));
    i128 span = limit - start;
    i128 q = delta > 0 ? (span + delta - 1) / delta : (span + delta + 1) / delta;
    if (span == 0 || (span > 0) != (delta > 0)) q = 0;
    if (q > kMaxElements) return c.invalid("range has too many elements " + expected_got("<= 2^40", "more"));
    n = static_cast<int64_t>(std::max<i128>(0, q));
  } else if (dt == DType::F32 || dt == DType::F64) {
    std::vector<double> s[3];
    for (size_t i = 0; i < 3; ++i) {
      DS_TRY(s[i], c.floats(i));
    }
    double delta = s[2][0];
    if (delta == 0 || !std::isfinite(delta)) return c.invalid("delta must be finite and non-zero");
    double q = std::ceil((s[1][0] - s[0][0]) / delta);
    if (!std::isfinite(q) || q > static_cast<double>(kMaxElements)) return c.invalid("range has too many elements " + expected_got("<= 2^40", "more"));
    n = q > 0 ? static_cast<int64_t>(q) : 0;
  } else {
    return c.invalid("Range needs numeric inputs " + expected_got("I64, I32, F32 or F64", dtype_name(dt)));
  }
  return c.set(0, dt, {n});
}

}  // namespace deepshark::shape_rules
