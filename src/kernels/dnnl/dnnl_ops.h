// Internal: one factory per op family, called by make_kernel's dispatch (dnnl_kernels.cc).
// Each returns Unsupported when oneDNN has no exact primitive for the node's attributes.
#pragma once

#include "kernels/dnnl/dnnl_common.h"

namespace deepshark::dnnl_backend {

Result<std::unique_ptr<Kernel>> make_conv(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_conv_transpose(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_gemm(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_matmul(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_pool(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_batch_norm(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_layer_norm(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_softmax(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_eltwise(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_binary(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_pow(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_reduce(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_transpose(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_concat(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_resize(const Graph& graph, const Node& node, const KernelConfig& config);
Result<std::unique_ptr<Kernel>> make_slice(const Graph& graph, const Node& node, const KernelConfig& config);

}  // namespace deepshark::dnnl_backend
