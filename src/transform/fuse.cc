// fuse_graph: runs each fusion kind as one in-order pass over the nodes (kinds whose result
// another kind builds on go first: BN folding and pattern rewrites before the bias, residual
// and activation fusions), then re-infers every node and verifies the graph.
#include "transform/fuse.h"

#include <cmath>

#include "graph/shape_inference.h"
#include "transform/fuse_internal.h"

namespace deepshark {

namespace fuse_detail {

FuseCtx::FuseCtx(Graph& graph) : g(graph), dead_(graph.nodes.size(), false) { rebuild(); }

void FuseCtx::rebuild() {
  const size_t nv = g.values.size();
  is_output_.assign(nv, false);
  producer_.assign(nv, -1);
  readers_.assign(nv, {});
  for (ValueId o : g.outputs) {
    if (valid(o)) is_output_[o] = true;
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (dead_[i]) continue;
    for (ValueId in : g.nodes[i].inputs) {
      if (valid(in)) readers_[in].push_back(static_cast<int>(i));
    }
    for (ValueId out : g.nodes[i].outputs) {
      if (valid(out)) producer_[out] = static_cast<int>(i);
    }
  }
}

void FuseCtx::compact() {
  std::vector<Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (!dead_[i]) kept.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(kept);
  dead_.assign(g.nodes.size(), false);
  rebuild();
}

bool FuseCtx::single_use(ValueId v) const { return valid(v) && !is_output_[v] && readers_[v].size() == 1; }

int FuseCtx::consumer(ValueId v) const { return single_use(v) ? readers_[v][0] : -1; }

bool FuseCtx::has_data(ValueId v) const {
  if (!valid(v) || !g.value(v).is_constant()) return false;
  const Tensor& t = *g.value(v).constant;
  return t.has_data() || t.numel() == 0;
}

const Tensor* FuseCtx::float_constant(ValueId v) const {
  if (!has_data(v)) return nullptr;
  const Tensor& t = *g.value(v).constant;
  return t.dtype() == DType::F32 || t.dtype() == DType::F64 ? &t : nullptr;
}

std::optional<double> FuseCtx::scalar(ValueId v) const {
  const Tensor* t = float_constant(v);
  if (!t || t->numel() != 1) return std::nullopt;
  return t->dtype() == DType::F32 ? static_cast<double>(t->data<float>()[0]) : t->data<double>()[0];
}

bool FuseCtx::static_f32(ValueId v) const {
  return valid(v) && g.value(v).dtype == DType::F32 && g.value(v).shape_known;
}

ValueId FuseCtx::add_constant(const std::string& base, Tensor t) {
  std::string name = base;
  for (int k = 2; g.find_value(name) != kNoValue; ++k) name = base + "_" + std::to_string(k);
  ValueId id = g.add_constant(name, std::move(t));
  is_output_.push_back(false);
  producer_.push_back(-1);
  readers_.emplace_back();
  return id;
}

bool near(double v, double want) { return std::fabs(v - want) <= 1e-6 * std::max(1.0, std::fabs(want)); }

ValueId other_input(const Node& n, ValueId v) {
  if (n.inputs.size() != 2) return kNoValue;
  if (n.inputs[0] == v && n.inputs[1] != v) return n.inputs[1];
  if (n.inputs[1] == v && n.inputs[0] != v) return n.inputs[0];
  return kNoValue;
}

namespace {

using FuseFn = Result<bool> (*)(FuseCtx&, size_t);

Result<int> run_pass(Graph& g, FuseFn fn) {
  FuseCtx c(g);
  int count = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (c.dead(i)) continue;
    DS_TRY(bool fused, fn(c, i));
    if (fused) ++count;
  }
  c.compact();
  return count;
}

}  // namespace

}  // namespace fuse_detail

std::string FuseReport::to_string() const {
  return "fused " + std::to_string(batch_norm) + " batch_norm, " + std::to_string(gelu) + " gelu, " +
         std::to_string(layer_norm) + " layer_norm, " + std::to_string(matmul_bias) + " matmul_bias, " +
         std::to_string(residual) + " residual, " + std::to_string(activation) + " activation";
}

Result<FuseReport> fuse_graph(Graph& g) {
  using namespace fuse_detail;
  FuseReport r;
  DS_TRY(r.batch_norm, run_pass(g, fuse_batch_norm));
  DS_TRY(r.gelu, run_pass(g, fuse_gelu));
  DS_TRY(r.layer_norm, run_pass(g, fuse_layer_norm));
  DS_TRY(r.matmul_bias, run_pass(g, fuse_matmul_bias));
  DS_TRY(r.residual, run_pass(g, fuse_residual));
  DS_TRY(r.activation, run_pass(g, fuse_activation));
  if (r.total() == 0) return r;
  // Every rewritten node must still pass its shape rule with the shapes it replaced.
  for (const Node& n : g.nodes) {
    std::vector<Shape> before;
    for (ValueId o : n.outputs) before.push_back(o == kNoValue ? Shape{} : g.value(o).shape);
    Status s = infer_node(g, n);
    for (size_t k = 0; s.ok() && k < n.outputs.size(); ++k) {
      if (n.outputs[k] != kNoValue && g.value(n.outputs[k]).shape != before[k]) {
        s = Status(ErrorCode::Internal, "output shape changed " +
                                            expected_got(shape_to_string(before[k]), shape_to_string(g.value(n.outputs[k]).shape)));
      }
    }
    if (!s.ok()) {
      return Status(ErrorCode::Internal, s.message()).with_context("failed to fuse graph '" + g.name + "'");
    }
  }
  g.prune();
  Status v = g.verify();
  if (!v.ok()) return Status(ErrorCode::Internal, v.message()).with_context("failed to fuse graph '" + g.name + "'");
  return r;
}

}  // namespace deepshark
