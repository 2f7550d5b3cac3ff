// Arithmetic cost of a node with static shapes: multiply-adds count as two FLOPs, everything else
// as one per output element.
#pragma once

#include <cstdint>

#include "graph/graph.h"

namespace deepshark {

uint64_t node_flops(const Graph& graph, const Node& node);

}  // namespace deepshark
