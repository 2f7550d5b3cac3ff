// The fusions into a compute node's epilogue: MatMul bias, Conv residual add, and the
// activation that follows Conv / ConvTranspose / Gemm / MatMul (ds.* attributes, see fuse.h).
#include <cmath>
#include <limits>

#include "transform/fuse_internal.h"

namespace deepshark::fuse_detail {

namespace {

bool is_compute(OpType op) {
  return op == OpType::Conv || op == OpType::ConvTranspose || op == OpType::Gemm || op == OpType::MatMul;
}

bool has_epilogue(const Node& n) { return n.attrs.has("ds.activation") || n.attrs.get_int("ds.residual", 0) != 0; }

// Moves node `from` into the slot of node `to` (which it replaces) and kills `from`.
void replace(FuseCtx& c, size_t from, size_t to) {
  c.g.nodes[to] = std::move(c.g.nodes[from]);
  c.kill(from);
  c.rebuild();
}

// The node i's single output, when it is F32 with a static shape and feeds exactly one node:
// that node's index, else -1.
int sole_consumer(const FuseCtx& c, const Node& n) {
  if (n.outputs.size() != 1 || !c.static_f32(n.outputs[0])) return -1;
  return c.consumer(n.outputs[0]);
}

// The activation node `a` as ds.* attributes on `n`; false when it cannot be expressed.
bool set_activation(const FuseCtx& c, const Node& a, Attributes& at) {
  switch (a.op) {
    case OpType::Relu:
      at.set_string("ds.activation", "Relu");
      return true;
    case OpType::LeakyRelu:
      at.set_string("ds.activation", "LeakyRelu");
      at.set_float("ds.alpha", a.attrs.get_float("alpha", 0.01f));
      return true;
    case OpType::Sigmoid:
      at.set_string("ds.activation", "Sigmoid");
      return true;
    case OpType::Tanh:
      at.set_string("ds.activation", "Tanh");
      return true;
    case OpType::HardSwish:
      at.set_string("ds.activation", "HardSwish");
      return true;
    case OpType::HardSigmoid:
      at.set_string("ds.activation", "HardSigmoid");
      at.set_float("ds.alpha", a.attrs.get_float("alpha", 0.2f));
      at.set_float("ds.beta", a.attrs.get_float("beta", 0.5f));
      return true;
    case OpType::Gelu: {
      std::string approx = a.attrs.get_string("approximate", "none");
      if (approx != "none" && approx != "tanh") return false;
      at.set_string("ds.activation", approx == "tanh" ? "GeluTanh" : "Gelu");
      return true;
    }
    case OpType::Clip: {
      float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
      if (a.attrs.has("min")) lo = a.attrs.get_float("min", lo);
      if (a.attrs.has("max")) hi = a.attrs.get_float("max", hi);
      for (size_t k = 1; k < 3; ++k) {
        ValueId b = a.input(k);
        if (b == kNoValue) continue;
        const Tensor* t = c.float_constant(b);
        if (!t || t->dtype() != DType::F32 || t->numel() != 1) return false;  // runtime or odd bound
        (k == 1 ? lo : hi) = t->data<float>()[0];
      }
      at.set_string("ds.activation", "Clip");
      at.set_float("ds.alpha", lo);
      at.set_float("ds.beta", hi);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

// MatMul(A, B constant [K, N]) -> Add(constant broadcasting as [N] on the last axis).
Result<bool> fuse_matmul_bias(FuseCtx& c, size_t i) {
  const Node& mm = c.g.nodes[i];
  if (mm.op != OpType::MatMul || mm.inputs.size() != 2 || has_epilogue(mm)) return false;
  const Tensor* b = c.float_constant(mm.inputs[1]);
  if (!b || b->dtype() != DType::F32 || b->shape().size() != 2) return false;
  int j = sole_consumer(c, mm);
  if (j < 0) return false;
  const Node& add = c.g.nodes[j];
  const ValueId y = mm.outputs[0];
  ValueId bias = other_input(add, y);
  if (add.op != OpType::Add || bias == kNoValue || add.outputs.size() != 1) return false;
  const Tensor* t = c.float_constant(bias);
  const Shape& ys = c.g.value(y).shape;
  const int64_t n = b->shape()[1];
  if (!t || t->dtype() != DType::F32 || t->shape().empty() || t->shape().size() > ys.size()) return false;
  for (size_t k = 0; k + 1 < t->shape().size(); ++k) {
    if (t->shape()[k] != 1) return false;
  }
  if (t->shape().back() != n || !c.static_f32(add.outputs[0]) || c.g.value(add.outputs[0]).shape != ys) return false;

  ValueId bias_n = bias;
  if (t->shape() != Shape{n}) bias_n = c.add_constant(c.g.value(bias).name + ".bias", t->reshaped({n}));
  Node fused = mm;
  fused.inputs.push_back(bias_n);
  fused.outputs = add.outputs;
  c.g.nodes[i] = std::move(fused);
  replace(c, i, static_cast<size_t>(j));
  return true;
}

// Conv -> Add(the conv's output, another runtime tensor of exactly the output's shape).
Result<bool> fuse_residual(FuseCtx& c, size_t i) {
  const Node& conv = c.g.nodes[i];
  if (conv.op != OpType::Conv || conv.inputs.size() > 3 || has_epilogue(conv)) return false;
  int j = sole_consumer(c, conv);
  if (j < 0) return false;
  const Node& add = c.g.nodes[j];
  const ValueId y = conv.outputs[0];
  ValueId r = other_input(add, y);
  if (add.op != OpType::Add || r == kNoValue || add.outputs.size() != 1) return false;
  if (c.g.value(r).is_constant() || !c.static_f32(r) || !c.static_f32(add.outputs[0])) return false;
  const Shape& ys = c.g.value(y).shape;
  if (c.g.value(r).shape != ys || c.g.value(add.outputs[0]).shape != ys) return false;

  Node fused = conv;
  fused.inputs.resize(3, kNoValue);
  fused.inputs.push_back(r);
  fused.attrs.set_int("ds.residual", 1);
  fused.outputs = add.outputs;
  c.g.nodes[i] = std::move(fused);
  replace(c, i, static_cast<size_t>(j));
  return true;
}

// Conv | ConvTranspose | Gemm | MatMul -> one activation.
Result<bool> fuse_activation(FuseCtx& c, size_t i) {
  const Node& n = c.g.nodes[i];
  if (!is_compute(n.op) || n.attrs.has("ds.activation")) return false;
  int j = sole_consumer(c, n);
  if (j < 0) return false;
  const Node& act = c.g.nodes[j];
  if (act.input(0) != n.outputs[0] || act.outputs.size() != 1 || !c.static_f32(act.outputs[0])) return false;
  Attributes at = n.attrs;
  if (!set_activation(c, act, at)) return false;
  Node fused = n;
  fused.attrs = std::move(at);
  fused.outputs = act.outputs;
  c.g.nodes[i] = std::move(fused);
  replace(c, i, static_cast<size_t>(j));
  return true;
}

}  // namespace deepshark::fuse_detail
