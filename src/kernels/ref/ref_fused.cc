// The fused epilogue (residual add, then activation) of Conv / ConvTranspose / Gemm / MatMul.
// Each step rounds to float exactly where the unfused graph would (the op's output, the Add's
// output), and the activations use the same double formulas as the standalone ops in
// ref_unary.cc, so a fused node gives the same bits as the nodes it replaced.
#include "kernels/ref/ref_fused.h"

#include <algorithm>
#include <limits>

namespace deepshark::ref {

namespace {

enum class Act { Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSwish, HardSigmoid, Gelu, GeluTanh };

std::optional<Act> act_from_name(const std::string& s) {
  static const std::pair<const char*, Act> kNames[] = {
      {"Relu", Act::Relu},           {"LeakyRelu", Act::LeakyRelu},     {"Clip", Act::Clip},
      {"Sigmoid", Act::Sigmoid},     {"Tanh", Act::Tanh},               {"HardSwish", Act::HardSwish},
      {"HardSigmoid", Act::HardSigmoid}, {"Gelu", Act::Gelu},           {"GeluTanh", Act::GeluTanh}};
  for (const auto& [name, act] : kNames) {
    if (s == name) return act;
  }
  return std::nullopt;
}

template <typename F>
void apply(float* y, int64_t n, F f) {
  for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(f(static_cast<double>(y[i])));
}

}  // namespace

Status apply_fused_epilogue(const RefArgs& a) {
  const Attributes& at = a.attrs();
  const bool residual = at.get_int("ds.residual", 0) != 0;
  const bool has_act = at.has("ds.activation");
  if (!residual && !has_act) return Status::ok_status();
  const TensorView& y = a.out(0);
  if (y.dtype != DType::F32) return a.unsupported_dtype(y.dtype);
  float* out = y.as<float>();
  const int64_t n = y.numel();

  if (residual) {
    if (!a.has_input(kResidualInput)) return a.invalid("ds.residual is set but input 3 (the residual) is absent");
    const TensorView& r = a.in(kResidualInput);
    if (r.dtype != DType::F32 || r.shape != y.shape)
      return a.invalid("residual must match the output " +
                       expected_got("F32 " + shape_to_string(y.shape), std::string(dtype_name(r.dtype)) + " " + shape_to_string(r.shape)));
    const float* rp = r.as<float>();
    for (int64_t i = 0; i < n; ++i) out[i] = out[i] + rp[i];
  }
  if (!has_act) return Status::ok_status();

  const std::string name = at.get_string("ds.activation", "");
  std::optional<Act> act = act_from_name(name);
  if (!act) return a.unsupported("fused activation '" + name + "'");
  switch (*act) {
    case Act::Relu:
      apply(out, n, [](double v) { return v > 0 ? v : 0.0; });
      break;
    case Act::LeakyRelu: {
      const double alpha = at.get_float("ds.alpha", 0.01f);
      apply(out, n, [&](double v) { return v >= 0 ? v : alpha * v; });
      break;
    }
    case Act::Clip: {
      // ONNX Clip: min(max(x, lo), hi); compared in float as the standalone kernel does.
      const float lo = at.has("ds.alpha") ? at.get_float("ds.alpha", 0.f) : -std::numeric_limits<float>::infinity();
      const float hi = at.has("ds.beta") ? at.get_float("ds.beta", 0.f) : std::numeric_limits<float>::infinity();
      for (int64_t i = 0; i < n; ++i) {
        float v = out[i];
        if (v < lo) v = lo;
        if (v > hi) v = hi;
        out[i] = v;
      }
      break;
    }
    case Act::Sigmoid:
      apply(out, n, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
      break;
    case Act::Tanh:
      apply(out, n, [](double v) { return std::tanh(v); });
      break;
    case Act::HardSwish:
      apply(out, n, [](double v) { return v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5)); });
      break;
    case Act::HardSigmoid: {
      const double alpha = at.get_float("ds.alpha", 0.2f);
      const double beta = at.get_float("ds.beta", 0.5f);
      apply(out, n, [&](double v) { return std::max(0.0, std::min(1.0, alpha * v + beta)); });
      break;
    }
    case Act::Gelu:
      apply(out, n, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
      break;
    case Act::GeluTanh:
      apply(out, n, [](double v) { return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v))); });
      break;
  }
  return Status::ok_status();
}

}  // namespace deepshark::ref
