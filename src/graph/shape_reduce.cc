// Shape rules for reductions (ReduceMean/Sum/Max/Min, axes as attribute or input, keepdims,
// noop_with_empty_axes) and ArgMax (-> I64).
#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

namespace {

Status reduce(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  const Attribute* attr = c.n.attrs.find("axes");
  if (attr && c.has_nonempty(1)) return c.invalid("axes given both as attribute and as input");
  std::vector<int64_t> raw;
  if (c.has_nonempty(1)) {
    DS_TRY(raw, c.ints(1));
  } else if (attr) {
    if (attr->kind != AttrKind::Ints) return c.invalid("attribute 'axes' must be a list of ints");
    raw = attr->ints;
  }
  int64_t keepdims = c.n.attrs.get_int("keepdims", 1);
  bool noop = c.n.attrs.get_int("noop_with_empty_axes", 0) != 0;
  if (raw.empty()) {
    if (noop) return c.set(0, x->dtype, x->shape);
    for (int64_t i = 0; i < rank; ++i) raw.push_back(i);
  }
  DS_TRY(std::vector<int64_t> axes, c.axes(raw, rank));
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t a : axes) reduced[static_cast<size_t>(a)] = true;
  Shape out;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[static_cast<size_t>(i)]) out.push_back(x->shape[static_cast<size_t>(i)]);
    else if (keepdims) out.push_back(1);
  }
  return c.set(0, x->dtype, out);
}

}  // namespace

Status infer_ReduceMean(ShapeCtx& c) { return reduce(c); }
Status infer_ReduceSum(ShapeCtx& c) { return reduce(c); }
Status infer_ReduceMax(ShapeCtx& c) { return reduce(c); }
Status infer_ReduceMin(ShapeCtx& c) { return reduce(c); }

Status infer_ArgMax(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  DS_TRY(int64_t axis, c.axis(c.n.attrs.get_int("axis", 0), rank));
  if (x->shape[static_cast<size_t>(axis)] == 0) return c.invalid("ArgMax over an empty axis");
  Shape out = x->shape;
  if (c.n.attrs.get_int("keepdims", 1)) out[static_cast<size_t>(axis)] = 1;
  else out.erase(out.begin() + axis);
  return c.set(0, DType::I64, out);
}

}  // namespace deepshark::shape_rules
