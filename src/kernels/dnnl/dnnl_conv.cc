// Conv and ConvTranspose on oneDNN convolution / deconvolution primitives. Weights are a slot
// in the layout the primitive picks (format_tag::any); the bias stays an ordinary input.
#include "kernels/dnnl/dnnl_ops.h"
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

// Activation descriptor: plain row-major, or `any` so oneDNN picks a blocked layout.
memory::desc act_desc(const Shape& shape, ActivationLayout layout) {
  if (layout == ActivationLayout::Plain) return plain_desc(shape);
  return memory::desc(to_dims(shape), dt::f32, tag::any);
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_conv(const Graph& graph, const Node& node, const KernelConfig& config,
                                          ActivationLayout layout) {
  DS_TRY(ConvShapes s, conv_shapes(graph, node));
  const int64_t C = s.x[1], M = s.w[0], g = s.group;
  if (C % g != 0 || M % g != 0 || s.w[1] * g != C || s.y[1] != M || s.y[0] != s.x[0])
    return unsupported(node, "channels do not match groups");
  if (s.has_bias) {
    DS_TRY(Shape b, f32_input_shape(graph, node, 2));
    if (b != Shape{M}) return unsupported(node, "bias shape " + expected_got(shape_to_string({M}), shape_to_string(b)));
  }
  DS_TRY(WindowParams win, forward_window(node, s.in_spatial, s.out_spatial, s.kernel));

  // Weights as oneDNN sees them: (g, M/g, C/g, k...) when grouped; the graph's bytes are the
  // same row-major array either way.
  Dims wdims = to_dims(s.w);
  if (g > 1) {
    wdims.insert(wdims.begin(), g);
    wdims[1] = M / g;
  }
  const memory::desc w_plain = plain_desc(Shape(wdims.begin(), wdims.end()));
  const memory::desc w_any(wdims, dt::f32, tag::any);

  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "convolution");
    const memory::desc bias = s.has_bias ? plain_desc({M}) : memory::desc();
    auto conv_pd = [&](ActivationLayout l) {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        act_desc(s.x, l), w_any, bias, act_desc(s.y, l), win.strides,
                                        dnnl_dilations(win.dilations), win.pad_begin, win.pad_right);
      return dnnl::convolution_forward::primitive_desc(d, b.attr(), engine());
    };
    auto pd = conv_pd(layout);
    // With plain activations oneDNN 2.6 falls back to im2col + gemm: ~2x slower for dense 3x3
    // and 20-30x slower for depthwise convolutions than its blocked kernels (bench/
    // kernels_layout_probe). Then reorder into a blocked copy in scratch memory and back. Not
    // for 1x1 kernels: there plain gemm is within 1.0-1.4x of blocked and the two reorders cost
    // more than they save.
    int64_t kernel_volume = 1;
    for (int64_t k : s.kernel) kernel_volume *= k;
    bool wrap = false;
    if (layout == ActivationLayout::Plain && kernel_volume > 1 &&
        std::string(pd.impl_info_str()).find("gemm") != std::string::npos) {
      auto blocked = conv_pd(ActivationLayout::Blocked);
      if (std::string(blocked.impl_info_str()).find("gemm") == std::string::npos &&
          blocked.src_desc() != plain_desc(s.x)) {
        pd = blocked;
        wrap = true;
      }
    }
    if (!wrap) {
      int step = b.add_step(dnnl::convolution_forward(pd), pd);
      b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
      b.bind_weight(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc(), w_plain);
      if (s.has_bias) b.bind_input(step, DNNL_ARG_BIAS, 2, pd.bias_desc());
      b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
      return b.finish();
    }
    const uint64_t src_off = b.add_scratch_buffer(pd.src_desc().get_size());
    const uint64_t dst_off = b.add_scratch_buffer(pd.dst_desc().get_size());
    dnnl::reorder::primitive_desc to_blocked(engine(), plain_desc(s.x), engine(), pd.src_desc(), b.attr());
    dnnl::reorder::primitive_desc to_plain(engine(), pd.dst_desc(), engine(), plain_desc(s.y), b.attr());
    int r0 = b.add_step(dnnl::reorder(to_blocked), to_blocked);
    b.bind_input(r0, DNNL_ARG_FROM, 0, plain_desc(s.x));
    b.bind_scratch_buffer(r0, DNNL_ARG_TO, src_off, pd.src_desc());
    int step = b.add_step(dnnl::convolution_forward(pd), pd);
    b.bind_scratch_buffer(step, DNNL_ARG_SRC, src_off, pd.src_desc());
    b.bind_weight(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc(), w_plain);
    if (s.has_bias) b.bind_input(step, DNNL_ARG_BIAS, 2, pd.bias_desc());
    b.bind_scratch_buffer(step, DNNL_ARG_DST, dst_off, pd.dst_desc());
    int r1 = b.add_step(dnnl::reorder(to_plain), to_plain);
    b.bind_scratch_buffer(r1, DNNL_ARG_FROM, dst_off, pd.dst_desc());
    b.bind_output(r1, DNNL_ARG_TO, 0, plain_desc(s.y));
    b.name_from(pd, "+reorders");
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
    dnnl::deconvolution_forward::primitive_desc pd(d, b.attr(), engine());
    int step = b.add_step(dnnl::deconvolution_forward(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_weight(step, DNNL_ARG_WEIGHTS, 1, pd.weights_desc(), w_plain);
    if (s.has_bias) b.bind_input(step, DNNL_ARG_BIAS, 2, pd.bias_desc());
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

}  // namespace deepshark::dnnl_backend
