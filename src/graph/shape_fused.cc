// Shape checks for the attributes the graph fusion pass (transform/fuse.h) puts on Conv,
// ConvTranspose, Gemm and MatMul: ds.activation must name a known activation, and ds.residual = 1
// requires input 3 with exactly the output's dtype and shape. Used by shape_conv.cc and
// shape_linear.cc (declared there: shape_rules.h is shared by other modules' owners).
#include <string>

#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

namespace {

constexpr const char* kActivations[] = {"Relu",      "LeakyRelu",   "Clip", "Sigmoid", "Tanh",
                                        "HardSwish", "HardSigmoid", "Gelu", "GeluTanh"};

}  // namespace

bool has_fused_residual(const ShapeCtx& c) { return c.n.attrs.get_int("ds.residual", 0) != 0; }

Status check_fused_epilogue(const ShapeCtx& c, DType dtype, const Shape& out, bool residual_allowed) {
  if (const Attribute* act = c.n.attrs.find("ds.activation")) {
    bool known = false;
    for (const char* name : kActivations) known = known || (act->kind == AttrKind::String && act->s == name);
    if (!known) {
      return c.invalid("unknown fused activation " +
                       expected_got("one of Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSwish, HardSigmoid, Gelu, GeluTanh",
                                    act->kind == AttrKind::String ? "'" + act->s + "'" : "a non-string attribute"));
    }
  }
  const Attribute* res = c.n.attrs.find("ds.residual");
  if (!res) return Status::ok_status();
  if (res->kind != AttrKind::Int || (res->i != 0 && res->i != 1)) {
    return c.invalid("attribute 'ds.residual' must be 0 or 1 " +
                     expected_got("0 or 1", res->kind == AttrKind::Int ? std::to_string(res->i) : "a non-int attribute"));
  }
  if (res->i == 0) return Status::ok_status();
  if (!residual_allowed) return c.invalid("ds.residual is not supported on " + std::string(op_name(c.n.op)));
  if (c.input_count() != 4 || !c.has(3)) {
    return c.invalid("ds.residual needs the residual as input 3 " + expected_got("4 inputs", std::to_string(c.input_count())));
  }
  DS_TRY(const Value* r, c.in(3));
  if (r->dtype != dtype || r->shape != out) {
    return c.invalid("residual '" + r->name + "' must match the output " +
                     expected_got(std::string(dtype_name(dtype)) + " " + shape_to_string(out),
                                  std::string(dtype_name(r->dtype)) + " " + shape_to_string(r->shape)));
  }
  return Status::ok_status();
}

}  // namespace deepshark::shape_rules
