// Shape rules for Gemm, MatMul and the normalisations (BatchNormalization, LayerNormalization,
// InstanceNormalization, LRN).
#include "graph/shape_inference.h"
#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

// shape_fused.cc: the fusion pass's ds.* attributes (activation name; no residual here).
Status check_fused_epilogue(const ShapeCtx& c, DType dtype, const Shape& out, bool residual_allowed);

namespace {

Status same_dtype(const ShapeCtx& c, const Value* a, const Value* b) {
  if (a->dtype == b->dtype) return Status::ok_status();
  return c.invalid("inputs '" + a->name + "' and '" + b->name + "' have different dtypes " +
                   expected_got(dtype_name(a->dtype), dtype_name(b->dtype)));
}

// A per-channel parameter input (BatchNorm scale/bias/mean/var, InstanceNorm scale/bias).
Status channel_param(const ShapeCtx& c, size_t i, int64_t channels) {
  DS_TRY(const Value* p, c.in(i));
  if (p->shape != Shape{channels}) {
    return c.invalid("parameter '" + p->name + "' must hold one value per channel " +
                     expected_got(shape_to_string({channels}), shape_to_string(p->shape)));
  }
  return Status::ok_status();
}

Result<const Value*> channel_input(const ShapeCtx& c) {
  DS_TRY(const Value* x, c.in(0));
  if (x->shape.size() < 2) {
    return c.invalid("input '" + x->name + "' needs rank >= 2 (N, C, ...) " +
                     expected_got(">= 2", std::to_string(x->shape.size())));
  }
  return x;
}

}  // namespace

Status infer_Gemm(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* a, c.in(0));
  DS_TRY(const Value* b, c.in(1));
  if (a->shape.size() != 2 || b->shape.size() != 2) {
    return c.invalid("Gemm needs 2-D A and B " +
                     expected_got("rank 2 and 2", std::to_string(a->shape.size()) + " and " + std::to_string(b->shape.size())));
  }
  DS_RETURN_IF_ERROR(same_dtype(c, a, b));
  bool ta = c.n.attrs.get_int("transA", 0) != 0;
  bool tb = c.n.attrs.get_int("transB", 0) != 0;
  int64_t m = ta ? a->shape[1] : a->shape[0];
  int64_t ka = ta ? a->shape[0] : a->shape[1];
  int64_t kb = tb ? b->shape[1] : b->shape[0];
  int64_t n = tb ? b->shape[0] : b->shape[1];
  if (ka != kb) {
    return c.invalid("inner dimensions of A '" + a->name + "' and B '" + b->name + "' differ " +
                     expected_got(std::to_string(ka), std::to_string(kb)));
  }
  if (c.has(2)) {
    DS_TRY(const Value* bias, c.in(2));
    auto r = broadcast_shapes(bias->shape, {m, n});
    if (!r.ok() || *r != Shape{m, n}) {
      return c.invalid("C '" + bias->name + "' does not broadcast to the output " +
                       expected_got("broadcastable to " + shape_to_string({m, n}), shape_to_string(bias->shape)));
    }
  }
  DS_RETURN_IF_ERROR(check_fused_epilogue(c, a->dtype, {m, n}, false));
  return c.set(0, a->dtype, {m, n});
}

