// Conv and ConvTranspose on oneDNN convolution / deconvolution primitives. Weights are a slot
// in the layout the primitive picks (format_tag::any); the bias stays an ordinary input.
#include "kernels/dnnl/dnnl_ops.h"
#include "kernels/dnnl/dnnl_fused.h"
#include "kernels/dnnl/dnnl_window.h"

namespace deepshark::dnnl_backend {
namespace {

using tag = memory::format_tag;
using dt = memory::data_type;

struct ConvShapes {
  Shape x, w, y;
  bool has_bias = false;
  int64_t group = 1;
  Dims in_spatial, out_spatial, kernel;
};

Result<ConvShapes> conv_shapes(const Graph& graph, const Node& node) {
  ConvShapes s;
  DS_TRY(s.x, f32_input_shape(graph, node, 0));
  DS_TRY(s.w, f32_input_shape(graph, node, 1));
  DS_TRY(s.y, f32_output_shape(graph, node, 0));
  if (s.x.size() < 3 || s.x.size() > 5 || s.w.size() != s.x.size() || s.y.size() != s.x.size())
    return unsupported(node, "needs rank 3..5 input, weight and output");
  if (!constant_input(graph, node, 1)) return unsupported(node, "weights are not a constant");
  s.has_bias = node.input(2) != kNoValue;
  s.group = node.attrs.get_int("group", 1);
  if (s.group <= 0) return unsupported(node, "group must be positive");
  s.in_spatial.assign(s.x.begin() + 2, s.x.end());
  s.out_spatial.assign(s.y.begin() + 2, s.y.end());
  s.kernel.assign(s.w.begin() + 2, s.w.end());
  return s;
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_conv(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(ConvShapes s, conv_shapes(graph, node));
  const int64_t C = s.x[1], M = s.w[0], g = s.group;
  if (C % g != 0 || M % g != 0 || s.w[1] * g != C || s.y[1] != M || s.y[0] != s.x[0])
    return unsupported(node, "channels do not match groups");
  if (s.has_bias) {
    DS_TRY(Shape b, f32_input_shape(graph, node, 2));
    if (b != Shape{M}) return unsupported(node, "bias shape " + expected_got(shape_to_string({M}), shape_to_string(b)));
  }
  const bool residual = has_fused_residual(node);
  if (residual) {
    if (node.inputs.size() != kConvResidualInput + 1) return unsupported(node, "ds.residual needs exactly 4 inputs");
    DS_TRY(Shape r, f32_input_shape(graph, node, kConvResidualInput));
    if (r != s.y) return unsupported(node, "residual shape " + expected_got(shape_to_string(s.y), shape_to_string(r)));
  } else if (node.inputs.size() > 3) {
    return unsupported(node, "more than 3 inputs without ds.residual");
  }
  DS_TRY(WindowParams win, forward_window(node, s.in_spatial, s.out_spatial, s.kernel));
  dnnl::post_ops po;
  if (residual) po.append_sum(1.f);
  DS_RETURN_IF_ERROR(append_fused_activation(node, po));

  // Weights as oneDNN sees them: (g, M/g, C/g, k...) when grouped; the graph's bytes are the
  // same row-major array either way.
  Dims wdims = to_dims(s.w);
  if (g > 1) {
    wdims.insert(wdims.begin(), g);
    wdims[1] = M / g;
  }
  const memory::desc w_plain = plain_desc(Shape(wdims.begin(), wdims.end()));
  const memory::desc w_any(wdims, dt::f32, tag::any);
  const memory::desc x_given = act_desc(s.x, config.input_layout(0));
  const memory::desc y_given = act_desc(s.y, config.output_layout(0));
  const memory::desc r_given =
      residual ? act_desc(s.y, config.input_layout(kConvResidualInput)) : memory::desc();
  int64_t kernel_volume = 1;
  for (int64_t k : s.kernel) kernel_volume *= k;

  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "convolution");
    const memory::desc bias = s.has_bias ? plain_desc({M}) : memory::desc();
    dnnl::primitive_attr attr = b.attr();
    attr.set_post_ops(po);
    auto conv_pd = [&](const memory::desc& x, const memory::desc& y) {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, x,
                                        w_any, bias, y, win.strides, dnnl_dilations(win.dilations), win.pad_begin,
                                        win.pad_right);
      return dnnl::convolution_forward::primitive_desc(d, attr, engine());
    };
    const memory::desc x_any(to_dims(s.x), dt::f32, tag::any), y_any(to_dims(s.y), dt::f32, tag::any);
    // Plain in and out: with a 1x1 kernel oneDNN's plain gemm is within 1.0-1.4x of its blocked
    // kernels and two reorders cost more than they save; with larger kernels plain falls back
    // to im2col + gemm (~2x slower dense, 20-30x depthwise: bench/kernels_layout_probe), so the
    // kernel reorders into blocked copies in scratch memory and back. A blocked operand is read
    // or written as it is.
    const bool x_blocked = config.input_layout(0) == ActLayout::Blocked;
    const bool y_blocked = config.output_layout(0) == ActLayout::Blocked;
    auto pd = conv_pd(x_blocked ? x_given : x_any, y_blocked ? y_given : y_any);
    if (!x_blocked && !y_blocked) {
      bool use_plain = kernel_volume == 1 || pd.src_desc() == x_given ||
                       std::string(pd.impl_info_str()).find("gemm") != std::string::npos;
      if (use_plain) pd = conv_pd(x_given, y_given);
    }
    auto xa = b.prepare_input(0, x_given, pd.src_desc());
    auto ya = b.prepare_output(0, y_given, pd.dst_desc());
    if (residual) {
      // Sum post-op: the residual is copied into the destination first.
      dnnl::reorder::primitive_desc cp(engine(), r_given, engine(), pd.dst_desc(), b.attr());
      int r = b.add_step(dnnl::reorder(cp), cp);
      b.bind_input(r, DNNL_ARG_FROM, kConvResidualInput, r_given);
      if (ya.direct) {
        b.bind_output(r, DNNL_ARG_TO, 0, pd.dst_desc());
        // The executor may place the output on the residual itself when this is the
        // residual's last use (runtime/lifetimes): the sum then accumulates in place.
        if (r_given == pd.dst_desc()) b.allow_in_place(kConvResidualInput, r);
      } else {
        b.bind_scratch_buffer(r, DNNL_ARG_TO, ya.offset, pd.dst_desc());
      }
    }
    int step = b.add_step(dnnl::convolution_forward(pd), pd);
    b.bind_act_input(step, DNNL_ARG_SRC, xa);
    b.bind_weight(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc(), w_plain);
    if (s.has_bias) b.bind_input(step, DNNL_ARG_BIAS, 2, pd.bias_desc());
    b.finish_output(step, DNNL_ARG_DST, ya);
    b.name_from(pd, xa.direct && ya.direct ? "" : "+reorders");
    return b.finish();
  });
}

