// Conv and ConvTranspose (ONNX opset 13): groups, strides, dilations, pads / auto_pad, bias;
// output_padding and output_shape for ConvTranspose. Sums accumulate in double. The fusion
// pass's epilogue (ds.residual, ds.activation; ref_fused.h) is applied to the output last.
#include "kernels/ref/ref_fused.h"
#include "kernels/ref/ref_ops.h"
#include "kernels/ref/ref_window.h"

namespace deepshark::ref {
namespace {

// Common checks: X (N, C, spatial...), W (M|C, C/g|M/g, k...), optional B.
Status check_conv_inputs(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  for (size_t i = 0; i < std::min<size_t>(a.inputs.size(), 3); ++i) {
    if (a.has_input(i) || i < 2) DS_RETURN_IF_ERROR(a.require_dtype(i, DType::F32));
  }
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::F32));
  const Shape& x = a.in(0).shape;
  const Shape& w = a.in(1).shape;
  if (x.size() < 3 || x.size() > 5 || w.size() != x.size())
    return a.invalid("input and weight must both have rank 3..5 " +
                     expected_got("equal ranks", shape_to_string(x) + " and " + shape_to_string(w)));
  return Status::ok_status();
}

std::vector<int64_t> kernel_of(const RefArgs& a, const Shape& w) {
  // The weights decide the kernel size; a kernel_shape attribute that disagrees is reported.
  return std::vector<int64_t>(w.begin() + 2, w.end());
}

Status check_kernel_attr(const RefArgs& a, const std::vector<int64_t>& kernel) {
  auto ks = a.attrs().get_ints("kernel_shape");
  if (!ks.empty() && ks != kernel)
    return a.invalid("kernel_shape disagrees with the weights " + expected_got(ints_to_string(kernel), ints_to_string(ks)));
  return Status::ok_status();
}

}  // namespace

Status run_Conv(const RefArgs& a) {
  DS_RETURN_IF_ERROR(check_conv_inputs(a));
  const TensorView& X = a.in(0);
  const TensorView& W = a.in(1);
  const int64_t N = X.shape[0], C = X.shape[1], M = W.shape[0];
  const int64_t group = a.attrs().get_int("group", 1);
  if (group <= 0 || C % group != 0 || M % group != 0 || W.shape[1] * group != C)
    return a.invalid("channels do not match groups " +
                     expected_got("C=" + std::to_string(C) + " = W.shape[1]*group, M % group == 0",
                                  "W " + shape_to_string(W.shape) + ", group " + std::to_string(group)));
  auto kernel = kernel_of(a, W.shape);
  DS_RETURN_IF_ERROR(check_kernel_attr(a, kernel));
  DS_TRY(Window win, forward_window(a, Shape(X.shape.begin() + 2, X.shape.end()), kernel, false));
  const bool has_bias = a.has_input(2);
  if (has_bias && a.in(2).shape != Shape{M})
    return a.invalid("bias shape " + expected_got(shape_to_string({M}), shape_to_string(a.in(2).shape)));
  Shape out_shape{N, M};
  for (int i = 3 - win.rank; i < 3; ++i) out_shape.push_back(win.out[i]);
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out_shape));

  const float* x = X.as<float>();
  const float* w = W.as<float>();
  const float* b = has_bias ? a.in(2).as<float>() : nullptr;
  float* y = a.out(0).as<float>();
  const int64_t cg = C / group, mg = M / group;
  const int64_t in_sz = win.in_size(), k_sz = win.k_size();
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / mg;
      for (int64_t o0 = 0; o0 < win.out[0]; ++o0)
        for (int64_t o1 = 0; o1 < win.out[1]; ++o1)
          for (int64_t o2 = 0; o2 < win.out[2]; ++o2) {
            double acc = b ? b[m] : 0.0;
            for (int64_t c = 0; c < cg; ++c) {
              const float* xc = x + (n * C + g * cg + c) * in_sz;
              const float* wc = w + (m * cg + c) * k_sz;
              for (int64_t k0 = 0; k0 < win.k[0]; ++k0) {
                int64_t i0 = o0 * win.s[0] - win.pb[0] + k0 * win.d[0];
                if (i0 < 0 || i0 >= win.in[0]) continue;
                for (int64_t k1 = 0; k1 < win.k[1]; ++k1) {
                  int64_t i1 = o1 * win.s[1] - win.pb[1] + k1 * win.d[1];
                  if (i1 < 0 || i1 >= win.in[1]) continue;
                  for (int64_t k2 = 0; k2 < win.k[2]; ++k2) {
                    int64_t i2 = o2 * win.s[2] - win.pb[2] + k2 * win.d[2];
                    if (i2 < 0 || i2 >= win.in[2]) continue;
                    acc += static_cast<double>(xc[(i0 * win.in[1] + i1) * win.in[2] + i2]) *
                           wc[(k0 * win.k[1] + k1) * win.k[2] + k2];
                  }
                }
              }
            }
            y[((n * M + m) * win.out[0] + o0) * win.out[1] * win.out[2] + o1 * win.out[2] + o2] =
                static_cast<float>(acc);
          }
    }
  }
  return apply_fused_epilogue(a);
}

