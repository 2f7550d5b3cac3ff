// prepare_graph: bind input shapes, then one pass in topological order that rewires around
// Identity/Dropout, infers each node's shapes and folds what is constant; then prune, verify and
// fuse.
#include "transform/prepare.h"

#include <algorithm>

#include "graph/shape_inference.h"
#include "transform/fold.h"

namespace deepshark {

namespace {

Status bind_error(const std::string& name, const std::string& reason) {
  return make_error(ErrorCode::InvalidArgument, "bind", "input", name, reason);
}

std::string input_names(const Graph& g) {
  std::string s;
  for (ValueId id : g.inputs) s += (s.empty() ? "" : ", ") + g.value(id).name;
  return s.empty() ? "no inputs" : s;
}

Status bind_inputs(Graph& g, const std::map<std::string, Shape>& overrides) {
  for (ValueId id : g.inputs) {
    if (id < 0 || static_cast<size_t>(id) >= g.values.size()) {
      return make_error(ErrorCode::InvalidModel, "bind", "inputs of graph", g.name, "input id out of range");
    }
  }
  for (const auto& override : overrides) {
    // Named, not a structured binding: lambdas capture it (clang 14 cannot capture bindings).
    const std::string& name = override.first;
    const Shape& shape = override.second;
    auto it = std::find_if(g.inputs.begin(), g.inputs.end(), [&](ValueId id) { return g.value(id).name == name; });
    if (it == g.inputs.end()) return bind_error(name, "no such input " + expected_got("one of: " + input_names(g), name));
    Value& v = g.value(*it);
    for (int64_t d : shape) {
      if (d < 0) return bind_error(name, "negative dimension in " + shape_to_string(shape) + " " + expected_got(">= 0", std::to_string(d)));
    }
    if (!checked_numel(shape)) return bind_error(name, "shape " + shape_to_string(shape) + " has too many elements");
    // A declared shape (static or with -1 dims) fixes the rank; an input declared without any
    // shape accepts any rank.
    bool declared = v.shape_known || !v.shape.empty();
    if (declared && v.shape.size() != shape.size()) {
      return bind_error(name, "rank mismatch " + expected_got(std::to_string(v.shape.size()) + " dims " + shape_to_string(v.shape),
                                                               std::to_string(shape.size()) + " dims " + shape_to_string(shape)));
    }
    for (size_t i = 0; declared && i < shape.size(); ++i) {
      if (v.shape[i] >= 0 && v.shape[i] != shape[i]) {
        return bind_error(name, "dimension " + std::to_string(i) + " contradicts the model " +
                                    expected_got(std::to_string(v.shape[i]) + " as in " + shape_to_string(v.shape),
                                                 std::to_string(shape[i])));
      }
    }
    v.shape = shape;
    v.shape_known = true;
  }
  for (ValueId id : g.inputs) {
    Value& v = g.value(id);
    if (v.shape_known) {
      bool ok = checked_numel(v.shape).has_value();
      for (int64_t d : v.shape) ok = ok && d >= 0;
      if (!ok) return bind_error(v.name, "invalid declared shape " + shape_to_string(v.shape));
      continue;
    }
    std::string what = v.shape.empty() ? "the model declares no shape"
                                       : "the model leaves dimensions of " + shape_to_string(v.shape) + " dynamic";
    return bind_error(v.name, what + "; pass its shape (an input file of that shape, or --shape " + v.name + "=1x3x224x224) " +
                                  expected_got("a static shape", shape_to_string(v.shape)));
  }
  return Status::ok_status();
}

bool is_noop(const Node& n) { return n.op == OpType::Identity || n.op == OpType::Dropout; }

}  // namespace

Status prepare_graph(Graph& g, const PrepareOptions& options) {
  DS_RETURN_IF_ERROR(bind_inputs(g, options.input_shapes));

  std::vector<bool> is_graph_output(g.values.size(), false);
  for (ValueId o : g.outputs) {
    if (o < 0 || static_cast<size_t>(o) >= g.values.size()) {
      return make_error(ErrorCode::InvalidModel, "prepare", "graph", g.name, "output id out of range");
    }
    is_graph_output[static_cast<size_t>(o)] = true;
  }
  // Values some node reads (to know whether a Dropout's mask is used).
  std::vector<bool> consumed(g.values.size(), false);
  for (const Node& n : g.nodes) {
    for (ValueId in : n.inputs) if (in >= 0 && static_cast<size_t>(in) < g.values.size()) consumed[in] = true;
  }

  // alias[v] = the value v is replaced by (removed Identity/Dropout outputs); -1 for none.
  std::vector<ValueId> alias(g.values.size(), kNoValue);
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  FoldBudget budget = fold_budget(g, options);
  for (Node& node : g.nodes) {
    for (ValueId& in : node.inputs) {
      if (in >= 0 && static_cast<size_t>(in) < alias.size() && alias[in] != kNoValue) in = alias[in];
    }
    DS_RETURN_IF_ERROR(infer_node(g, node));
    if (is_noop(node)) {
      ValueId x = node.input(0), y = node.outputs[0];
      ValueId mask = node.outputs.size() > 1 ? node.outputs[1] : kNoValue;
      bool mask_used = mask != kNoValue && (consumed[mask] || is_graph_output[mask]);
      if (!mask_used) {
        if (!is_graph_output[y]) {
          alias[y] = x;
          continue;
        }
        // The graph output keeps its name: keep a plain Identity producing it.
        node.op = OpType::Identity;
        node.inputs = {x};
        node.outputs = {y};
        node.attrs = Attributes();
      }
    }
    if (options.fold_constants) {
      DS_TRY(bool folded, fold_node(g, node, budget));
      if (folded) continue;
    }
    kept.push_back(std::move(node));
  }
  g.nodes = std::move(kept);
  g.prune();
  DS_RETURN_IF_ERROR(g.verify());
  if (options.fuse) {
    DS_TRY(FuseReport report, fuse_graph(g));
    if (options.fuse_report) *options.fuse_report = report;
  } else if (options.fuse_report) {
    *options.fuse_report = FuseReport{};
  }
  return Status::ok_status();
}

}  // namespace deepshark
