// Slicing parameters (which input of a node holds the weight cut along output channels, which
// bias goes with it) and the inverse of pack's slicing: the graph with every sliced node whole
// again, for sessions that keep every piece resident (DESIGN.md §5: at a budget >= the model the
// run is a plain in-memory run, with the unsliced node's kernel and no Concat).
//
//   DS_TRY(ds::UnslicedGraph u, ds::unslice_graph(dsk_graph));
//   u.graph;              // slices + Concat replaced by the original node, weights concatenated
//   u.groups[i].slices;   // the slice nodes (indices in dsk_graph) that node i was cut into
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark {

struct SlicePlan {
  int weight_input = 1;  // node input holding the sliced weight
  int weight_axis = 0;   // output-channel axis of the weight
  int output_axis = 1;   // output-channel axis of the output
  int bias_input = -1;   // input sliced alongside (bias / C), -1 none
  int bias_axis = 0;
  int residual_input = -1;  // a runtime input sliced alongside the output (fused residual), -1 none
};

// How to slice `n` (Conv / ConvTranspose with group 1, Gemm with constant B, MatMul with a
// constant 2-D B), or a reason why it cannot be sliced ("" when it can).
std::string plan_slice(const Graph& graph, const Node& n, SlicePlan* plan);

// One node as pack sliced it: a Concat "X#concat" whose input k is the only output of node "X#sK".
struct SliceGroup {
  std::string name;         // X, the whole node's name
  int concat = -1;          // node index of the Concat
  std::vector<int> slices;  // node indices of X#s0, X#s1, ... (channel order)
};
std::vector<SliceGroup> find_slice_groups(const Graph& graph);

struct UnslicedGroup {
  int node = 0;             // the whole node, index in UnslicedGraph::graph
  std::vector<int> slices;  // its slices, indices in the sliced graph, in channel order
};

struct UnslicedGraph {
  Graph graph;
  std::vector<UnslicedGroup> groups;  // empty: nothing was sliced (graph is a copy)
  std::vector<int> node_of;           // sliced graph node -> node of `graph` that computes it (-1: none)
};

// Finds pack's slice groups (nodes "X#s0".."X#sK" feeding "X#concat", and "X#sK#res" Slices of a
// fused residual) and puts each node back together: same op and attributes, the full residual,
// the Concat's output, and weight / bias values spanning every slice. Concatenated weights are
// shape-only when the slices' are (their bytes live in pieces), else their data is joined here.
// A group that does not have exactly this shape stays sliced, and so do the groups named (by
// their whole node's name) in `keep_sliced`. Deterministic.
Result<UnslicedGraph> unslice_graph(const Graph& sliced, const std::set<std::string>& keep_sliced = {});

}  // namespace deepshark