// Gather form of the transposed convolution: output position o receives x[i] * w[k] for every
// i, k with i * stride + k * dilation - pad_begin == o. Keeps a double accumulator per output
// without a temporary buffer.
Status run_ConvTranspose(const RefArgs& a) {
  DS_RETURN_IF_ERROR(check_conv_inputs(a));
  const TensorView& X = a.in(0);
  const TensorView& W = a.in(1);
  const int64_t N = X.shape[0], C = X.shape[1];
  const int64_t group = a.attrs().get_int("group", 1);
  if (group <= 0 || W.shape[0] != C || C % group != 0)
    return a.invalid("weight must be (C, M/group, k...) " +
                     expected_got("W.shape[0] = C = " + std::to_string(C) + " divisible by group",
                                  "W " + shape_to_string(W.shape) + ", group " + std::to_string(group)));
  const int64_t mg = W.shape[1], M = mg * group, cg = C / group;
  auto kernel = kernel_of(a, W.shape);
  DS_RETURN_IF_ERROR(check_kernel_attr(a, kernel));
  DS_TRY(Window win, transpose_window(a, Shape(X.shape.begin() + 2, X.shape.end()), kernel));
  const bool has_bias = a.has_input(2);
  if (has_bias && a.in(2).shape != Shape{M})
    return a.invalid("bias shape " + expected_got(shape_to_string({M}), shape_to_string(a.in(2).shape)));
  Shape out_shape{N, M};
  for (int i = 3 - win.rank; i < 3; ++i) out_shape.push_back(win.out[i]);
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out_shape));

  const float* x = X.as<float>();
  const float* w = W.as<float>();
  const float* b = has_bias ? a.in(2).as<float>() : nullptr;
  float* y = a.out(0).as<float>();
  const int64_t in_sz = win.in_size(), k_sz = win.k_size();
  // Input index along one dim for output o and kernel tap k, or -1 when none.
  auto src = [&](int dim, int64_t o, int64_t k) -> int64_t {
    int64_t t = o + win.pb[dim] - k * win.d[dim];
    if (t < 0 || t % win.s[dim] != 0) return -1;
    t /= win.s[dim];
    return t < win.in[dim] ? t : -1;
  };
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      const int64_t g = m / mg, mm = m % mg;
      for (int64_t o0 = 0; o0 < win.out[0]; ++o0)
        for (int64_t o1 = 0; o1 < win.out[1]; ++o1)
          for (int64_t o2 = 0; o2 < win.out[2]; ++o2) {
            double acc = b ? b[m] : 0.0;
            for (int64_t k0 = 0; k0 < win.k[0]; ++k0) {
              int64_t i0 = src(0, o0, k0);
              if (i0 < 0) continue;
              for (int64_t k1 = 0; k1 < win.k[1]; ++k1) {
                int64_t i1 = src(1, o1, k1);
                if (i1 < 0) continue;
                for (int64_t k2 = 0; k2 < win.k[2]; ++k2) {
                  int64_t i2 = src(2, o2, k2);
                  if (i2 < 0) continue;
                  const int64_t xi = (i0 * win.in[1] + i1) * win.in[2] + i2;
                  const int64_t ki = (k0 * win.k[1] + k1) * win.k[2] + k2;
                  for (int64_t c = 0; c < cg; ++c) {
                    const int64_t ci = g * cg + c;
                    acc += static_cast<double>(x[(n * C + ci) * in_sz + xi]) * w[(ci * mg + mm) * k_sz + ki];
                  }
                }
              }
            }
            y[((n * M + m) * win.out[0] + o0) * win.out[1] * win.out[2] + o1 * win.out[2] + o2] =
                static_cast<float>(acc);
          }
    }
  return apply_fused_epilogue(a);
}

}  // namespace deepshark::ref
