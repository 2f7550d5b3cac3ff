// Slicing: a node whose weights exceed the slice limit is split along its output channels /
// output features into slices, each computing a disjoint part of the output, followed by a
// Concat that reassembles the original output. No reduction is reordered: every output element
// is computed by exactly the same arithmetic as before (whether the kernel then gives the same
// bits is verified, not assumed — see pack.h).
//
// Sliceable: Conv and ConvTranspose with group == 1 (weights split along output channels, bias
// with them; not when a residual is fused in (ds.residual): see slice.cc), Gemm with a
// constant B (split along N; C split when it varies along N), MatMul with a constant 2-D B (split
// along N, with its fused [N] bias). Fused activations (ds.activation) are elementwise and stay on
// every slice.
//
//   ds::SliceReport r = ds::slice_graph(graph, 2 << 20);   // graph must be prepared
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark {

struct SlicedNode {
  std::string name;
  int slices = 0;
  uint64_t weight_bytes = 0;
};

struct SliceReport {
  std::vector<SlicedNode> nodes;
  // Nodes over the limit that could not be sliced (e.g. grouped convolutions), with why.
  std::vector<std::string> unsliceable;
};

// Bytes of constant inputs a node reads (its weights).
uint64_t node_weight_bytes(const Graph& graph, const Node& node);

struct SliceOptions {
  uint64_t limit_bytes = 0;
  // Slice widths (output channels per slice, except the last) are multiples of this.
  int64_t channel_multiple = 16;
  // Optional check of a candidate width for a node (pack verifies the sliced node's bits against
  // the unsliced node's). Candidates are tried in order: an even split, the widest fitting width,
  // powers of two; a node no candidate passes stays whole and is reported. An error (e.g.
  // OutOfMemory while checking) stops slicing and is returned.
  std::function<Result<bool>(const Graph&, const Node&, int64_t width)> accept;
  // When > 0, every sliceable node over the limit is cut at exactly this width (no candidates).
  int64_t fixed_width = 0;
};

// Rewrites `graph` in place. The graph must have static shapes and constant data for the weights.
// Deterministic.
Result<SliceReport> slice_graph(Graph& graph, const SliceOptions& options);
inline Result<SliceReport> slice_graph(Graph& graph, uint64_t slice_limit_bytes, int64_t channel_multiple = 16) {
  SliceOptions o;
  o.limit_bytes = slice_limit_bytes;
  o.channel_multiple = channel_multiple;
  return slice_graph(graph, o);
}

}  // namespace deepshark
