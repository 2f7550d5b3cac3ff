// Gemm and MatMul. A constant 2-D weight becomes an inner product whose weights are a slot;
// KernelConfig::plain_fc_weights keeps that slot in plain `oi` (oneDNN's gemm kernel, whose bits
// do not change when the node is sliced along its outputs) instead of the layout oneDNN prefers
// (`any`: brgemm, blocked, faster for large batches, but slicing changes its bits). A runtime B
// runs a matmul primitive with both operands as inputs.
#include <string>

#include "kernels/dnnl/dnnl_fused.h"
#include "kernels/dnnl/dnnl_kernels.h"
#include "kernels/dnnl/dnnl_ops.h"

namespace deepshark::dnnl_backend {
namespace {

using tag = memory::format_tag;
using dt = memory::data_type;

int64_t product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) p *= s[i];
  return p;
}

// alpha * accumulator (inner product has no f32 output scales in oneDNN 2.6; only used without
// a bias, which oneDNN would add before the post-op), then the fused activation.
Result<dnnl::post_ops> fc_post_ops(const Node& node, float alpha) {
  dnnl::post_ops po;
  if (alpha != 1.f) po.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, alpha, 0.f);
  DS_RETURN_IF_ERROR(append_fused_activation(node, po));
  return po;
}

// The same product written into rows `row_stride` elements apart (a column range of a wider
// tensor): a matmul primitive, whose gemm kernel accepts a strided destination (the inner product
// would fall back to its reference kernel) and gives the inner product's bits (both run the same
// sgemm; pack probes it, tests/unit/pack/concat_view_test.cc checks it). Weights in the same plain
// bytes, seen as (k, n).
Result<std::unique_ptr<Kernel>> strided_product(const Graph& graph, const Node& node, const KernelConfig& config,
                                                int64_t rows, int64_t k, int64_t n, const memory::desc& w_src,
                                                int bias_input, bool bias_slot, const dnnl::post_ops& po,
                                                float beta) {
  if (!config.plain_fc_weights) return unsupported(node, "a strided output needs plain weights");
  const Dims ws(w_src.data.format_desc.blocking.strides, w_src.data.format_desc.blocking.strides + 2);
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "matmul");
    const memory::desc src = plain_desc({rows, k});
    const memory::desc dst = strided_desc({rows, n}, {config.output_row_stride, 1});
    const memory::desc w = strided_desc({k, n}, {1, k});  // the `oi` bytes
    const memory::desc bias = bias_input >= 0 ? plain_desc({1, n}) : memory::desc();
    dnnl::matmul::desc d(src, w, bias, dst);
    dnnl::primitive_attr attr = b.attr();
    attr.set_post_ops(po);
    dnnl::matmul::primitive_desc pd(d, attr, engine());
    if (std::string(pd.impl_info_str()).find("gemm") == std::string::npos) {
      return unsupported(node, std::string("no gemm kernel for a strided output (got ") + pd.impl_info_str() + ")");
    }
    int step = b.add_step(dnnl::matmul(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_weight(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc(), strided_desc({k, n}, {ws[1], ws[0]}));
    if (bias_input >= 0) {
      if (bias_slot)
        b.bind_weight(step, DNNL_ARG_BIAS, bias_input, pd.bias_desc(), plain_desc({1, n}), beta);
      else
        b.bind_input(step, DNNL_ARG_BIAS, bias_input, pd.bias_desc());
    }
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

// y[rows, n] = x[rows, k] * W^T (+ bias), W stored in the graph as `w_src` with dims {n, k}.
// bias_input < 0: none; bias_slot: bias packed (scaled by beta) into a slot instead of an input.
Result<std::unique_ptr<Kernel>> inner_product(const Graph& graph, const Node& node, const KernelConfig& config,
                                              int64_t rows, int64_t k, int64_t n, const memory::desc& w_src,
                                              int bias_input, bool bias_slot, float alpha, float beta) {
  DS_TRY(dnnl::post_ops po, fc_post_ops(node, alpha));
  if (config.output_row_stride > 0 && config.output_row_stride != n) {
    if (config.output_row_stride < n) return unsupported(node, "row stride shorter than a row");
    return strided_product(graph, node, config, rows, k, n, w_src, bias_input, bias_slot, po, beta);
  }
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "inner_product");
    const memory::desc src = plain_desc({rows, k});
    const memory::desc dst = plain_desc({rows, n});
    const memory::desc w = config.plain_fc_weights ? memory::desc({n, k}, dt::f32, tag::oi)
                                                   : memory::desc({n, k}, dt::f32, tag::any);
    const memory::desc bias = bias_input >= 0 ? plain_desc({n}) : memory::desc();
    dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src, w, bias, dst);
    dnnl::primitive_attr attr = b.attr();
    attr.set_post_ops(po);
    dnnl::inner_product_forward::primitive_desc pd(d, attr, engine());
    int step = b.add_step(dnnl::inner_product_forward(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_weight(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc(), w_src);
    if (bias_input >= 0) {
      if (bias_slot)
        b.bind_weight(step, DNNL_ARG_BIAS, bias_input, pd.bias_desc(), plain_desc({n}), beta);
      else
        b.bind_input(step, DNNL_ARG_BIAS, bias_input, pd.bias_desc());
    }
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

}  // namespace

bool writes_row_strided(const Graph& graph, const Node& node) {
  if ((node.op != OpType::Gemm && node.op != OpType::MatMul) || node.outputs.empty() || node.inputs.size() < 2) {
    return false;
  }
  const ValueId a = node.input(0), w = node.input(1), y = node.outputs[0];
  if (a == kNoValue || w == kNoValue || y == kNoValue || !constant_input(graph, node, 1)) return false;
  for (ValueId v : {a, w, y}) {
    if (graph.value(v).dtype != DType::F32 || !graph.value(v).shape_known) return false;
  }
  if (graph.value(w).shape.size() != 2) return false;
  if (node.op == OpType::Gemm) {
    return graph.value(a).shape.size() == 2 && graph.value(y).shape.size() == 2 && node.attrs.get_int("transA", 0) == 0;
  }
  return graph.value(a).shape.size() >= 2;
}

Result<std::unique_ptr<Kernel>> make_gemm(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape a, f32_input_shape(graph, node, 0));
  DS_TRY(Shape bshape, f32_input_shape(graph, node, 1));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  if (a.size() != 2 || bshape.size() != 2 || y.size() != 2) return unsupported(node, "needs 2-D A, B and Y");
  if (node.attrs.get_int("transA", 0) != 0) return unsupported(node, "transA=1");
  const bool trans_b = node.attrs.get_int("transB", 0) != 0;
  const float alpha = node.attrs.get_float("alpha", 1.f);
  const float beta = node.attrs.get_float("beta", 1.f);
  const int64_t M = a[0], K = a[1];
  const int64_t N = trans_b ? bshape[0] : bshape[1];
  if ((trans_b ? bshape[1] : bshape[0]) != K || y != Shape{M, N})
    return unsupported(node, "A, B and Y do not agree");

  int bias_input = -1;
  bool bias_slot = false;
  // oneDNN applies output scales after the bias: alpha * (A*B + C) is not Gemm's alpha * A*B + C.
  if (node.input(2) != kNoValue && beta != 0.f) {
    DS_TRY(Shape c, f32_input_shape(graph, node, 2));
    if (!(c == Shape{N} || c == Shape{1, N})) return unsupported(node, "C is not a bias row of N values");
    if (alpha != 1.f) return unsupported(node, "alpha != 1 together with C");
    bias_input = 2;
    if (beta != 1.f) {
      if (!constant_input(graph, node, 2)) return unsupported(node, "beta != 1 with a runtime C");
      bias_slot = true;
    }
  }

  if (constant_input(graph, node, 1)) {
    // {N, K} view of B: transB stores it as (N, K) rows; otherwise (K, N) is its transpose.
    const memory::desc w_src = trans_b ? strided_desc({N, K}, {K, 1}) : strided_desc({N, K}, {1, N});
    return inner_product(graph, node, config, M, K, N, w_src, bias_input, bias_slot, alpha, beta);
  }
  if (bias_slot) return unsupported(node, "beta != 1 with a runtime B");
  DS_TRY(dnnl::post_ops po, fc_post_ops(node, alpha));
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "matmul");
    const memory::desc w = trans_b ? strided_desc({K, N}, {1, K}) : plain_desc({K, N});
    const memory::desc bias = bias_input >= 0 ? plain_desc({1, N}) : memory::desc();
    dnnl::matmul::desc d(plain_desc(a), w, bias, plain_desc(y));
    dnnl::primitive_attr attr = b.attr();
    attr.set_post_ops(po);
    dnnl::matmul::primitive_desc pd(d, attr, engine());
    int step = b.add_step(dnnl::matmul(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_input(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc());
    if (bias_input >= 0) b.bind_input(step, DNNL_ARG_BIAS, bias_input, pd.bias_desc());
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

Result<std::unique_ptr<Kernel>> make_matmul(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape a, f32_input_shape(graph, node, 0));
  DS_TRY(Shape bshape, f32_input_shape(graph, node, 1));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  // ONNX promotes 1-D operands: A (K) -> (1, K), B (K) -> (K, 1); the dropped dims do not change
  // the row-major bytes of Y.
  Shape a2 = a.size() == 1 ? Shape{1, a[0]} : a;
  Shape b2 = bshape.size() == 1 ? Shape{bshape[0], 1} : bshape;
  const int64_t K = a2.back(), M = a2[a2.size() - 2], N = b2.back();
  if (b2[b2.size() - 2] != K) return unsupported(node, "inner dimensions differ");
  // A third input (from the fusion pass) is a bias [N] added along the last axis.
  const bool has_bias = node.input(2) != kNoValue;
  if (node.inputs.size() > 3) return unsupported(node, "more than 3 inputs");
  if (has_bias) {
    DS_TRY(Shape bias, f32_input_shape(graph, node, 2));
    if (bias != Shape{N}) return unsupported(node, "bias shape " + expected_got(shape_to_string({N}), shape_to_string(bias)));
  }
  DS_TRY(dnnl::post_ops po, fc_post_ops(node, 1.f));

  if (b2.size() == 2 && bshape.size() == 2 && constant_input(graph, node, 1)) {
    const int64_t rows = product(a2, 0, a2.size() - 1);
    if (product(y, 0, y.size()) != rows * N) return unsupported(node, "output size does not match");
    return inner_product(graph, node, config, rows, K, N, strided_desc({N, K}, {1, N}), has_bias ? 2 : -1, false,
                         1.f, 1.f);
  }

  const size_t rank = std::max(a2.size(), b2.size());
  if (rank > DNNL_MAX_NDIMS) return unsupported(node, "too many dims");
  a2.insert(a2.begin(), rank - a2.size(), 1);
  b2.insert(b2.begin(), rank - b2.size(), 1);
  Shape y2(rank);
  for (size_t i = 0; i + 2 < rank; ++i) {
    if (a2[i] != b2[i] && a2[i] != 1 && b2[i] != 1) return unsupported(node, "batch dims do not broadcast");
    y2[i] = std::max(a2[i], b2[i]);
  }
  y2[rank - 2] = M;
  y2[rank - 1] = N;
  if (product(y, 0, y.size()) != product(y2, 0, rank)) return unsupported(node, "output size does not match");
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "matmul");
    Shape bias_shape(rank, 1);
    bias_shape.back() = N;
    const memory::desc bias = has_bias ? plain_desc(bias_shape) : memory::desc();
    dnnl::matmul::desc d(plain_desc(a2), plain_desc(b2), bias, plain_desc(y2));
    dnnl::primitive_attr attr = b.attr();
    attr.set_post_ops(po);
    dnnl::matmul::primitive_desc pd(d, attr, engine());
    int step = b.add_step(dnnl::matmul(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_input(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc());
    if (has_bias) b.bind_input(step, DNNL_ARG_BIAS, 2, pd.bias_desc());
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

}  // namespace deepshark::dnnl_backend
