// fold_node: Constant and Shape fold directly; every other node with all-constant inputs is
// computed by the reference kernels (falling back to the built-in integer folder).
#include "transform/fold.h"

#include <algorithm>

#include "graph/shape_inference.h"
#include "kernels/ref/ref_kernels.h"

namespace deepshark {

namespace {

// Kernels treat data == nullptr as "absent": empty but present tensors get a dummy address.
alignas(64) std::byte g_empty_data[64];

std::string label(const Node& n) { return n.name.empty() ? std::string(op_name(n.op)) : n.name; }

bool valid_id(const Graph& g, ValueId id) { return id >= 0 && static_cast<size_t>(id) < g.values.size(); }

Tensor shape_of(const Node& node, const Shape& in) {
  int64_t rank = static_cast<int64_t>(in.size());
  auto clamp = [rank](int64_t v) {
    if (v < 0) v = v < -rank ? 0 : v + rank;
    return std::min(v, rank);
  };
  int64_t start = clamp(node.attrs.get_int("start", 0));
  int64_t end = std::max(start, clamp(node.attrs.get_int("end", rank)));
  std::vector<int64_t> dims(in.begin() + start, in.begin() + end);
  return Tensor::from_values<int64_t>({static_cast<int64_t>(dims.size())}, dims);
}

}  // namespace

Result<bool> fold_node(Graph& g, const Node& node, uint64_t limit_bytes) {
  if (node.op == OpType::Constant) {
    DS_TRY(Tensor t, constant_node_value(node));
    if (node.outputs.size() != 1 || !valid_id(g, node.outputs[0])) return false;
    g.value(node.outputs[0]).constant = std::move(t);
    return true;
  }
  if (node.op == OpType::Shape) {
    if (node.outputs.size() != 1 || !valid_id(g, node.input(0)) || !valid_id(g, node.outputs[0])) return false;
    const Value& x = g.value(node.input(0));
    if (!x.shape_known) return false;
    g.value(node.outputs[0]).constant = shape_of(node, x.shape);
    return true;
  }
  // Everything else: all present inputs constant, at least one input.
  bool any = false;
  for (ValueId in : node.inputs) {
    if (in == kNoValue) continue;
    if (!valid_id(g, in) || !g.value(in).is_constant()) return false;
    any = true;
  }
  if (!any) return false;
  uint64_t out_bytes = 0;
  for (ValueId o : node.outputs) {
    if (o == kNoValue) continue;
    if (!valid_id(g, o) || !g.value(o).shape_known) return false;
    auto n = checked_numel(g.value(o).shape);
    if (!n) return false;
    out_bytes += static_cast<uint64_t>(*n) * dtype_size(g.value(o).dtype);
    if (out_bytes > limit_bytes) return false;
  }

  std::vector<TensorView> in_views;
  for (ValueId in : node.inputs) {
    if (in == kNoValue) {
      in_views.push_back(TensorView{});
      continue;
    }
    TensorView v = g.value(in).constant->view();
    if (v.data == nullptr) v.data = g_empty_data;
    in_views.push_back(v);
  }
  std::vector<Tensor> outs;
  std::vector<TensorView> out_views;
  for (ValueId o : node.outputs) {
    if (o == kNoValue) {
      outs.emplace_back();
      out_views.push_back(TensorView{});
      continue;
    }
    DS_TRY(Tensor t, Tensor::create(g.value(o).dtype, g.value(o).shape));
    TensorView v = t.view();
    if (v.data == nullptr) v.data = g_empty_data;
    out_views.push_back(v);
    outs.push_back(std::move(t));
  }
  Status s = ref::run_node(g, node, in_views, out_views);
  if (s.code() == ErrorCode::Unsupported) s = fold_builtin(node, in_views, out_views);
  if (s.code() == ErrorCode::Unsupported) return false;
  if (!s.ok()) return s.with_context("failed to fold node '" + label(node) + "'");
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != kNoValue) g.value(node.outputs[i]).constant = std::move(outs[i]);
  }
  return true;
}

}  // namespace deepshark
