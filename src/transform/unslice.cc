#include "transform/unslice.h"

#include <cstring>
#include <optional>

namespace deepshark {

std::string plan_slice(const Graph& g, const Node& n, SlicePlan* p) {
  auto constant = [&](int i) { return n.input(i) != kNoValue && g.value(n.input(i)).is_constant(); };
  const Value& out = g.value(n.outputs[0]);
  switch (n.op) {
    case OpType::Conv:
    case OpType::ConvTranspose: {
      if (n.attrs.get_int("group", 1) != 1) return "grouped convolution";
      if (!constant(1)) return "weights are not constant";
      p->weight_axis = n.op == OpType::Conv ? 0 : 1;
      p->output_axis = 1;
      if (n.input(2) != kNoValue) {
        if (!constant(2)) return "bias is not constant";
        p->bias_input = 2;
        p->bias_axis = 0;
      }
      // A fused residual is sliced too: each slice reads its channel range through a Slice
      // node, which runs as a view of the residual in its (blocked) layout (runtime/lifetimes).
      // (A Slice that copied into a plain tensor made the residual's producer pick another
      // kernel, whose bits differed: measured on ResNet-50, 1.5e-5.)
      if (n.attrs.get_int("ds.residual", 0) != 0) {
        if (n.op != OpType::Conv || n.input(3) == kNoValue || constant(3)) return "residual is not a runtime tensor";
        p->residual_input = 3;
      }
      return "";
    }
    case OpType::Gemm: {
      if (!constant(1)) return "B is not constant";
      if (n.attrs.get_int("transA", 0) != 0 && g.value(n.input(0)).shape.size() != 2) return "unsupported A";
      p->weight_axis = n.attrs.get_int("transB", 0) ? 0 : 1;
      p->output_axis = 1;
      if (n.input(2) != kNoValue) {
        if (!constant(2)) return "C is not constant";
        const Shape& c = g.value(n.input(2)).shape;
        if (!c.empty() && c.back() == out.shape.back() && c.back() != 1) {
          p->bias_input = 2;
          p->bias_axis = static_cast<int>(c.size()) - 1;
        }
      }
      return "";
    }
    case OpType::MatMul: {
      if (!constant(1) || g.value(n.input(1)).shape.size() != 2) return "B is not a constant matrix";
      p->weight_axis = 1;
      p->output_axis = static_cast<int>(out.shape.size()) - 1;
      if (n.input(2) != kNoValue) {  // fused bias [N]
        if (!constant(2) || g.value(n.input(2)).shape.size() != 1) return "bias is not a constant vector";
        p->bias_input = 2;
        p->bias_axis = 0;
      }
      return "";
    }
    default:
      return "op cannot be sliced";
  }
}


namespace {

bool same_attributes(const Attributes& a, const Attributes& b) {
  if (a.all().size() != b.all().size()) return false;
  for (const auto& [name, x] : a.all()) {
    const Attribute* y = b.find(name);
    if (!y || y->kind != x.kind || y->i != x.i || y->s != x.s || y->ints != x.ints || y->kind == AttrKind::Tensor) {
      return false;
    }
    if (std::memcmp(&y->f, &x.f, sizeof(float)) != 0 || y->floats.size() != x.floats.size() ||
        (!x.floats.empty() && std::memcmp(y->floats.data(), x.floats.data(), x.floats.size() * sizeof(float)) != 0)) {
      return false;
    }
  }
  return true;
}

// The constants of the slices joined along `axis`: shape-only when every part is, the data joined
// when every part has it; nullopt when they cannot be joined (mixed, other dims differ); an error
// when memory for the joined data cannot be allocated.
Result<std::optional<Tensor>> join_constants(const Graph& g, const std::vector<ValueId>& parts, int axis) {
  const Tensor& first = *g.value(parts[0]).constant;
  Shape shape = first.shape();
  if (axis < 0 || static_cast<size_t>(axis) >= shape.size()) return std::optional<Tensor>();
  int64_t total = 0;
  for (ValueId v : parts) {
    const Value& pv = g.value(v);
    if (!pv.constant || pv.constant->dtype() != first.dtype() || pv.constant->shape().size() != shape.size() ||
        pv.constant->has_data() != first.has_data()) {
      return std::optional<Tensor>();
    }
    for (size_t d = 0; d < shape.size(); ++d) {
      if (static_cast<int>(d) != axis && pv.constant->shape()[d] != shape[d]) return std::optional<Tensor>();
    }
    total += pv.constant->shape()[axis];
  }
  shape[axis] = total;
  if (!first.has_data()) return std::optional<Tensor>(Tensor::shape_only(first.dtype(), shape));
  DS_TRY(Tensor joined, Tensor::create(first.dtype(), shape, default_allocator(), MemoryClass::Weights));
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (size_t d = axis + 1; d < shape.size(); ++d) inner *= shape[d];
  const uint64_t es = dtype_size(first.dtype());
  int64_t at = 0;
  for (ValueId v : parts) {
    const Tensor& t = *g.value(v).constant;
    const uint64_t row = static_cast<uint64_t>(t.shape()[axis] * inner) * es;
    for (int64_t o = 0; o < outer; ++o) {
      std::memcpy(joined.raw() + (static_cast<uint64_t>(o * total + at) * inner) * es, t.raw() + o * row, row);
    }
    at += t.shape()[axis];
  }
  return std::optional<Tensor>(std::move(joined));
}

std::string strip_suffix(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0
             ? s.substr(0, s.size() - suffix.size())
             : s;
}

}  // namespace

std::vector<SliceGroup> find_slice_groups(const Graph& g) {
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (ValueId o : g.nodes[i].outputs) {
      if (o >= 0 && static_cast<size_t>(o) < producer.size()) producer[o] = static_cast<int>(i);
    }
  }
  std::vector<SliceGroup> groups;
  for (size_t c = 0; c < g.nodes.size(); ++c) {
    const Node& cat = g.nodes[c];
    const std::string base = strip_suffix(cat.name, "#concat");
    if (cat.op != OpType::Concat || base == cat.name || cat.inputs.size() < 2 || cat.outputs.size() != 1) continue;
    SliceGroup grp{base, static_cast<int>(c), {}};
    for (size_t k = 0; k < cat.inputs.size(); ++k) {
      const ValueId in = cat.inputs[k];
      const int p = in >= 0 && static_cast<size_t>(in) < producer.size() ? producer[in] : -1;
      if (p < 0 || g.nodes[p].name != base + "#s" + std::to_string(k) || g.nodes[p].outputs.size() != 1) break;
      grp.slices.push_back(p);
    }
    if (grp.slices.size() == cat.inputs.size()) groups.push_back(std::move(grp));
  }
  return groups;
}

