// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool on oneDNN pooling_v2. ceil_mode is an
// enlarged right padding; oneDNN never lets a window start inside that padding, and never
// counts it for the include-padding average, so those two cases fall back to the reference.
#include "kernels/dnnl/dnnl_ops.h"
#include "kernels/dnnl/dnnl_window.h"

namespace deepshark::dnnl_backend {

Result<std::unique_ptr<Kernel>> make_pool(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  if (x.size() < 3 || x.size() > 5 || y.size() != x.size() || y[0] != x[0] || y[1] != x[1])
    return unsupported(node, "needs rank 3..5 input and a matching output");
  if (node.outputs.size() > 1 && node.outputs[1] != kNoValue) return unsupported(node, "Indices output");
  const Dims in(x.begin() + 2, x.end()), out(y.begin() + 2, y.end());
  const size_t r = in.size();

  const bool global = node.op == OpType::GlobalAveragePool || node.op == OpType::GlobalMaxPool;
  const bool is_max = node.op == OpType::MaxPool || node.op == OpType::GlobalMaxPool;
  WindowParams win;
  if (global) {
    for (int64_t o : out)
      if (o != 1) return unsupported(node, "global pooling output must be 1 per spatial dim");
    win.kernel = in;
    win.strides = win.dilations = Dims(r, 1);
    win.pad_begin = win.pad_end = win.pad_right = Dims(r, 0);
  } else {
    auto ks = node.attrs.get_ints("kernel_shape");
    if (ks.size() != r) return unsupported(node, "kernel_shape missing or of the wrong length");
    if (node.attrs.get_int("storage_order", 0) != 0) return unsupported(node, "storage_order");
    DS_TRY(win, forward_window(node, in, out, Dims(ks.begin(), ks.end())));
    for (size_t i = 0; i < r; ++i) {
      // The last window must start inside input + begin padding (ONNX Runtime drops others).
      if ((out[i] - 1) * win.strides[i] >= in[i] + win.pad_begin[i])
        return unsupported(node, "a window starts inside the end padding");
      if (win.pad_begin[i] >= win.kernel[i] || win.pad_end[i] >= win.kernel[i])
        return unsupported(node, "padding as large as the kernel");
    }
  }
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
  if (!is_max) {
    const bool include = node.attrs.get_int("count_include_pad", 0) != 0;
    if (include && win.pad_right != win.pad_end)
      return unsupported(node, "count_include_pad with ceil_mode padding");
    alg = include ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  // The primitive writes Y in X's layout; a reorder gives Y's own layout when that differs.
  const memory::desc x_md = act_desc(x, config.input_layout(0));
  const memory::desc y_want = act_desc(y, config.input_layout(0));
  const memory::desc y_md = act_desc(y, config.output_layout(0));
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "pooling");
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, x_md, y_want, win.strides,
                                     win.kernel, dnnl_dilations(win.dilations), win.pad_begin, win.pad_right);
    dnnl::pooling_v2_forward::primitive_desc pd(d, b.attr(), engine());
    auto ya = b.prepare_output(0, y_md, pd.dst_desc());
    int step = b.add_step(dnnl::pooling_v2_forward(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.finish_output(step, DNNL_ARG_DST, ya);
    if (!ya.direct) b.name_from(pd, "+reorders");
    return b.finish();
  });
}

}  // namespace deepshark::dnnl_backend
