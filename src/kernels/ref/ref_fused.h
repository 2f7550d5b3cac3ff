// Internal: the epilogue the graph fusion pass (transform/fuse.h) attaches to Conv,
// ConvTranspose, Gemm and MatMul, applied by their reference kernels after the main computation:
//   ds.residual = 1   add input 3 (same shape as the output) elementwise
//   ds.activation     "Relu" | "LeakyRelu" | "Clip" | "Sigmoid" | "Tanh" | "HardSwish" |
//                     "HardSigmoid" | "Gelu" | "GeluTanh", parameters in ds.alpha / ds.beta
//
//   DS_RETURN_IF_ERROR(apply_fused_epilogue(a));   // at the end of run_Conv, output 0 written
#pragma once

#include "kernels/ref/ref_common.h"

namespace deepshark::ref {

// Node input index of the fused residual (after X, W and the optional bias slot).
inline constexpr size_t kResidualInput = 3;

// Applies ds.residual and ds.activation in place to the F32 output 0 (nothing when neither is
// set). Unsupported for an unknown activation name; InvalidArgument when the residual is
// missing or its shape or dtype differs from the output's.
Status apply_fused_epilogue(const RefArgs& a);

}  // namespace deepshark::ref