Result<UnslicedGraph> unslice_graph(const Graph& sliced, const std::set<std::string>& keep_sliced) {
  UnslicedGraph u;
  u.graph = sliced;
  const size_t n_nodes = sliced.nodes.size();
  std::vector<int> producer(sliced.values.size(), -1), uses(sliced.values.size(), 0);
  for (size_t i = 0; i < n_nodes; ++i) {
    for (ValueId o : sliced.nodes[i].outputs) {
      if (o >= 0 && static_cast<size_t>(o) < producer.size()) producer[o] = static_cast<int>(i);
    }
    for (ValueId in : sliced.nodes[i].inputs) {
      if (in >= 0 && static_cast<size_t>(in) < uses.size()) ++uses[in];
    }
  }
  for (ValueId o : sliced.outputs) {
    if (o >= 0 && static_cast<size_t>(o) < uses.size()) ++uses[o];
  }
  // Per sliced node: the group whose Concat it is (>= 0), or -2 when it is a slice or a residual
  // Slice of a group (dropped), -1 otherwise.
  std::vector<int> role(n_nodes, -1);
  std::vector<Node> merged_nodes;
  std::vector<std::vector<int>> group_slices;
  Graph& g = u.graph;
  for (const SliceGroup& found : find_slice_groups(sliced)) {
    const size_t c = static_cast<size_t>(found.concat);
    const Node& cat = sliced.nodes[c];
    const std::string& base = found.name;
    if (keep_sliced.count(base) != 0) continue;
    std::vector<int> slices = found.slices, res_slices;
    // A slice's output feeds the Concat only (it is dropped with it).
    bool ok = true;
    for (size_t k = 0; k < slices.size(); ++k) ok = ok && uses[cat.inputs[k]] == 1;
    if (!ok) continue;
    const Node& s0 = sliced.nodes[slices[0]];
    SlicePlan plan;
    if (!plan_slice(sliced, s0, &plan).empty() || cat.attrs.get_int("axis", 0) != plan.output_axis) continue;
    Node whole;
    whole.op = s0.op;
    whole.name = base;
    whole.attrs = s0.attrs;
    whole.inputs = s0.inputs;
    whole.outputs = cat.outputs;
    std::vector<std::pair<size_t, Tensor>> joined_inputs;  // added to the graph once the group is whole
    for (size_t i = 0; i < s0.inputs.size() && ok; ++i) {
      std::vector<ValueId> parts;
      for (int s : slices) {
        const Node& sn = sliced.nodes[s];
        ok = ok && sn.op == s0.op && sn.inputs.size() == s0.inputs.size() && same_attributes(sn.attrs, s0.attrs);
        if (ok) parts.push_back(sn.inputs[i]);
      }
      if (!ok) break;
      if (static_cast<int>(i) == plan.weight_input || static_cast<int>(i) == plan.bias_input) {
        const int axis = static_cast<int>(i) == plan.weight_input ? plan.weight_axis : plan.bias_axis;
        DS_TRY(std::optional<Tensor> joined, join_constants(sliced, parts, axis));
        ok = joined.has_value();
        if (ok) joined_inputs.emplace_back(i, std::move(*joined));
      } else if (static_cast<int>(i) == plan.residual_input) {
        // Each slice reads its channel range of the residual through "X#sK#res".
        ValueId full = kNoValue;
        for (size_t k = 0; k < parts.size() && ok; ++k) {
          const int p = parts[k] >= 0 ? producer[parts[k]] : -1;
          ok = p >= 0 && sliced.nodes[p].op == OpType::Slice &&
               sliced.nodes[p].name == base + "#s" + std::to_string(k) + "#res" && !sliced.nodes[p].inputs.empty() &&
               uses[parts[k]] == 1 && (k == 0 || sliced.nodes[p].inputs[0] == full);
          if (ok) {
            full = sliced.nodes[p].inputs[0];
            res_slices.push_back(p);
          }
        }
        if (ok) whole.inputs[i] = full;
      } else {
        for (ValueId v : parts) ok = ok && v == parts[0];
      }
    }
    if (!ok) continue;
    for (auto& [i, t] : joined_inputs) {
      whole.inputs[i] = g.add_constant(strip_suffix(sliced.value(s0.inputs[i]).name, "#s0"), std::move(t));
    }
    role[c] = static_cast<int>(merged_nodes.size());
    for (int s : slices) role[s] = -2;
    for (int s : res_slices) role[s] = -2;
    merged_nodes.push_back(std::move(whole));
    group_slices.push_back(std::move(slices));
  }
  if (merged_nodes.empty()) {
    u.node_of.resize(n_nodes);
    for (size_t i = 0; i < n_nodes; ++i) u.node_of[i] = static_cast<int>(i);
    return u;
  }
  std::vector<Node> nodes;
  u.node_of.assign(n_nodes, -1);
  for (size_t i = 0; i < n_nodes; ++i) {
    if (role[i] == -2) continue;
    if (role[i] >= 0) {
      UnslicedGroup grp;
      grp.node = static_cast<int>(nodes.size());
      grp.slices = group_slices[role[i]];
      for (int s : grp.slices) u.node_of[s] = grp.node;
      u.groups.push_back(std::move(grp));
      nodes.push_back(std::move(merged_nodes[role[i]]));
      continue;
    }
    u.node_of[i] = static_cast<int>(nodes.size());
    nodes.push_back(sliced.nodes[i]);
  }
  g.nodes = std::move(nodes);
  DS_RETURN_IF_ERROR(g.verify().with_context("failed to put the sliced nodes of '" + sliced.name + "' back together"));
  return u;
}

}  // namespace deepshark
