// Value lifetimes of a prepared graph, the input to the activation arena planner.
//
// Step i is node i. Graph inputs live in the caller's memory and constants in weight memory, so
// neither takes arena space. Reshape-like nodes (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Dropout) whose input is not a constant run as views: their output shares its input's storage
// (the alias root), and the root's lifetime covers both.
//
//   ds::ValueLifetimes lt = ds::compute_lifetimes(graph);
//   ds::ArenaLayout layout = ds::plan_arena(lt.requests, 64);
#pragma once

#include <vector>

#include "graph/graph.h"
#include "runtime/arena_planner.h"

namespace deepshark {

// True when node runs as a view of its first input (no kernel, no copy).
bool is_alias_node(const Graph& graph, const Node& node);

struct ValueLifetimes {
  std::vector<ValueId> alias_root;      // per value: the value whose storage it uses
  std::vector<bool> alias_node;         // per node
  std::vector<ArenaRequest> requests;   // one per arena-resident root value
  std::vector<ValueId> request_value;   // the value of each request
};

// value_bytes: bytes per value in its layout (runtime/layout_assign's plan_value_bytes); empty =
// the plain size numel * dtype size.
ValueLifetimes compute_lifetimes(const Graph& graph, const std::vector<uint64_t>& value_bytes = {});

}  // namespace deepshark
