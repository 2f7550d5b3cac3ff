// Internal: the attributes the graph fusion pass puts on Conv / ConvTranspose / Gemm / MatMul,
// turned into oneDNN post-ops.
//   ds.activation  "Relu" | "LeakyRelu" | "Clip" | "Sigmoid" | "Tanh" | "HardSwish" |
//                  "HardSigmoid" | "Gelu" | "GeluTanh", with ds.alpha / ds.beta (LeakyRelu: slope;
//                  Clip: min, max; HardSigmoid: alpha, beta as in ONNX)
//   ds.residual    1: the node has one extra input (after the bias slot) added before the activation
//
//   dnnl::post_ops po;
//   DS_RETURN_IF_ERROR(append_fused_activation(node, po));
#pragma once

#include "kernels/dnnl/dnnl_common.h"

namespace deepshark::dnnl_backend {

// Appends the eltwise post-op(s) of ds.activation (nothing when absent); Unsupported for an
// unknown activation name.
Status append_fused_activation(const Node& node, dnnl::post_ops& po);

// True when ds.residual is set (non-zero).
bool has_fused_residual(const Node& node);

// Node input index of the fused residual: the last input (3 for Conv).
inline constexpr size_t kConvResidualInput = 3;

}  // namespace deepshark::dnnl_backend
