// Normalisation ops (BatchNormalization inference, LayerNormalization, InstanceNormalization, LRN)
// and the softmax family (opset-13 single-axis Softmax / LogSoftmax). Statistics in double.
#include <limits>

#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

Status require_f32_inputs(const RefArgs& a, size_t n) {
  for (size_t i = 0; i < n && i < a.inputs.size(); ++i) {
    if (i == 0 || a.has_input(i)) DS_RETURN_IF_ERROR(a.require_dtype(i, DType::F32));
  }
  return a.check_out_dtype(0, DType::F32);
}

Status require_channel_vector(const RefArgs& a, size_t i, int64_t C) {
  if (a.in(i).shape != Shape{C})
    return a.invalid("input " + std::to_string(i) + " shape " + expected_got(shape_to_string({C}), shape_to_string(a.in(i).shape)));
  return Status::ok_status();
}

}  // namespace

Status run_BatchNormalization(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(5, 1));
  DS_RETURN_IF_ERROR(require_f32_inputs(a, 5));
  if (a.attrs().get_int("training_mode", 0) != 0) return a.unsupported("training_mode=1");
  const Shape& xs = a.in(0).shape;
  if (xs.size() < 2) return a.invalid("input rank " + expected_got(">= 2", std::to_string(xs.size())));
  const int64_t N = xs[0], C = xs[1];
  for (size_t i = 1; i < 5; ++i) DS_RETURN_IF_ERROR(require_channel_vector(a, i, C));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, xs));
  const double eps = a.attrs().get_float("epsilon", 1e-5f);
  const int64_t sp = N * C == 0 ? 0 : a.in(0).numel() / (N * C);
  const float* x = a.in(0).as<float>();
  const float *scale = a.in(1).as<float>(), *bias = a.in(2).as<float>(), *mean = a.in(3).as<float>(),
              *var = a.in(4).as<float>();
  float* y = a.out(0).as<float>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const double mul = scale[c] / std::sqrt(static_cast<double>(var[c]) + eps);
      const double add = bias[c] - mean[c] * mul;
      const int64_t base = (n * C + c) * sp;
      for (int64_t j = 0; j < sp; ++j) y[base + j] = static_cast<float>(x[base + j] * mul + add);
    }
  return Status::ok_status();
}

Status run_LayerNormalization(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  DS_RETURN_IF_ERROR(require_f32_inputs(a, 3));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  auto axis = normalize_axis(a.attrs().get_int("axis", -1), rank);
  if (!axis) return a.invalid("axis out of range for rank " + std::to_string(rank));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, xs));
  const Shape inner(xs.begin() + *axis, xs.end());
  if (!broadcastable_to(a.in(1).shape, inner))
    return a.invalid("scale shape " + expected_got("broadcastable to " + shape_to_string(inner), shape_to_string(a.in(1).shape)));
  const bool has_b = a.has_input(2);
  if (has_b && !broadcastable_to(a.in(2).shape, inner))
    return a.invalid("bias shape " + expected_got("broadcastable to " + shape_to_string(inner), shape_to_string(a.in(2).shape)));
  Shape stat_shape = xs;
  for (int64_t d = *axis; d < rank; ++d) stat_shape[static_cast<size_t>(d)] = 1;
  float* mean_out = nullptr;
  float* inv_out = nullptr;
  if (a.outputs.size() > 1 && a.out(1).data) {
    DS_RETURN_IF_ERROR(a.check_out_shape(1, stat_shape));
    DS_RETURN_IF_ERROR(a.check_out_dtype(1, DType::F32));
    mean_out = a.out(1).as<float>();
  }
  if (a.outputs.size() > 2 && a.out(2).data) {
    DS_RETURN_IF_ERROR(a.check_out_shape(2, stat_shape));
    DS_RETURN_IF_ERROR(a.check_out_dtype(2, DType::F32));
    inv_out = a.out(2).as<float>();
  }
  const double eps = a.attrs().get_float("epsilon", 1e-5f);
  const int64_t D = numel(inner);
  const int64_t outer = numel(Shape(xs.begin(), xs.begin() + *axis));
  const float* x = a.in(0).as<float>();
  const float* scale = a.in(1).as<float>();
  const float* bias = has_b ? a.in(2).as<float>() : nullptr;
  float* y = a.out(0).as<float>();
  for (int64_t o = 0; o < outer; ++o) {
    const float* xr = x + o * D;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < D; ++j) mean += xr[j];
    mean = D > 0 ? mean / static_cast<double>(D) : 0;
    for (int64_t j = 0; j < D; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var = D > 0 ? var / static_cast<double>(D) : 0;
    const double inv = 1.0 / std::sqrt(var + eps);
    BroadcastIndex si(a.in(1).shape, inner);
    std::optional<BroadcastIndex> bi;
    if (has_b) bi.emplace(a.in(2).shape, inner);
    for (int64_t j = 0; j < D; ++j) {
      double v = (xr[j] - mean) * inv * scale[si.offset()];
      si.next();
      if (bias) {
        v += bias[bi->offset()];
        bi->next();
      }
      y[o * D + j] = static_cast<float>(v);
    }
    if (mean_out) mean_out[o] = static_cast<float>(mean);
    if (inv_out) inv_out[o] = static_cast<float>(inv);
  }
  return Status::ok_status();
}

