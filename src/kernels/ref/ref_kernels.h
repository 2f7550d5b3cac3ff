// Reference kernels: plain loops for every op in op_list.h, the oracle every optimised kernel
// is tested against and the fallback where no optimised kernel exists.
// Float reductions (convolution, matmul, pooling sums, normalisation statistics) accumulate in
// double where cheap.
//
//   DS_RETURN_IF_ERROR(ds::ref::run_node(graph, node, inputs, outputs));
//   DS_TRY(auto k, ds::ref::make_kernel(graph, node));
#pragma once

#include <memory>
#include <span>

#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"
#include "kernels/kernel.h"

namespace deepshark::ref {

// Computes `node` on views whose shapes were set by shape inference. Unsupported naming the
// op when a dtype/attribute combination is not implemented. Does not allocate for common ops
// (some, like Resize, may use small temporaries).
Status run_node(const Graph& graph, const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs);

// A Kernel that calls run_node (no weight slots, no scratch).
Result<std::unique_ptr<Kernel>> make_kernel(const Graph& graph, const Node& node);

}  // namespace deepshark::ref
