// Pattern rewrites of torch's decomposed exports into single ops:
//   GELU (erf form)  t = x / 1.4142135 (or x * 0.70710678); p = Erf(t) + 1;
//                    y = (x * p) * 0.5 | (x * 0.5) * p | (p * 0.5) * x   (operands in any order)
//                    => Gelu(x, approximate = "none")
//   LayerNorm        m = ReduceMean(x, [-1]); d = x - m; v = ReduceMean(d ^ 2, [-1]);
//                    y = d / Sqrt(v + eps) * gamma + beta  => LayerNormalization(x, gamma, beta)
// Every constant's value is checked (1e-6 relative); every intermediate must be read only inside
// the pattern. Anything else is left alone.
#include <algorithm>
#include <cmath>

#include "graph/shape_inference.h"
#include "transform/fuse_internal.h"

namespace deepshark::fuse_detail {

namespace {

// The node reading v when v is single-use and that node has type `op`; else -1.
int next_op(const FuseCtx& c, ValueId v, OpType op) {
  int j = c.consumer(v);
  return j >= 0 && c.g.nodes[j].op == op && c.g.nodes[j].outputs.size() == 1 ? j : -1;
}

bool is_scalar(const FuseCtx& c, ValueId v, double want) {
  std::optional<double> s = c.scalar(v);
  return s && near(*s, want);
}

// Replaces the chain `nodes` by one node in the slot of the chain's last node (whose output it
// takes over); the pattern's external inputs are all produced before that slot.
void rewrite(FuseCtx& c, const std::vector<int>& nodes, Node fused) {
  int last = *std::max_element(nodes.begin(), nodes.end());
  fused.outputs = c.g.nodes[last].outputs;
  for (int k : nodes) {
    if (k != last) c.kill(static_cast<size_t>(k));
  }
  c.g.nodes[last] = std::move(fused);
  c.rebuild();
}

// A constant F32 parameter of D values that broadcasts as [D] along the last axis of a rank-r
// tensor: the value itself when already [D], else a new [D] constant; kNoValue otherwise.
ValueId last_axis_param(FuseCtx& c, ValueId v, int64_t d, size_t r) {
  const Tensor* t = c.float_constant(v);
  if (!t || t->dtype() != DType::F32 || t->shape().empty() || t->shape().size() > r || t->shape().back() != d) return kNoValue;
  for (size_t k = 0; k + 1 < t->shape().size(); ++k) {
    if (t->shape()[k] != 1) return kNoValue;
  }
  if (t->shape().size() == 1) return v;
  return c.add_constant(c.g.value(v).name + ".ln", t->reshaped({d}));
}

// `n` is ReduceMean over exactly the last axis of a rank-r input, keeping dims.
bool mean_over_last_axis(const FuseCtx& c, const Node& n, size_t r) {
  if (n.op != OpType::ReduceMean || n.outputs.size() != 1 || n.attrs.get_int("keepdims", 1) != 1) return false;
  std::vector<int64_t> axes;
  if (n.input(1) != kNoValue) {
    if (n.inputs.size() != 2) return false;
    auto a = constant_ints(c.g, n.inputs[1]);
    if (!a) return false;
    axes = *a;
  } else {
    if (n.inputs.size() != 1) return false;
    axes = n.attrs.get_ints("axes");
  }
  const int64_t rank = static_cast<int64_t>(r);
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

}  // namespace

// Anchored on the Erf node.
Result<bool> fuse_gelu(FuseCtx& c, size_t i) {
  const Node& erf = c.g.nodes[i];
  if (erf.op != OpType::Erf || erf.inputs.size() != 1 || erf.outputs.size() != 1) return false;
  const ValueId t = erf.inputs[0];
  int td = c.producer(t);
  if (td < 0 || !c.single_use(t)) return false;
  const Node& scale = c.g.nodes[td];
  ValueId x = kNoValue;
  if (scale.op == OpType::Div && scale.inputs.size() == 2 && is_scalar(c, scale.inputs[1], std::sqrt(2.0))) {
    x = scale.inputs[0];
  } else if (scale.op == OpType::Mul && scale.inputs.size() == 2) {
    for (int k = 0; k < 2 && x == kNoValue; ++k) {
      if (is_scalar(c, scale.inputs[k], std::sqrt(0.5))) x = scale.inputs[1 - k];
    }
  }
  if (x == kNoValue || c.g.value(x).is_constant() || !c.static_f32(x)) return false;

  int ad = next_op(c, erf.outputs[0], OpType::Add);
  if (ad < 0) return false;
  ValueId one = other_input(c.g.nodes[ad], erf.outputs[0]);
  if (one == kNoValue || !is_scalar(c, one, 1.0)) return false;
  const ValueId p = c.g.nodes[ad].outputs[0];
  int m1 = next_op(c, p, OpType::Mul);
  if (m1 < 0) return false;
  ValueId q = other_input(c.g.nodes[m1], p);
  if (q == kNoValue) return false;
  std::vector<int> chain = {td, static_cast<int>(i), ad};
  if (q == x || is_scalar(c, q, 0.5)) {
    // (x * p) * 0.5  or  (p * 0.5) * x
    int m2 = next_op(c, c.g.nodes[m1].outputs[0], OpType::Mul);
    if (m2 < 0) return false;
    ValueId r = other_input(c.g.nodes[m2], c.g.nodes[m1].outputs[0]);
    if (q == x ? !is_scalar(c, r, 0.5) : r != x) return false;
    chain.insert(chain.end(), {m1, m2});
  } else {
    // (x * 0.5) * p
    int h = c.producer(q);
    if (h < 0 || !c.single_use(q) || c.g.nodes[h].op != OpType::Mul) return false;
    ValueId half = other_input(c.g.nodes[h], x);
    if (half == kNoValue || !is_scalar(c, half, 0.5)) return false;
    chain.insert(chain.end(), {h, m1});
  }
  const ValueId y = c.g.nodes[chain.back()].outputs[0];
  if (!c.static_f32(y) || c.g.value(y).shape != c.g.value(x).shape) return false;

  Node gelu;
  gelu.op = OpType::Gelu;
  gelu.name = c.g.nodes[chain.back()].name;
  gelu.inputs = {x};
  gelu.attrs.set_string("approximate", "none");
  rewrite(c, chain, std::move(gelu));
  return true;
}

// Anchored on the first ReduceMean (the mean).
Result<bool> fuse_layer_norm(FuseCtx& c, size_t i) {
  const Node& mean = c.g.nodes[i];
  if (mean.op != OpType::ReduceMean || mean.inputs.empty()) return false;
  const ValueId x = mean.inputs[0];
  if (c.g.value(x).is_constant() || !c.static_f32(x) || c.g.value(x).shape.empty()) return false;
  const Shape xs = c.g.value(x).shape;
  const size_t r = xs.size();
  if (!mean_over_last_axis(c, mean, r)) return false;
  // d = x - m
  int sub = next_op(c, mean.outputs[0], OpType::Sub);
  if (sub < 0 || c.g.nodes[sub].inputs != std::vector<ValueId>{x, mean.outputs[0]}) return false;
  const ValueId d = c.g.nodes[sub].outputs[0];
  if (c.is_output(d) || c.consumers(d).size() != 2) return false;
  int pw = -1, div = -1;
  for (int k : c.consumers(d)) {
    const Node& n = c.g.nodes[k];
    if (n.op == OpType::Pow && n.inputs.size() == 2 && n.inputs[0] == d && is_scalar(c, n.inputs[1], 2.0)) pw = k;
    if (n.op == OpType::Div && n.inputs.size() == 2 && n.inputs[0] == d) div = k;
  }
  if (pw < 0 || div < 0 || pw == div) return false;
  // v = mean(d^2); s = Sqrt(v + eps)
  int var = c.consumer(c.g.nodes[pw].outputs[0]);
  if (var < 0 || !mean_over_last_axis(c, c.g.nodes[var], r) || c.g.nodes[var].inputs[0] != c.g.nodes[pw].outputs[0]) return false;
  int add_eps = next_op(c, c.g.nodes[var].outputs[0], OpType::Add);
  if (add_eps < 0) return false;
  ValueId eps_v = other_input(c.g.nodes[add_eps], c.g.nodes[var].outputs[0]);
  std::optional<double> eps = eps_v == kNoValue ? std::nullopt : c.scalar(eps_v);
  if (!eps || !(*eps >= 0)) return false;
  int sq = next_op(c, c.g.nodes[add_eps].outputs[0], OpType::Sqrt);
  if (sq < 0 || c.consumer(c.g.nodes[sq].outputs[0]) != div || c.g.nodes[div].inputs[1] != c.g.nodes[sq].outputs[0]) return false;
  // y = n * gamma + beta
  int mul = next_op(c, c.g.nodes[div].outputs[0], OpType::Mul);
  if (mul < 0) return false;
  ValueId gamma = other_input(c.g.nodes[mul], c.g.nodes[div].outputs[0]);
  int add_b = next_op(c, c.g.nodes[mul].outputs[0], OpType::Add);
  if (gamma == kNoValue || add_b < 0) return false;
  ValueId beta = other_input(c.g.nodes[add_b], c.g.nodes[mul].outputs[0]);
  if (beta == kNoValue) return false;
  const ValueId y = c.g.nodes[add_b].outputs[0];
  if (!c.static_f32(y) || c.g.value(y).shape != xs) return false;
  ValueId g1 = last_axis_param(c, gamma, xs.back(), r);
  if (g1 == kNoValue) return false;
  ValueId b1 = last_axis_param(c, beta, xs.back(), r);
  if (b1 == kNoValue) return false;

  Node ln;
  ln.op = OpType::LayerNormalization;
  ln.name = c.g.nodes[add_b].name;
  ln.inputs = {x, g1, b1};
  ln.attrs.set_int("axis", -1);
  ln.attrs.set_float("epsilon", static_cast<float>(*eps));
  rewrite(c, {static_cast<int>(i), sub, pw, var, add_eps, sq, div, mul, add_b}, std::move(ln));
  return true;
}

}  // namespace deepshark::fuse_detail
