// BatchNormalization (inference: global statistics), LayerNormalization (last axis), Softmax and
// LogSoftmax (one axis, opset 13). Scale, shift and statistics stay ordinary inputs: they are
// small, plain and read as they are.
#include "kernels/dnnl/dnnl_ops.h"

namespace deepshark::dnnl_backend {
namespace {

bool extra_outputs(const Node& node) {
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i] != kNoValue) return true;
  return false;
}

Status require_vector(const Graph& graph, const Node& node, size_t i, int64_t n) {
  DS_TRY(Shape s, f32_input_shape(graph, node, i));
  int64_t count = 1;
  for (int64_t d : s) count *= d;
  for (size_t j = 0; j + 1 < s.size(); ++j)
    if (s[j] != 1) count = -1;
  if (count != n)
    return unsupported(node, "input " + std::to_string(i) + " is not a vector of " + std::to_string(n) + " " +
                                 expected_got(shape_to_string({n}), shape_to_string(s)));
  return Status::ok_status();
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_batch_norm(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  if (extra_outputs(node) || node.attrs.get_int("training_mode", 0) != 0)
    return unsupported(node, "training mode");
  if (x.size() < 2 || x.size() > 5 || y != x) return unsupported(node, "needs rank 2..5 and Y shaped like X");
  const int64_t C = x[1];
  for (size_t i = 1; i <= 4; ++i) DS_RETURN_IF_ERROR(require_vector(graph, node, i, C));
  const float eps = node.attrs.get_float("epsilon", 1e-5f);
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "batch_normalization");
    const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                       dnnl::normalization_flags::use_shift;
    const memory::desc x_md = act_desc(x, config.input_layout(0));
    dnnl::batch_normalization_forward::desc d(dnnl::prop_kind::forward_inference, x_md, eps, flags);
    dnnl::batch_normalization_forward::primitive_desc pd(d, b.attr(), engine());
    auto ya = b.prepare_output(0, act_desc(y, config.output_layout(0)), pd.dst_desc());
    int step = b.add_step(dnnl::batch_normalization_forward(pd), pd);
    const memory::desc vec = plain_desc({C});
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_input(step, DNNL_ARG_SCALE, 1, vec);
    b.bind_input(step, DNNL_ARG_SHIFT, 2, vec);
    b.bind_input(step, DNNL_ARG_MEAN, 3, pd.mean_desc());
    b.bind_input(step, DNNL_ARG_VARIANCE, 4, pd.variance_desc());
    b.finish_output(step, DNNL_ARG_DST, ya);
    if (!ya.direct) b.name_from(pd, "+reorders");
    return b.finish();
  });
}

Result<std::unique_ptr<Kernel>> make_layer_norm(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  if (extra_outputs(node)) return unsupported(node, "Mean / InvStdDev outputs");
  if (x.empty() || y != x) return unsupported(node, "needs Y shaped like X");
  const int64_t rank = static_cast<int64_t>(x.size());
  const int64_t axis = node.attrs.get_int("axis", -1);
  if (axis != -1 && axis != rank - 1) return unsupported(node, "normalising over more than the last axis");
  if (node.attrs.get_int("stash_type", 1) != 1) return unsupported(node, "stash_type");
  const int64_t C = x.back();
  DS_RETURN_IF_ERROR(require_vector(graph, node, 1, C));
  const bool has_bias = node.input(2) != kNoValue;
  if (has_bias) DS_RETURN_IF_ERROR(require_vector(graph, node, 2, C));
  const float eps = node.attrs.get_float("epsilon", 1e-5f);
  // oneDNN wants at least 2 dims; a 1-D X is one row.
  const Shape x2 = x.size() == 1 ? Shape{1, C} : x;
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "layer_normalization");
    auto flags = dnnl::normalization_flags::use_scale;
    if (has_bias) flags = flags | dnnl::normalization_flags::use_shift;
    dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, plain_desc(x2), eps, flags);
    dnnl::layer_normalization_forward::primitive_desc pd(d, b.attr(), engine());
    int step = b.add_step(dnnl::layer_normalization_forward(pd), pd);
    const memory::desc vec = plain_desc({C});
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_input(step, DNNL_ARG_SCALE, 1, vec);
    if (has_bias) b.bind_input(step, DNNL_ARG_SHIFT, 2, vec);
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

Result<std::unique_ptr<Kernel>> make_softmax(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  if (y != x) return unsupported(node, "needs Y shaped like X");
  const int64_t rank = std::max<int64_t>(1, static_cast<int64_t>(x.size()));
  int64_t axis = node.attrs.get_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return unsupported(node, "axis out of range");
  const auto alg = node.op == OpType::LogSoftmax ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, node.op == OpType::LogSoftmax ? "logsoftmax" : "softmax");
    dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, plain_desc(x), plain_desc(y),
                                     static_cast<int>(axis));
    dnnl::softmax_v2_forward::primitive_desc pd(d, b.attr(), engine());
    return b.finish_src_to_dst(dnnl::softmax_v2_forward(pd), pd);
  });
}

}  // namespace deepshark::dnnl_backend
