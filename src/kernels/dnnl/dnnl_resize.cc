// Resize and Upsample in nearest mode with whole upscaling factors, on oneDNN's resampling: a
// copy, exact. For a whole factor s oneDNN reads source index floor((o + 0.5) / s) = floor(o / s);
// ONNX's asymmetric + floor reads floor(o / s), and half_pixel / pytorch_half_pixel with a
// rounding nearest_mode reads round((o + 0.5) / s - 0.5) = floor(o / s) as well (that value is
// never half-way: 2o + 1 - s = (2k + 1) s has no solution). Linear mode, downscaling, fractional
// factors and declared scales that are not exactly the factor run the reference kernel.
#include "kernels/dnnl/dnnl_ops.h"

namespace deepshark::dnnl_backend {

namespace {

// The scale the node declares for dim d (a constant input or Upsample's attribute), or nullopt.
std::optional<std::vector<float>> declared_scales(const Graph& graph, const Node& node) {
  const size_t at = node.op == OpType::Resize ? 2 : 1;
  if (node.input(at) != kNoValue) {
    const Tensor* t = constant_input(graph, node, at);
    if (!t || t->dtype() != DType::F32 || (!t->has_data() && t->numel() > 0)) return std::nullopt;
    if (t->numel() == 0) return std::vector<float>{};  // Resize with sizes instead
    return std::vector<float>(t->data<float>(), t->data<float>() + t->numel());
  }
  if (node.op == OpType::Upsample) return node.attrs.get_floats("scales");
  return std::vector<float>{};
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_resize(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  if (x.size() < 3 || x.size() > 5 || y.size() != x.size() || y[0] != x[0] || y[1] != x[1]) {
    return unsupported(node, "needs rank 3..5 with batch and channels kept");
  }
  std::string mode = node.attrs.get_string("mode", "nearest");
  if (mode != "nearest") return unsupported(node, "mode '" + mode + "'");
  if (node.op == OpType::Resize) {
    const std::string ctm = node.attrs.get_string("coordinate_transformation_mode", "half_pixel");
    const std::string nm = node.attrs.get_string("nearest_mode", "round_prefer_floor");
    const bool asymmetric_floor = ctm == "asymmetric" && nm == "floor";
    const bool half_pixel_round = (ctm == "half_pixel" || ctm == "pytorch_half_pixel") &&
                                  (nm == "round_prefer_floor" || nm == "round_prefer_ceil");
    if (!asymmetric_floor && !half_pixel_round) return unsupported(node, ctm + " with nearest_mode " + nm);
  }
  auto scales = declared_scales(graph, node);
  if (!scales) return unsupported(node, "scales are not constant F32");
  if (!scales->empty() && scales->size() != x.size()) return unsupported(node, "one scale per dim expected");
  for (size_t d = 0; d < x.size(); ++d) {
    if (x[d] <= 0 || y[d] % x[d] != 0) return unsupported(node, "a factor is not a whole number");
    const int64_t f = y[d] / x[d];
    if (d < 2 && f != 1) return unsupported(node, "resizes batch or channels");
    // With scales given, ONNX maps through the scale itself: it must be the factor exactly.
    if (!scales->empty() && (*scales)[d] != static_cast<float>(f)) return unsupported(node, "scale is not the factor");
  }
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "resampling");
    const memory::desc src = act_desc(x, config.input_layout(0)), dst = act_desc(y, config.output_layout(0));
    dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::resampling_nearest, src, dst);
    dnnl::resampling_forward::primitive_desc pd(d, b.attr(), engine());
    return b.finish_src_to_dst(dnnl::resampling_forward(pd), pd);
  });
}

}  // namespace deepshark::dnnl_backend
