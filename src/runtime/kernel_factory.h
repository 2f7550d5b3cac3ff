// Kernel selection, shared by the executor and the packer so that a packed file's weight layouts
// are exactly the ones a session's kernels ask for: oneDNN first, the reference kernel where
// oneDNN has none (or when use_dnnl is false).
//
//   DS_TRY(auto k, ds::make_node_kernel(graph, node, config, /*use_dnnl=*/true));
#pragma once

#include <memory>
#include <string>

#include "graph/graph.h"
#include "kernels/kernel.h"

namespace deepshark {

// Errors other than "no oneDNN kernel" carry the node's name.
Result<std::unique_ptr<Kernel>> make_node_kernel(const Graph& graph, const Node& node, const KernelConfig& config,
                                                 bool use_dnnl);

// What weight layouts depend on: the CPU ISA oneDNN uses here, oneDNN's version and the thread
// count. A packed file records them; a session compares.
struct LayoutEnvironment {
  std::string isa;
  std::string dnnl_version;
  int threads = 1;
};
LayoutEnvironment layout_environment(int threads);

}  // namespace deepshark
