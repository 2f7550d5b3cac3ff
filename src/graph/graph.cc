#include "graph/graph.h"

#include <algorithm>
#include <deque>

namespace deepshark {

ValueId Graph::add_value(std::string n, DType dtype, Shape shape, bool known) {
  Value v;
  v.name = std::move(n);
  v.dtype = dtype;
  v.shape = std::move(shape);
  v.shape_known = known;
  values.push_back(std::move(v));
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::add_constant(std::string n, Tensor data) {
  ValueId id = add_value(std::move(n), data.dtype(), data.shape(), true);
  values[static_cast<size_t>(id)].constant = std::move(data);
  return id;
}

Node& Graph::add_node(OpType op, std::string n, std::vector<ValueId> in, std::vector<ValueId> out) {
  Node node;
  node.op = op;
  node.name = std::move(n);
  node.inputs = std::move(in);
  node.outputs = std::move(out);
  nodes.push_back(std::move(node));
  return nodes.back();
}

void Graph::rebuild_index() const {
  // Incremental: values are only appended. The first value of a name wins.
  for (size_t i = indexed_count_; i < values.size(); ++i) {
    if (!values[i].name.empty()) index_.emplace(values[i].name, static_cast<ValueId>(i));
  }
  indexed_count_ = values.size();
}

ValueId Graph::find_value(const std::string& n) const {
  if (indexed_count_ != values.size()) rebuild_index();
  auto it = index_.find(n);
  return it == index_.end() ? kNoValue : it->second;
}

namespace {
bool valid_id(const Graph& g, ValueId id) { return id >= 0 && static_cast<size_t>(id) < g.values.size(); }

std::string node_label(const Node& n) { return n.name.empty() ? std::string(op_name(n.op)) : n.name; }
}  // namespace

Status Graph::topo_sort() {
  const size_t nv = values.size();
  std::vector<int> producer(nv, -1);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (ValueId o : nodes[i].outputs) {
      if (o == kNoValue) continue;
      if (!valid_id(*this, o)) {
        return make_error(ErrorCode::InvalidModel, "sort", "node", node_label(nodes[i]), "output id out of range");
      }
      if (producer[o] != -1) {
        return make_error(ErrorCode::InvalidModel, "sort", "node", node_label(nodes[i]),
                          "value '" + values[o].name + "' is produced by more than one node");
      }
      if (values[o].is_constant()) {
        return make_error(ErrorCode::InvalidModel, "sort", "node", node_label(nodes[i]),
                          "output '" + values[o].name + "' is also an initializer");
      }
      producer[o] = static_cast<int>(i);
    }
  }
  std::vector<bool> is_input(nv, false);
  for (ValueId v : inputs) if (valid_id(*this, v)) is_input[v] = true;
  std::vector<int> missing(nodes.size(), 0);
  std::vector<std::vector<int>> consumers(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (ValueId in : nodes[i].inputs) {
      if (in == kNoValue) continue;
      if (!valid_id(*this, in)) {
        return make_error(ErrorCode::InvalidModel, "sort", "node", node_label(nodes[i]), "input id out of range");
      }
      if (producer[in] >= 0) {
        if (producer[in] == static_cast<int>(i)) {
          return make_error(ErrorCode::InvalidModel, "sort", "node", node_label(nodes[i]),
                            "node consumes its own output '" + values[in].name + "' (cycle)");
        }
        ++missing[i];
        consumers[producer[in]].push_back(static_cast<int>(i));
      } else if (!is_input[in] && !values[in].is_constant()) {
        return make_error(ErrorCode::InvalidModel, "sort", "node", node_label(nodes[i]),
                          "input '" + values[in].name +
                              "' is not produced by any node and is neither a graph input nor an initializer");
      }
    }
  }
  std::deque<int> ready;
  for (size_t i = 0; i < nodes.size(); ++i) if (missing[i] == 0) ready.push_back(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(nodes.size());
  // Kahn's algorithm, always taking the lowest original index that is ready: a sorted graph
  // keeps its order.
  std::vector<bool> queued(nodes.size(), false);
  std::vector<int> heap(ready.begin(), ready.end());
  auto cmp = [](int a, int b) { return a > b; };
  std::make_heap(heap.begin(), heap.end(), cmp);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), cmp);
    int n = heap.back();
    heap.pop_back();
    order.push_back(n);
    for (int c : consumers[n]) {
      if (--missing[c] == 0) {
        heap.push_back(c);
        std::push_heap(heap.begin(), heap.end(), cmp);
      }
    }
  }
  if (order.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (missing[i] > 0) {
        return make_error(ErrorCode::InvalidModel, "sort", "graph", name,
                          "cycle through node '" + node_label(nodes[i]) + "'");
      }
    }
  }
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (int i : order) sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
  for (ValueId o : outputs) {
    if (!valid_id(*this, o)) return make_error(ErrorCode::InvalidModel, "sort", "graph", name, "output id out of range");
    if (producer[o] < 0 && !is_input[o] && !values[o].is_constant()) {
      return make_error(ErrorCode::InvalidModel, "sort", "graph output", values[o].name, "nothing produces it");
    }
  }
  return Status::ok_status();
}

