// The conversion context of the TF importer: TF tensor names -> graph values with their layout,
// node emission, layout conversion at the boundary, attribute access. Internal to the importer;
// the per-op converters (tf_ops_*.cc) work on it.
//
//   Status convert_Relu(Converter& c) {
//     DS_TRY(TfValue x, c.input(0));
//     return c.set_output(c.emit(OpType::Relu, {x.id}), x.layout);
//   }
#pragma once

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"
#include "import/tf/tf_graph.pb.h"

namespace deepshark::tf_import {

// Native: the data is in the order TensorFlow sees. Nchw: a 4-D value TensorFlow sees as NHWC,
// held as NCHW (converted at the boundary, see tf_importer.h).
enum class Layout : uint8_t { Native, Nchw };

// Rewrites that span several TF nodes (dilated convolution) mark the values between them.
// Rewritten: a dilated convolution already taken by its BatchToSpaceND (a second use would
// read the rewritten node).
enum class Pending : uint8_t { None, SpaceToBatch, DilatedConv, Rewritten };

struct TfValue {
  ValueId id = kNoValue;
  std::string tf_name;  // "node" or "node:k", for naming conversions
  Layout layout = Layout::Native;
  Pending pending = Pending::None;
  // SpaceToBatch: block (h, w), paddings (top, bottom, left, right). DilatedConv: the Conv node.
  std::vector<int64_t> block, pads;
  size_t conv_node = 0;
};

// NHWC position -> NCHW position of an axis of a 4-D value.
int64_t nhwc_to_nchw_axis(int64_t axis);

class Converter {
 public:
  Graph g;
  const tf::NodeDef* node = nullptr;  // the node being converted
  uint64_t splat_budget = 0;          // bytes left for splat constants (tf_tensor.h), set by the importer

  // ---- errors about the current node: "failed to import node '<name>': <reason>"
  Status invalid(const std::string& reason) const;
  Status unsupported(const std::string& reason) const;

  // ---- inputs (control inputs excluded)
  size_t input_count() const { return data_inputs_.size(); }
  // Canonical "node:k" name of input i (i < input_count()).
  const std::string& input_name(size_t i) const { return data_inputs_[i]; }
  Status require_inputs(size_t min, size_t max) const;
  // Input i as it is (no layout change). Pending values are refused unless `allow_pending`.
  Result<TfValue> input(size_t i, bool allow_pending = false) const;
  // Input i in TensorFlow's order (NCHW values are transposed back, once per value).
  Result<ValueId> native(size_t i);
  // Input i, a 4-D NHWC value, as NCHW (transposed once per value; constants re-laid here).
  Result<ValueId> nchw(size_t i);
  Result<ValueId> to_nchw(const TfValue& v);
  // Input i must be a constant at import time (Const, maybe through Identity).
  Result<Tensor> constant(size_t i) const;
  // A constant integer input (I32/I64) as int64 values.
  Result<std::vector<int64_t>> const_ints(size_t i) const;

  // ---- emission
  // New node of the current TF node; `suffix` names helper nodes ("" for the main one). Returns
  // output 0 (fresh value).
  ValueId emit(OpType op, std::vector<ValueId> inputs, Attributes attrs = {}, const std::string& suffix = "");
  size_t last_node() const { return g.nodes.size() - 1; }
  ValueId add_constant(const std::string& suffix, Tensor t);
  // A value named after the current node (graph inputs, Const nodes).
  ValueId own_value(DType dtype = DType::F32, Shape shape = {}, bool known = false);
  ValueId own_constant(Tensor t);
  ValueId i64_constant(const std::string& suffix, const std::vector<int64_t>& v);
  // Output k of the current node.
  Status set_output(ValueId id, Layout layout = Layout::Native, size_t k = 0);
  Status set_output(TfValue v, size_t k = 0);
  // Converts a value to TF order / to NCHW (emitting a Transpose, cached).
  ValueId to_native(const TfValue& v);

  // ---- attributes of the current node
  const tf::AttrValue* attr(const std::string& name) const;
  Result<std::string> attr_string(const std::string& name, const std::string& def) const;
  Result<int64_t> attr_int(const std::string& name, int64_t def) const;
  Result<float> attr_float(const std::string& name, float def) const;
  Result<bool> attr_bool(const std::string& name, bool def) const;
  // A list(int) attribute; `def` when absent.
  Result<std::vector<int64_t>> attr_ints(const std::string& name, std::vector<int64_t> def) const;
  // "NHWC" (default) or "NCHW"; Unsupported otherwise.
  Result<bool> nhwc_format() const;

  // ---- used by the driver
  void begin_node(const tf::NodeDef& n);
  void define(const std::string& tensor, TfValue v) { values_[tensor] = std::move(v); }
  const TfValue* find(const std::string& tensor) const;
  // `want` if no graph value has it and it is not reserved for a TF node, else want/1, want/2...
  std::string unique_name(const std::string& want);
  // TF node names: helpers never take them, the node itself does.
  void reserve_name(const std::string& n) { reserved_.insert(n); }
  // `want` if no graph value has it yet (even when reserved for a TF node), else a fresh variant;
  // the name is taken.
  std::string claim_name(const std::string& want);
  // Renames a value (the importer never calls Graph::find_value before it is done).
  void rename(ValueId id, const std::string& name);

 private:
  std::unordered_map<std::string, TfValue> values_;
  std::vector<std::string> data_inputs_;  // canonical "node:k" names
  std::unordered_set<std::string> reserved_, in_graph_;
  // A name free in the graph that is either unreserved or reserved for `owner`.
  std::string name_for(const std::string& want, const std::string& owner);
  std::map<ValueId, ValueId> to_native_, to_nchw_;
};

// "node" -> "node:0"; "node:3" stays; "^node" (control) -> "".
std::string canonical_input(const std::string& s);
// The node name of an input ("node:3" -> "node", "^node" -> "node").
std::string input_node_name(const std::string& s);

// Re-lays a constant with a permutation (out dim i = in dim perm[i]).
Tensor permute_tensor(const Tensor& t, const std::vector<int64_t>& perm);

}  // namespace deepshark::tf_import
