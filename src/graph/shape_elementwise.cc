// Shape rules for elementwise ops: unary activations and math, broadcasting binaries and
// n-ary ops, comparisons (-> Bool), Where, the softmax family, and Cast.
#include "graph/shape_inference.h"
#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

namespace {

Status unary(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  return c.set(0, x->dtype, x->shape);
}

// Broadcasts every present input; all must share a dtype unless `mixed_ok` (Pow's exponent).
Result<Shape> broadcast_inputs(const ShapeCtx& c, size_t first, bool mixed_ok, DType* dtype) {
  Shape out;
  bool any = false;
  for (size_t i = first; i < c.input_count(); ++i) {
    DS_TRY(const Value* v, c.in(i));
    if (!any) {
      *dtype = v->dtype;
      out = v->shape;
      any = true;
      continue;
    }
    if (!mixed_ok && v->dtype != *dtype) {
      return c.invalid("input '" + v->name + "' has a different dtype from the first input " +
                       expected_got(dtype_name(*dtype), dtype_name(v->dtype)));
    }
    auto r = broadcast_shapes(out, v->shape);
    if (!r.ok()) return c.invalid("inputs do not broadcast: " + r.status().message());
    out = *r;
  }
  return out;
}

Status binary(ShapeCtx& c, bool mixed_ok = false, std::optional<DType> result = std::nullopt) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DType dt = DType::F32;
  DS_TRY(Shape out, broadcast_inputs(c, 0, mixed_ok, &dt));
  return c.set(0, result.value_or(dt), out);
}

Status nary(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1 << 16));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  for (size_t i = 0; i < c.input_count(); ++i) {
    if (!c.has(i)) return c.invalid("input " + std::to_string(i) + " is absent");
  }
  DType dt = DType::F32;
  DS_TRY(Shape out, broadcast_inputs(c, 0, false, &dt));
  return c.set(0, dt, out);
}

Status softmax(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  DS_TRY(int64_t axis, c.axis(c.n.attrs.get_int("axis", -1), static_cast<int64_t>(x->shape.size())));
  (void)axis;
  return c.set(0, x->dtype, x->shape);
}

}  // namespace

Status infer_Relu(ShapeCtx& c) { return unary(c); }
Status infer_LeakyRelu(ShapeCtx& c) { return unary(c); }
Status infer_Elu(ShapeCtx& c) { return unary(c); }
Status infer_Sigmoid(ShapeCtx& c) { return unary(c); }
Status infer_Tanh(ShapeCtx& c) { return unary(c); }
Status infer_HardSigmoid(ShapeCtx& c) { return unary(c); }
Status infer_HardSwish(ShapeCtx& c) { return unary(c); }
Status infer_Softplus(ShapeCtx& c) { return unary(c); }
Status infer_Erf(ShapeCtx& c) { return unary(c); }
Status infer_Gelu(ShapeCtx& c) { return unary(c); }
Status infer_Exp(ShapeCtx& c) { return unary(c); }
Status infer_Log(ShapeCtx& c) { return unary(c); }
Status infer_Sqrt(ShapeCtx& c) { return unary(c); }
Status infer_Reciprocal(ShapeCtx& c) { return unary(c); }
Status infer_Neg(ShapeCtx& c) { return unary(c); }
Status infer_Abs(ShapeCtx& c) { return unary(c); }
Status infer_Floor(ShapeCtx& c) { return unary(c); }
Status infer_Ceil(ShapeCtx& c) { return unary(c); }

Status infer_Not(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(unary(c));
  DS_TRY(const Value* x, c.in(0));
  if (x->dtype != DType::Bool) return c.invalid("Not needs a Bool input " + expected_got("Bool", dtype_name(x->dtype)));
  return Status::ok_status();
}

Status infer_Clip(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  for (size_t i = 1; i < 3; ++i) {
    if (!c.has(i)) continue;
    DS_TRY(const Value* b, c.in(i));
    auto n = checked_numel(b->shape);
    if (!n || *n != 1) {
      return c.invalid("bound '" + b->name + "' must be a scalar " + expected_got("1 element", shape_to_string(b->shape)));
    }
  }
  return c.set(0, x->dtype, x->shape);
}

Status infer_PRelu(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  DS_TRY(const Value* slope, c.in(1));
  // Unidirectional: the slope broadcasts to X, the output has X's shape.
  auto r = broadcast_shapes(x->shape, slope->shape);
  if (!r.ok() || *r != x->shape) {
    return c.invalid("slope '" + slope->name + "' does not broadcast to the input " +
                     expected_got("broadcastable to " + shape_to_string(x->shape), shape_to_string(slope->shape)));
  }
  return c.set(0, x->dtype, x->shape);
}

Status infer_Add(ShapeCtx& c) { return binary(c); }
Status infer_Sub(ShapeCtx& c) { return binary(c); }
Status infer_Mul(ShapeCtx& c) { return binary(c); }
Status infer_Div(ShapeCtx& c) { return binary(c); }
Status infer_Pow(ShapeCtx& c) { return binary(c, /*mixed_ok=*/true); }
Status infer_Equal(ShapeCtx& c) { return binary(c, false, DType::Bool); }
Status infer_Less(ShapeCtx& c) { return binary(c, false, DType::Bool); }
Status infer_Greater(ShapeCtx& c) { return binary(c, false, DType::Bool); }
Status infer_Min(ShapeCtx& c) { return nary(c); }
Status infer_Max(ShapeCtx& c) { return nary(c); }
Status infer_Sum(ShapeCtx& c) { return nary(c); }

Status infer_Where(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(3, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* cond, c.in(0));
  if (cond->dtype != DType::Bool) {
    return c.invalid("condition '" + cond->name + "' must be Bool " + expected_got("Bool", dtype_name(cond->dtype)));
  }
  DType dt = DType::F32;
  DS_TRY(Shape xy, broadcast_inputs(c, 1, false, &dt));
  auto out = broadcast_shapes(cond->shape, xy);
  if (!out.ok()) return c.invalid("inputs do not broadcast: " + out.status().message());
  return c.set(0, dt, *out);
}

Status infer_Softmax(ShapeCtx& c) { return softmax(c); }
Status infer_LogSoftmax(ShapeCtx& c) { return softmax(c); }

Status infer_Cast(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  const Attribute* to = c.n.attrs.find("to");
  if (!to || to->kind != AttrKind::Int) return c.invalid("attribute 'to' (an ONNX dtype code) is required");
  auto dt = dtype_from_onnx(static_cast<int>(to->i));
  if (!dt || to->i != static_cast<int>(to->i)) {
    return c.unsupported("cast to ONNX dtype " + std::to_string(to->i) + " is not supported " +
                         expected_got("a numeric or bool dtype code", std::to_string(to->i)));
  }
  return c.set(0, *dt, x->shape);
}

}  // namespace deepshark::shape_rules