Result<std::unique_ptr<Kernel>> make_conv_transpose(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(ConvShapes s, conv_shapes(graph, node));
  const int64_t C = s.x[1], g = s.group;
  if (s.w[0] != C || C % g != 0) return unsupported(node, "weight must be (C, M/group, k...)");
  const int64_t M = s.w[1] * g;
  if (s.y[1] != M || s.y[0] != s.x[0]) return unsupported(node, "output channels do not match the weights");
  if (s.has_bias) {
    DS_TRY(Shape b, f32_input_shape(graph, node, 2));
    if (b != Shape{M}) return unsupported(node, "bias shape " + expected_got(shape_to_string({M}), shape_to_string(b)));
  }
  DS_TRY(WindowParams win, transpose_window(node, s.in_spatial, s.out_spatial, s.kernel));
  if (has_fused_residual(node) || node.inputs.size() > 3) return unsupported(node, "fused residual on ConvTranspose");
  dnnl::post_ops po;
  DS_RETURN_IF_ERROR(append_fused_activation(node, po));

  // oneDNN deconvolution weights are (g, M/g, C/g, k...); the graph stores (C, M/g, k...) =
  // (g, C/g, M/g, k...) row-major, i.e. the first two non-group dims swapped.
  const int r = static_cast<int>(s.kernel.size());
  Dims wdims{M / g, C / g};
  for (int64_t k : s.kernel) wdims.push_back(k);
  int64_t ksz = 1;
  for (int64_t k : s.kernel) ksz *= k;
  Dims strides{ksz, (M / g) * ksz};
  for (int i = 0; i < r; ++i) {
    int64_t st = 1;
    for (int j = i + 1; j < r; ++j) st *= s.kernel[j];
    strides.push_back(st);
  }
  if (g > 1) {
    wdims.insert(wdims.begin(), g);
    strides.insert(strides.begin(), (C / g) * (M / g) * ksz);
  }
  const memory::desc w_plain = strided_desc(wdims, strides);
  const memory::desc w_any(wdims, dt::f32, tag::any);

  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "deconvolution");
    const memory::desc bias = s.has_bias ? plain_desc({M}) : memory::desc();
    dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                        plain_desc(s.x), w_any, bias, plain_desc(s.y), win.strides,
                                        dnnl_dilations(win.dilations), win.pad_begin, win.pad_right);
    dnnl::primitive_attr attr = b.attr();
    attr.set_post_ops(po);
    dnnl::deconvolution_forward::primitive_desc pd(d, attr, engine());
    int step = b.add_step(dnnl::deconvolution_forward(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_weight(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc(), w_plain);
    if (s.has_bias) b.bind_input(step, DNNL_ARG_BIAS, 2, pd.bias_desc());
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

}  // namespace deepshark::dnnl_backend
