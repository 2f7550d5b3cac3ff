// Graph preparation between import and execution: bind the caller's input shapes, infer every
// value's static shape, fold constant subgraphs (shape arithmetic such as Shape -> Gather ->
// Concat -> Reshape), and drop no-op nodes (Identity, Dropout in inference).
//
//   DS_RETURN_IF_ERROR(ds::prepare_graph(graph, {{"input", {1, 3, 224, 224}}}));
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "graph/graph.h"
#include "transform/fuse.h"

namespace deepshark {

struct PrepareOptions {
  // Overrides for graph input shapes (required where the model leaves a dimension dynamic).
  std::map<std::string, Shape> input_shapes;
  // Fold nodes whose inputs are all constants, using the reference kernels.
  bool fold_constants = true;
  // Folding skips nodes whose outputs would exceed this many bytes (keeps big weights as they are).
  uint64_t fold_limit_bytes = uint64_t{64} << 20;
  // Run the fusion pass (fuse_graph) last; false keeps one node per original op (bisecting a
  // wrong answer to a fusion, or comparing speed with and without).
  bool fuse = true;
  // When set, receives what the fusion pass did (all zero when `fuse` is false).
  FuseReport* fuse_report = nullptr;
};

// InvalidArgument for an unknown input name, a wrong rank, or a dimension that contradicts a
// static one in the model; InvalidModel / Unsupported from shape inference, naming the node.
Status prepare_graph(Graph& graph, const PrepareOptions& options);

}  // namespace deepshark
