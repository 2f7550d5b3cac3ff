// The graph IR: values (tensors with dtype and shape, constants carry their data) and nodes (ops)
// in topological order. Importers produce it; nothing downstream knows which format it came from.
//
//   ds::Graph g;
//   ds::ValueId x = g.add_value("x", ds::DType::F32, {1, 3, 8, 8});
//   g.inputs.push_back(x);
//   ds::ValueId w = g.add_constant("w", weight_tensor);
//   ds::ValueId y = g.add_value("y");
//   g.add_node(ds::OpType::Conv, "conv1", {x, w}, {y});
//   g.outputs.push_back(y);
//   DS_RETURN_IF_ERROR(g.topo_sort());   // InvalidModel on cycles / dangling names
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "graph/attributes.h"
#include "graph/op_list.h"

namespace deepshark {

using ValueId = int32_t;
inline constexpr ValueId kNoValue = -1;  // an absent optional input

struct Value {
  std::string name;
  DType dtype = DType::F32;
  // Static shape once known. Before shape inference, graph inputs may hold -1 for dynamic dims
  // and intermediate values hold their (untrusted) declared shape or nothing.
  Shape shape;
  bool shape_known = false;
  // Set for weights and folded constants: the value's data.
  std::optional<Tensor> constant;

  bool is_constant() const { return constant.has_value(); }
};

struct Node {
  OpType op = OpType::Identity;
  std::string name;
  std::vector<ValueId> inputs;   // kNoValue marks an absent optional input
  std::vector<ValueId> outputs;
  Attributes attrs;

  // Input i, or kNoValue if absent / out of range.
  ValueId input(size_t i) const { return i < inputs.size() ? inputs[i] : kNoValue; }
};

class Graph {
 public:
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<ValueId> inputs;   // runtime inputs (never constants)
  std::vector<ValueId> outputs;

  ValueId add_value(std::string name, DType dtype = DType::F32, Shape shape = {}, bool shape_known = false);
  ValueId add_constant(std::string name, Tensor data);
  Node& add_node(OpType op, std::string name, std::vector<ValueId> inputs, std::vector<ValueId> outputs);

  Value& value(ValueId id) { return values.at(static_cast<size_t>(id)); }
  const Value& value(ValueId id) const { return values.at(static_cast<size_t>(id)); }
  // kNoValue when no value has that name.
  ValueId find_value(const std::string& name) const;

  // Orders nodes topologically (stable for already-sorted graphs). InvalidModel on a cycle,
  // a value produced twice, or an input that nothing produces and is neither a graph input nor
  // a constant (names the node and the value).
  Status topo_sort();
  // Structural checks: ids in range, each value produced at most once, every node input
  // available before use, outputs produced. InvalidModel naming the node otherwise.
  Status verify() const;
  // Drops nodes whose outputs reach no graph output, and values nothing refers to.
  void prune();

  // Total bytes of constant data referenced by nodes.
  uint64_t constant_bytes() const;

 private:
  mutable std::unordered_map<std::string, ValueId> index_;
  mutable size_t indexed_count_ = 0;
  void rebuild_index() const;
};

}  // namespace deepshark