Status Graph::verify() const {
  std::vector<bool> available(values.size(), false);
  for (ValueId v : inputs) {
    if (!valid_id(*this, v)) return make_error(ErrorCode::InvalidModel, "verify", "graph", name, "input id out of range");
    available[v] = true;
  }
  for (size_t i = 0; i < values.size(); ++i) if (values[i].is_constant()) available[i] = true;
  for (const Node& n : nodes) {
    for (ValueId in : n.inputs) {
      if (in == kNoValue) continue;
      if (!valid_id(*this, in) || !available[in]) {
        return make_error(ErrorCode::InvalidModel, "verify", "node", node_label(n),
                          "input '" + (valid_id(*this, in) ? values[in].name : std::string("?")) +
                              "' is used before it is produced");
      }
    }
    for (ValueId o : n.outputs) {
      if (o == kNoValue) continue;
      if (!valid_id(*this, o) || available[o]) {
        return make_error(ErrorCode::InvalidModel, "verify", "node", node_label(n),
                          "output is out of range or produced twice");
      }
      available[o] = true;
    }
  }
  for (ValueId o : outputs) {
    if (!valid_id(*this, o) || !available[o]) {
      return make_error(ErrorCode::InvalidModel, "verify", "graph", name, "an output is never produced");
    }
  }
  return Status::ok_status();
}

void Graph::prune() {
  std::vector<bool> needed(values.size(), false);
  for (ValueId o : outputs) needed[o] = true;
  std::vector<bool> keep(nodes.size(), false);
  for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
    bool k = false;
    for (ValueId o : nodes[i].outputs) if (o != kNoValue && needed[o]) k = true;
    if (!k) continue;
    keep[i] = true;
    for (ValueId in : nodes[i].inputs) if (in != kNoValue) needed[in] = true;
  }
  std::vector<Node> kept;
  for (size_t i = 0; i < nodes.size(); ++i) if (keep[i]) kept.push_back(std::move(nodes[i]));
  nodes = std::move(kept);
  // Free constants nothing uses any more (values keep their ids; only the data goes).
  for (size_t i = 0; i < values.size(); ++i) {
    if (!needed[i] && values[i].is_constant()) values[i].constant.reset();
  }
}

uint64_t Graph::constant_bytes() const {
  std::vector<bool> seen(values.size(), false);
  uint64_t total = 0;
  for (const Node& n : nodes) {
    for (ValueId in : n.inputs) {
      if (in == kNoValue || seen[in] || !values[in].is_constant()) continue;
      seen[in] = true;
      total += values[in].constant->bytes();
    }
  }
  return total;
}

}  // namespace deepshark
