// Unary activations with an exact oneDNN eltwise algorithm, and broadcasting binary arithmetic
// where the first operand already has the output shape (oneDNN broadcasts src1 only).
#include <cstring>
#include <limits>

#include "kernels/dnnl/dnnl_ops.h"

namespace deepshark::dnnl_backend {
namespace {

using alg = dnnl::algorithm;

// A scalar constant input (Clip's min / max), or nullopt when absent.
Result<std::optional<float>> scalar_constant(const Graph& graph, const Node& node, size_t i) {
  if (node.input(i) == kNoValue) return std::optional<float>();
  const Tensor* t = constant_input(graph, node, i);
  if (!t || t->dtype() != DType::F32 || t->numel() != 1)
    return unsupported(node, "input " + std::to_string(i) + " is not a constant F32 scalar");
  return std::optional<float>(*t->data<float>());
}

struct EltwiseSpec {
  alg a;
  float alpha = 0.f, beta = 0.f;
};

Result<EltwiseSpec> eltwise_spec(const Graph& graph, const Node& node) {
  const Attributes& at = node.attrs;
  switch (node.op) {
    case OpType::Relu: return EltwiseSpec{alg::eltwise_relu};
    case OpType::LeakyRelu: return EltwiseSpec{alg::eltwise_relu, at.get_float("alpha", 0.01f)};
    case OpType::Elu: return EltwiseSpec{alg::eltwise_elu, at.get_float("alpha", 1.f)};
    case OpType::Sigmoid: return EltwiseSpec{alg::eltwise_logistic};
    case OpType::Tanh: return EltwiseSpec{alg::eltwise_tanh};
    case OpType::Exp: return EltwiseSpec{alg::eltwise_exp};
    case OpType::Log: return EltwiseSpec{alg::eltwise_log};
    case OpType::Sqrt: return EltwiseSpec{alg::eltwise_sqrt};
    case OpType::Abs: return EltwiseSpec{alg::eltwise_abs};
    case OpType::HardSwish: return EltwiseSpec{alg::eltwise_hardswish};
    case OpType::Gelu: {
      const std::string approx = at.get_string("approximate", "none");
      if (approx == "none") return EltwiseSpec{alg::eltwise_gelu_erf};
      if (approx == "tanh") return EltwiseSpec{alg::eltwise_gelu_tanh};
      return unsupported(node, "unknown approximate '" + approx + "'");
    }
    case OpType::Clip: {
      float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
      if (at.has("min") || at.has("max")) {  // opset 6 attributes
        lo = at.get_float("min", lo);
        hi = at.get_float("max", hi);
      } else {
        DS_TRY(std::optional<float> mn, scalar_constant(graph, node, 1));
        DS_TRY(std::optional<float> mx, scalar_constant(graph, node, 2));
        if (mn) lo = *mn;
        if (mx) hi = *mx;
      }
      if (!(lo <= hi)) return unsupported(node, "min > max");
      return EltwiseSpec{alg::eltwise_clip_v2, lo, hi};
    }
    default:
      // HardSigmoid (no eltwise_hardsigmoid in oneDNN 2.6), Erf (only inside gelu), Softplus
      // (soft_relu has no beta) ... have no exact primitive here.
      return unsupported(node, "no exact oneDNN eltwise algorithm");
  }
}

int64_t count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// One eltwise primitive over X. Plain X and Y: any shape is one flat vector. Otherwise the
// primitive works in X's layout and a reorder writes Y's when that differs.
Result<std::unique_ptr<Kernel>> eltwise_kernel(const Graph& graph, const Node& node, const KernelConfig& config,
                                               const EltwiseSpec& spec) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  if (x != y) return unsupported(node, "needs Y shaped like X");
  const bool plain = config.input_layout(0) == ActLayout::Plain && config.output_layout(0) == ActLayout::Plain;
  const memory::desc x_md = plain ? plain_desc({count(x)}) : act_desc(x, config.input_layout(0));
  const memory::desc y_md = plain ? x_md : act_desc(y, config.output_layout(0));
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "eltwise");
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, spec.a, x_md, spec.alpha, spec.beta);
    dnnl::eltwise_forward::primitive_desc pd(d, b.attr(), engine());
    auto ya = b.prepare_output(0, y_md, pd.dst_desc());
    int step = b.add_step(dnnl::eltwise_forward(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.finish_output(step, DNNL_ARG_DST, ya);
    if (!ya.direct) b.name_from(pd, "+reorders");
    return b.finish();
  });
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_eltwise(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(EltwiseSpec spec, eltwise_spec(graph, node));
  return eltwise_kernel(graph, node, config, spec);
}

