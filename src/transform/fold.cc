// fold_node: Constant and Shape fold directly; every other node with all-constant inputs is
// computed by the reference kernels (falling back to the built-in integer folder).
#include "transform/fold.h"

#include <algorithm>

#include "graph/flops.h"
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

uint64_t mul_sat(uint64_t a, uint64_t b) {
  uint64_t r;
  return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}
uint64_t add_sat(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }

uint64_t elements(const Graph& g, const std::vector<ValueId>& ids) {
  uint64_t n = 0;
  for (ValueId id : ids) {
    if (!valid_id(g, id) || !g.value(id).shape_known) continue;
    auto e = checked_numel(g.value(id).shape);
    n = add_sat(n, e ? static_cast<uint64_t>(*e) : UINT64_MAX);
  }
  return n;
}

}  // namespace

FoldBudget fold_budget(const Graph& g, const PrepareOptions& options) {
  uint64_t constant_bytes = 0;
  for (const Value& v : g.values) {
    if (v.is_constant()) constant_bytes = add_sat(constant_bytes, v.constant->bytes());
  }
  for (const Node& n : g.nodes) {
    if (n.op != OpType::Constant) continue;
    for (const auto& [name, a] : n.attrs.all()) {
      if (a.kind == AttrKind::Tensor) constant_bytes = add_sat(constant_bytes, a.t.bytes());
    }
  }
  FoldBudget b;
  b.node_bytes = options.fold_limit_bytes;
  b.node_work = options.fold_limit_work;
  b.total_bytes = add_sat(options.fold_budget_bytes, mul_sat(2, constant_bytes));
  b.total_work = add_sat(options.fold_budget_work, mul_sat(4, constant_bytes));
  return b;
}

uint64_t fold_work(const Graph& g, const Node& node) {
  const uint64_t out = elements(g, node.outputs);
  uint64_t work = std::max({node_flops(g, node), elements(g, node.inputs), out});
  if (node.op == OpType::MaxPool || node.op == OpType::AveragePool) {
    uint64_t window = 1;
    for (int64_t k : node.attrs.get_ints("kernel_shape", {})) window = mul_sat(window, k > 0 ? static_cast<uint64_t>(k) : 1);
    work = std::max(work, mul_sat(out, window));
  }
  if ((node.op == OpType::Resize || node.op == OpType::Upsample) && !node.outputs.empty() && valid_id(g, node.outputs[0])) {
    // The reference kernel visits 2^rank corners per output element.
    const size_t rank = g.value(node.outputs[0]).shape.size();
    work = std::max(work, mul_sat(out, rank < 63 ? uint64_t{1} << rank : UINT64_MAX));
  }
  return work;
}

Result<bool> fold_node(Graph& g, const Node& node, FoldBudget& budget) {
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
    if (out_bytes > budget.node_bytes) return false;
  }
  const uint64_t work = fold_work(g, node);
  if (work > budget.node_work) return false;
  // Over the totals: the model computes constants out of all proportion to its size.
  auto over = [&](const char* what, const char* unit, uint64_t need, uint64_t total) {
    return make_error(ErrorCode::InvalidModel, "fold", "node", label(node),
                      std::string("constant folding exceeds its ") + what + " budget (docs/robustness.md) " +
                          expected_got("<= " + std::to_string(total) + unit, std::to_string(need) + unit));
  };
  if (add_sat(budget.used_bytes, out_bytes) > budget.total_bytes) {
    return over("size", " bytes", add_sat(budget.used_bytes, out_bytes), budget.total_bytes);
  }
  if (add_sat(budget.used_work, work) > budget.total_work) {
    return over("work", " operations", add_sat(budget.used_work, work), budget.total_work);
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
  budget.used_bytes += out_bytes;
  budget.used_work += work;
  return true;
}

}  // namespace deepshark
