// Folding an inference BatchNormalization into the Conv before it:
//   y = scale * (conv(x, W) + b - mean) / sqrt(var + eps) + B
//     = conv(x, W * k) + (b - mean) * k + B,   k = scale / sqrt(var + eps) per output channel.
// Computed in double and rounded once; the Conv's original W and b stay untouched (they may be
// shared) and new constants are added.
#include <cmath>

#include "transform/fuse_internal.h"

namespace deepshark::fuse_detail {

namespace {

// Element c of a per-channel F32/F64 constant as double.
double at(const Tensor& t, int64_t c) {
  return t.dtype() == DType::F32 ? static_cast<double>(t.data<float>()[c]) : t.data<double>()[c];
}

}  // namespace

Result<bool> fuse_batch_norm(FuseCtx& c, size_t i) {
  const Node& conv = c.g.nodes[i];
  if (conv.op != OpType::Conv || conv.inputs.size() < 2 || conv.inputs.size() > 3 || conv.outputs.size() != 1) return false;
  if (conv.attrs.has("ds.activation") || conv.attrs.has("ds.residual")) return false;
  const ValueId y = conv.outputs[0];
  if (!c.static_f32(y)) return false;
  const Tensor* w = c.float_constant(conv.inputs[1]);
  if (!w || w->dtype() != DType::F32 || w->shape().empty()) return false;
  const int64_t m = w->shape()[0];
  const Tensor* b = nullptr;
  if (conv.input(2) != kNoValue) {
    b = c.float_constant(conv.input(2));
    if (!b || b->dtype() != DType::F32 || b->shape() != Shape{m}) return false;
  }
  int j = c.consumer(y);
  if (j < 0) return false;
  const Node& bn = c.g.nodes[j];
  if (bn.op != OpType::BatchNormalization || bn.inputs.size() != 5 || bn.input(0) != y || bn.outputs.empty()) return false;
  if (bn.attrs.get_int("training_mode", 0) != 0) return false;
  for (size_t k = 1; k < bn.outputs.size(); ++k) {
    ValueId o = bn.outputs[k];
    if (o != kNoValue && (c.is_output(o) || !c.consumers(o).empty())) return false;  // running stats used
  }
  const Tensor* p[4];
  for (size_t k = 0; k < 4; ++k) {
    p[k] = c.float_constant(bn.inputs[k + 1]);
    if (!p[k] || p[k]->shape() != Shape{m}) return false;
  }
  if (!c.static_f32(bn.outputs[0]) || c.g.value(bn.outputs[0]).shape != c.g.value(y).shape) return false;
  const double eps = bn.attrs.get_float("epsilon", 1e-5f);

  DS_TRY(Tensor nw, Tensor::create(DType::F32, w->shape()));
  DS_TRY(Tensor nb, Tensor::create(DType::F32, {m}));
  const int64_t per = m == 0 ? 0 : w->numel() / m;
  for (int64_t ch = 0; ch < m; ++ch) {
    const double k = at(*p[0], ch) / std::sqrt(at(*p[3], ch) + eps);
    const float* src = w->data<float>() + ch * per;
    float* dst = nw.data<float>() + ch * per;
    for (int64_t e = 0; e < per; ++e) dst[e] = static_cast<float>(src[e] * k);
    const double bias = b ? static_cast<double>(b->data<float>()[ch]) : 0.0;
    nb.data<float>()[ch] = static_cast<float>((bias - at(*p[2], ch)) * k + at(*p[1], ch));
  }
  Node fused = conv;
  const std::string base = conv.name.empty() ? std::string("conv") : conv.name;
  ValueId wid = c.add_constant(base + ".bn_weight", std::move(nw));
  ValueId bid = c.add_constant(base + ".bn_bias", std::move(nb));
  fused.inputs = {fused.inputs[0], wid, bid};
  fused.outputs = {c.g.nodes[j].outputs[0]};
  c.g.nodes[j] = std::move(fused);
  c.kill(i);
  c.rebuild();
  return true;
}

}  // namespace deepshark::fuse_detail
