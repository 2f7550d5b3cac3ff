#include "runtime/lifetimes.h"

#include <algorithm>

namespace deepshark {

bool is_alias_node(const Graph& g, const Node& n) {
  switch (n.op) {
    case OpType::Reshape:
    case OpType::Flatten:
    case OpType::Squeeze:
    case OpType::Unsqueeze:
    case OpType::Identity:
    case OpType::Dropout:
      break;
    default:
      return false;
  }
  ValueId in = n.input(0);
  if (in == kNoValue || g.value(in).is_constant() || n.outputs.empty() || n.outputs[0] == kNoValue) return false;
  const Value& out = g.value(n.outputs[0]);
  const Value& src = g.value(in);
  return out.shape_known && src.shape_known && out.dtype == src.dtype && numel(out.shape) == numel(src.shape);
}

ValueLifetimes compute_lifetimes(const Graph& g, const std::vector<uint64_t>& value_bytes) {
  const size_t nv = g.values.size();
  ValueLifetimes lt;
  lt.alias_root.resize(nv);
  for (size_t i = 0; i < nv; ++i) lt.alias_root[i] = static_cast<ValueId>(i);
  lt.alias_node.assign(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!is_alias_node(g, n)) continue;
    lt.alias_node[i] = true;
    lt.alias_root[n.outputs[0]] = lt.alias_root[n.inputs[0]];
  }
  std::vector<bool> is_graph_input(nv, false);
  for (ValueId v : g.inputs) is_graph_input[v] = true;
  std::vector<int> first(nv, -1), last(nv, -1);
  auto touch = [&](ValueId v, int step) {
    ValueId r = lt.alias_root[v];
    if (first[r] < 0 || step < first[r]) first[r] = step;
    last[r] = std::max(last[r], step);
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (ValueId o : n.outputs) if (o != kNoValue) touch(o, static_cast<int>(i));
    for (ValueId in : n.inputs) if (in != kNoValue && !g.value(in).is_constant()) touch(in, static_cast<int>(i));
  }
  const int end = static_cast<int>(g.nodes.size());
  for (ValueId o : g.outputs) if (!g.value(o).is_constant()) touch(o, end);
  for (size_t v = 0; v < nv; ++v) {
    const Value& val = g.values[v];
    if (lt.alias_root[v] != static_cast<ValueId>(v) || val.is_constant() || is_graph_input[v] || first[v] < 0) continue;
    uint64_t bytes = v < value_bytes.size() ? value_bytes[v]
                                            : static_cast<uint64_t>(numel(val.shape)) * dtype_size(val.dtype);
    lt.requests.push_back({bytes, first[v], last[v]});
    lt.request_value.push_back(static_cast<ValueId>(v));
  }
  return lt;
}

}  // namespace deepshark
