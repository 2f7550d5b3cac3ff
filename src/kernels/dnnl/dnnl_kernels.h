// oneDNN-backed kernels for the compute-heavy ops (convolution, deconvolution, inner product /
// matmul, pooling, normalisation, softmax, eltwise, binary).
//
//   auto k = ds::dnnl_backend::make_kernel(graph, node, config);
//   if (!k.ok() && k.status().code() == ds::ErrorCode::Unsupported) { /* use ref::make_kernel */ }
//
// Weights are re-laid once into the layout the primitive asks for (format_tag::any) and exposed
// as weight slots (see kernel.h); scratchpads are user-mode and reported by scratch_bytes().
#pragma once

#include <memory>

#include "base/status.h"
#include "graph/graph.h"
#include "kernels/kernel.h"

namespace deepshark::dnnl_backend {

// Unsupported when this op / attribute / dtype combination has no oneDNN kernel here (the
// caller falls back to the reference kernel); other errors are real failures.
Result<std::unique_ptr<Kernel>> make_kernel(const Graph& graph, const Node& node, const KernelConfig& config);

// Channel block of ActLayout::Blocked activations: 16 (nChw16c) on AVX-512 CPUs, else 8 (nChw8c).
int activation_block();

// Sets the thread count oneDNN uses (OpenMP).
void set_threads(int threads);

}  // namespace deepshark::dnnl_backend
