// Activations, elementwise arithmetic, MatMul, reductions and Softmax. Elementwise ops keep an
// NCHW value NCHW when the other operand is NCHW too or a constant that can be re-laid.
#include <algorithm>

#include "import/tf/tf_ops.h"

namespace deepshark::tf_import {

namespace {

ValueId scalar(Converter& c, const std::string& suffix, float v) {
  return c.add_constant(suffix, Tensor::from_values<float>({}, {v}));
}

// An operand of an elementwise op with an NCHW value: NCHW itself, or a constant of rank <= 4
// re-laid as NCHW (NumPy broadcasting aligns trailing dims, so pad the shape with leading 1s).
std::optional<ValueId> as_nchw_operand(Converter& c, const TfValue& v) {
  if (v.layout == Layout::Nchw) return v.id;
  const Value& val = c.g.value(v.id);
  if (!val.is_constant()) return std::nullopt;
  const Tensor& t = *val.constant;
  if (t.shape().size() > 4) return std::nullopt;
  if (t.numel() == 1 && t.shape().size() <= 1) return v.id;
  Shape s = t.shape();
  while (s.size() < 4) s.insert(s.begin(), 1);
  return c.add_constant("nchw_operand", permute_tensor(t.reshaped(s), {0, 3, 1, 2}));
}

}  // namespace

bool nchw_keeps_order(const std::vector<int64_t>& axes) {
  int64_t last = -1;
  for (int64_t d = 0; d < 4; ++d) {
    if (std::find(axes.begin(), axes.end(), d) != axes.end()) continue;
    int64_t p = nhwc_to_nchw_axis(d);
    if (p < last) return false;
    last = p;
  }
  return true;
}

Result<std::vector<int64_t>> normalize_axes(const Converter& c, std::vector<int64_t> axes, int64_t rank,
                                            const std::string& what) {
  for (int64_t& a : axes) {
    if (a < -rank || a >= rank) {
      return c.invalid(what + " " + std::to_string(a) + " out of range " +
                       expected_got("[" + std::to_string(-rank) + ", " + std::to_string(rank) + ")", std::to_string(a)));
    }
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  return axes;
}

Status convert_unary(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_TRY(TfValue x, c.input(0));
  const std::string& op = c.node->op();
  ValueId y;
  if (op == "Relu") {
    y = c.emit(OpType::Relu, {x.id});
  } else if (op == "Relu6") {
    y = c.emit(OpType::Clip, {x.id, scalar(c, "min", 0.f), scalar(c, "max", 6.f)});
  } else if (op == "Elu") {
    Attributes a;
    a.set_float("alpha", 1.f);
    y = c.emit(OpType::Elu, {x.id}, std::move(a));
  } else if (op == "Sigmoid") {
    y = c.emit(OpType::Sigmoid, {x.id});
  } else if (op == "Tanh") {
    y = c.emit(OpType::Tanh, {x.id});
  } else if (op == "Square") {
    y = c.emit(OpType::Mul, {x.id, x.id});
  } else {  // Rsqrt
    ValueId s = c.emit(OpType::Sqrt, {x.id}, {}, "sqrt");
    y = c.emit(OpType::Reciprocal, {s});
  }
  return c.set_output(y, x.layout);
}

Status convert_binary(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  const std::string& name = c.node->op();
  OpType op = OpType::Add;
  if (name == "Sub") op = OpType::Sub;
  else if (name == "Mul") op = OpType::Mul;
  else if (name == "RealDiv") op = OpType::Div;
  else if (name == "Maximum") op = OpType::Max;
  else if (name == "Minimum") op = OpType::Min;
  DS_TRY(TfValue a, c.input(0));
  DS_TRY(TfValue b, c.input(1));
  if (a.layout == Layout::Nchw || b.layout == Layout::Nchw) {
    std::optional<ValueId> na = as_nchw_operand(c, a), nb = as_nchw_operand(c, b);
    if (na && nb) return c.set_output(c.emit(op, {*na, *nb}), Layout::Nchw);
  }
  return c.set_output(c.emit(op, {c.to_native(a), c.to_native(b)}), Layout::Native);
}

Status convert_matmul(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_TRY(bool ta, c.attr_bool("transpose_a", false));
  DS_TRY(bool tb, c.attr_bool("transpose_b", false));
  DS_TRY(ValueId a, c.native(0));
  DS_TRY(ValueId b, c.native(1));
  if (!ta && !tb) return c.set_output(c.emit(OpType::MatMul, {a, b}));
  Attributes at;
  at.set_int("transA", ta ? 1 : 0);
  at.set_int("transB", tb ? 1 : 0);
  return c.set_output(c.emit(OpType::Gemm, {a, b}, std::move(at)));
}

Status convert_reduce(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  const OpType op = c.node->op() == "Sum" ? OpType::ReduceSum : OpType::ReduceMean;
  DS_TRY(bool keep, c.attr_bool("keep_dims", false));
  DS_TRY(TfValue x, c.input(0));
  DS_TRY(std::vector<int64_t> axes, c.const_ints(1));
  if (axes.empty()) return c.set_output(x);  // TF reduces over nothing
  Attributes a;
  a.set_int("keepdims", keep ? 1 : 0);
  if (x.layout == Layout::Nchw) {
    DS_TRY(std::vector<int64_t> ax, normalize_axes(c, axes, 4, "reduction index"));
    if (keep || nchw_keeps_order(ax)) {
      std::vector<int64_t> mapped;
      for (int64_t v : ax) mapped.push_back(nhwc_to_nchw_axis(v));
      std::sort(mapped.begin(), mapped.end());
      a.set_ints("axes", mapped);
      return c.set_output(c.emit(op, {x.id}, std::move(a)), keep ? Layout::Nchw : Layout::Native);
    }
  }
  a.set_ints("axes", axes);
  return c.set_output(c.emit(op, {c.to_native(x)}, std::move(a)));
}

Status convert_softmax(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_TRY(TfValue x, c.input(0));
  Attributes a;
  a.set_int("axis", x.layout == Layout::Nchw ? 1 : -1);
  return c.set_output(c.emit(OpType::Softmax, {x.id}, std::move(a)), x.layout);
}

}  // namespace deepshark::tf_import