Status run_InstanceNormalization(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(3, 1));
  DS_RETURN_IF_ERROR(require_f32_inputs(a, 3));
  const Shape& xs = a.in(0).shape;
  if (xs.size() < 3) return a.invalid("input rank " + expected_got(">= 3", std::to_string(xs.size())));
  const int64_t N = xs[0], C = xs[1];
  DS_RETURN_IF_ERROR(require_channel_vector(a, 1, C));
  DS_RETURN_IF_ERROR(require_channel_vector(a, 2, C));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, xs));
  const double eps = a.attrs().get_float("epsilon", 1e-5f);
  const int64_t sp = N * C == 0 ? 0 : a.in(0).numel() / (N * C);
  const float* x = a.in(0).as<float>();
  const float* scale = a.in(1).as<float>();
  const float* bias = a.in(2).as<float>();
  float* y = a.out(0).as<float>();
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const float* xr = x + nc * sp;
    const int64_t c = nc % C;
    double mean = 0, var = 0;
    for (int64_t j = 0; j < sp; ++j) mean += xr[j];
    mean = sp > 0 ? mean / static_cast<double>(sp) : 0;
    for (int64_t j = 0; j < sp; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var = sp > 0 ? var / static_cast<double>(sp) : 0;
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < sp; ++j) y[nc * sp + j] = static_cast<float>((xr[j] - mean) * inv * scale[c] + bias[c]);
  }
  return Status::ok_status();
}

Status run_LRN(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  DS_RETURN_IF_ERROR(require_f32_inputs(a, 1));
  const Shape& xs = a.in(0).shape;
  if (xs.size() < 2) return a.invalid("input rank " + expected_got(">= 2", std::to_string(xs.size())));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, xs));
  const int64_t size = a.attrs().get_int("size", 0);
  if (size <= 0) return a.invalid("attribute size " + expected_got("> 0", std::to_string(size)));
  const double alpha = a.attrs().get_float("alpha", 1e-4f);
  const double beta = a.attrs().get_float("beta", 0.75f);
  const double bias = a.attrs().get_float("bias", 1.0f);
  const int64_t N = xs[0], C = xs[1];
  const int64_t sp = N * C == 0 ? 0 : a.in(0).numel() / (N * C);
  const int64_t lo = (size - 1) / 2, hi = size - 1 - lo;  // floor and ceil of (size-1)/2
  const float* x = a.in(0).as<float>();
  float* y = a.out(0).as<float>();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = 0; j < sp; ++j) {
        double sq = 0;
        for (int64_t cc = std::max<int64_t>(0, c - lo); cc <= std::min(C - 1, c + hi); ++cc) {
          double v = x[(n * C + cc) * sp + j];
          sq += v * v;
        }
        const int64_t at = (n * C + c) * sp + j;
        y[at] = static_cast<float>(x[at] / std::pow(bias + alpha / static_cast<double>(size) * sq, beta));
      }
  return Status::ok_status();
}

namespace {

Status run_softmax(const RefArgs& a, bool log) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  DS_RETURN_IF_ERROR(require_f32_inputs(a, 1));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  if (rank == 0) return a.invalid("input must have rank >= 1");
  auto axis = normalize_axis(a.attrs().get_int("axis", -1), rank);
  if (!axis) return a.invalid("axis out of range for rank " + std::to_string(rank));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, xs));
  const int64_t D = xs[static_cast<size_t>(*axis)];
  const int64_t inner = numel(Shape(xs.begin() + *axis + 1, xs.end()));
  const int64_t outer = numel(Shape(xs.begin(), xs.begin() + *axis));
  const float* x = a.in(0).as<float>();
  float* y = a.out(0).as<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * D * inner + i;
      double mx = -std::numeric_limits<double>::infinity();
      for (int64_t d = 0; d < D; ++d) mx = std::max<double>(mx, x[base + d * inner]);
      double sum = 0;
      for (int64_t d = 0; d < D; ++d) sum += std::exp(x[base + d * inner] - mx);
      const double lsum = std::log(sum);
      for (int64_t d = 0; d < D; ++d) {
        const double v = x[base + d * inner] - mx;
        y[base + d * inner] = static_cast<float>(log ? v - lsum : std::exp(v) / sum);
      }
    }
  return Status::ok_status();
}

}  // namespace

Status run_Softmax(const RefArgs& a) { return run_softmax(a, false); }
Status run_LogSoftmax(const RefArgs& a) { return run_softmax(a, true); }

}  // namespace deepshark::ref