// A third input (from the fusion pass) is a bias [N] added along the output's last axis.
Status infer_MatMul(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* a, c.in(0));
  DS_TRY(const Value* b, c.in(1));
  DS_RETURN_IF_ERROR(same_dtype(c, a, b));
  Shape as = a->shape, bs = b->shape;
  if (as.empty() || bs.empty()) return c.invalid("MatMul inputs must have rank >= 1 " + expected_got(">= 1", "0"));
  bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as.insert(as.begin(), 1);
  if (b1) bs.push_back(1);
  int64_t ka = as.back(), kb = bs[bs.size() - 2];
  if (ka != kb) {
    return c.invalid("inner dimensions of '" + a->name + "' and '" + b->name + "' differ " +
                     expected_got(std::to_string(ka), std::to_string(kb)));
  }
  Shape batch_a(as.begin(), as.end() - 2), batch_b(bs.begin(), bs.end() - 2);
  auto batch = broadcast_shapes(batch_a, batch_b);
  if (!batch.ok()) return c.invalid("batch dimensions do not broadcast: " + batch.status().message());
  Shape out = *batch;
  if (!a1) out.push_back(as[as.size() - 2]);
  if (!b1) out.push_back(bs.back());
  if (c.has(2)) {
    DS_TRY(const Value* bias, c.in(2));
    if (b1 || bias->shape != Shape{bs.back()} || bias->dtype != a->dtype) {
      return c.invalid("bias '" + bias->name + "' must be one value per output column " +
                       expected_got(b1 ? "a 2-D B" : std::string(dtype_name(a->dtype)) + " " + shape_to_string({bs.back()}),
                                    std::string(dtype_name(bias->dtype)) + " " + shape_to_string(bias->shape)));
    }
  }
  DS_RETURN_IF_ERROR(check_fused_epilogue(c, a->dtype, out, false));
  return c.set(0, a->dtype, out);
}

Status infer_BatchNormalization(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(5, 5));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 3));
  DS_TRY(const Value* x, channel_input(c));
  int64_t ch = x->shape[1];
  for (size_t i = 1; i < 5; ++i) DS_RETURN_IF_ERROR(channel_param(c, i, ch));
  DS_RETURN_IF_ERROR(c.set(0, x->dtype, x->shape));
  DS_RETURN_IF_ERROR(c.set(1, x->dtype, {ch}));
  return c.set(2, x->dtype, {ch});
}

Status infer_InstanceNormalization(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(3, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, channel_input(c));
  if (x->shape.size() < 3) {
    return c.invalid("input '" + x->name + "' needs rank >= 3 " + expected_got(">= 3", std::to_string(x->shape.size())));
  }
  for (size_t i = 1; i < 3; ++i) DS_RETURN_IF_ERROR(channel_param(c, i, x->shape[1]));
  return c.set(0, x->dtype, x->shape);
}

Status infer_LayerNormalization(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 3));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  if (rank < 1) return c.invalid("input '" + x->name + "' needs rank >= 1 " + expected_got(">= 1", "0"));
  DS_TRY(int64_t axis, c.axis(c.n.attrs.get_int("axis", -1), rank));
  Shape norm(x->shape.begin() + axis, x->shape.end());
  for (size_t i = 1; i < 3; ++i) {
    if (!c.has(i)) continue;
    DS_TRY(const Value* p, c.in(i));
    auto r = broadcast_shapes(p->shape, norm);
    if (!r.ok() || *r != norm) {
      return c.invalid("parameter '" + p->name + "' does not match the normalised dims " +
                       expected_got("broadcastable to " + shape_to_string(norm), shape_to_string(p->shape)));
    }
  }
  DS_RETURN_IF_ERROR(c.set(0, x->dtype, x->shape));
  Shape stats = x->shape;
  for (int64_t i = axis; i < rank; ++i) stats[static_cast<size_t>(i)] = 1;
  DType stash = dtype_from_onnx(static_cast<int>(c.n.attrs.get_int("stash_type", 1))).value_or(DType::F32);
  DS_RETURN_IF_ERROR(c.set(1, stash, stats));
  return c.set(2, stash, stats);
}

Status infer_LRN(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, channel_input(c));
  const Attribute* size = c.n.attrs.find("size");
  if (!size) return c.invalid("attribute 'size' is required");
  int64_t s = c.n.attrs.get_int("size", 0);
  if (s < 1 || s > kMaxDim) return c.invalid("attribute 'size' must be positive " + expected_got(">= 1", std::to_string(s)));
  return c.set(0, x->dtype, x->shape);
}

}  // namespace deepshark::shape_rules
