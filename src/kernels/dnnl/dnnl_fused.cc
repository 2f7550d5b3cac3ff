#include "kernels/dnnl/dnnl_fused.h"

#include <limits>

namespace deepshark::dnnl_backend {

Status append_fused_activation(const Node& node, dnnl::post_ops& po) {
  const Attributes& at = node.attrs;
  if (!at.has("ds.activation")) return Status::ok_status();
  const std::string act = at.get_string("ds.activation", "");
  using alg = dnnl::algorithm;
  const float inf = std::numeric_limits<float>::infinity();
  if (act == "Relu") {
    po.append_eltwise(1.f, alg::eltwise_relu, 0.f, 0.f);
  } else if (act == "LeakyRelu") {
    po.append_eltwise(1.f, alg::eltwise_relu, at.get_float("ds.alpha", 0.01f), 0.f);
  } else if (act == "Clip") {
    const float lo = at.get_float("ds.alpha", -inf), hi = at.get_float("ds.beta", inf);
    if (!(lo <= hi)) return unsupported(node, "fused Clip with min > max");
    po.append_eltwise(1.f, alg::eltwise_clip_v2, lo, hi);
  } else if (act == "Sigmoid") {
    po.append_eltwise(1.f, alg::eltwise_logistic, 0.f, 0.f);
  } else if (act == "Tanh") {
    po.append_eltwise(1.f, alg::eltwise_tanh, 0.f, 0.f);
  } else if (act == "HardSwish") {
    po.append_eltwise(1.f, alg::eltwise_hardswish, 0.f, 0.f);
  } else if (act == "HardSigmoid") {
    // max(0, min(1, alpha * x + beta)): no eltwise_hardsigmoid in oneDNN 2.6.
    po.append_eltwise(1.f, alg::eltwise_linear, at.get_float("ds.alpha", 0.2f), at.get_float("ds.beta", 0.5f));
    po.append_eltwise(1.f, alg::eltwise_clip_v2, 0.f, 1.f);
  } else if (act == "Gelu") {
    po.append_eltwise(1.f, alg::eltwise_gelu_erf, 0.f, 0.f);
  } else if (act == "GeluTanh") {
    po.append_eltwise(1.f, alg::eltwise_gelu_tanh, 0.f, 0.f);
  } else {
    return unsupported(node, "unknown fused activation '" + act + "'");
  }
  return Status::ok_status();
}

bool has_fused_residual(const Node& node) { return node.attrs.get_int("ds.residual", 0) != 0; }

}  // namespace deepshark::dnnl_backend