Result<std::unique_ptr<Kernel>> make_pow(const Graph& graph, const Node& node, const KernelConfig& config) {
  // Only a constant scalar exponent: x^2 is eltwise_square, others eltwise_pow (alpha * x^beta).
  if (node.inputs.size() != 2) return unsupported(node, "needs two inputs");
  const Tensor* e = constant_input(graph, node, 1);
  if (!e || e->dtype() != DType::F32 || e->numel() != 1 || !e->has_data())
    return unsupported(node, "the exponent is not a constant F32 scalar");
  const float p = *e->data<float>();
  if (p == 2.f) return eltwise_kernel(graph, node, config, EltwiseSpec{alg::eltwise_square});
  if (p == 1.f) return eltwise_kernel(graph, node, config, EltwiseSpec{alg::eltwise_linear, 1.f, 0.f});
  return eltwise_kernel(graph, node, config, EltwiseSpec{alg::eltwise_pow, 1.f, p});
}

Result<std::unique_ptr<Kernel>> make_binary(const Graph& graph, const Node& node, const KernelConfig& config) {
  alg a;
  bool commutative = true;
  switch (node.op) {
    case OpType::Add: a = alg::binary_add; break;
    case OpType::Sub: a = alg::binary_sub; commutative = false; break;
    case OpType::Mul: a = alg::binary_mul; break;
    case OpType::Div: a = alg::binary_div; commutative = false; break;
    case OpType::Max: a = alg::binary_max; break;
    case OpType::Min: a = alg::binary_min; break;
    default: return unsupported(node, "not a binary op");
  }
  if (node.inputs.size() != 2) return unsupported(node, "needs exactly two inputs");
  DS_TRY(Shape s0, f32_input_shape(graph, node, 0));
  DS_TRY(Shape s1, f32_input_shape(graph, node, 1));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  int first = 0;
  if (s0 != y) {
    if (!commutative || s1 != y) return unsupported(node, "the first operand must have the output shape");
    first = 1;
  }
  const int second = 1 - first;
  Shape big = first == 0 ? s0 : s1, small = first == 0 ? s1 : s0;
  if (big.empty()) big = {1};
  if (small.size() > big.size()) return unsupported(node, "second operand has a higher rank");
  small.insert(small.begin(), big.size() - small.size(), 1);
  for (size_t i = 0; i < big.size(); ++i)
    if (small[i] != big[i] && small[i] != 1) return unsupported(node, "operands do not broadcast");
  // Blocked operands are read as they are (a broadcast operand keeps its own 4-D layout); the
  // primitive writes in the first operand's layout and a reorder gives Y's when that differs.
  const memory::desc src0 = act_desc(big, config.input_layout(first));
  const bool small_is_value = small.size() == (first == 0 ? s1 : s0).size();
  const memory::desc src1 = small_is_value ? act_desc(small, config.input_layout(second)) : plain_desc(small);
  const memory::desc y_md = act_desc(big, config.output_layout(0));
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "binary");
    dnnl::binary::desc d(a, src0, src1, src0);
    dnnl::binary::primitive_desc pd(d, b.attr(), engine());
    auto ya = b.prepare_output(0, y_md, pd.dst_desc());
    int step = b.add_step(dnnl::binary(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC_0, first, pd.src0_desc());
    b.bind_input(step, DNNL_ARG_SRC_1, second, pd.src1_desc());
    b.finish_output(step, DNNL_ARG_DST, ya);
    if (!ya.direct) b.name_from(pd, "+reorders");
    return b.finish();
  });
}

}  // namespace deepshark::dnnl_backend
