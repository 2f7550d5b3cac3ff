// MaxPool (with optional Indices), AveragePool (count_include_pad, ceil_mode), GlobalAveragePool,
// GlobalMaxPool. Averages accumulate in double.
#include <limits>

#include "kernels/ref/ref_ops.h"
#include "kernels/ref/ref_window.h"

namespace deepshark::ref {
namespace {

enum class PoolKind { Max, Average };

Status run_pool(const RefArgs& a, PoolKind kind) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  DS_RETURN_IF_ERROR(a.require_dtype(0, DType::F32));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::F32));
  const TensorView& X = a.in(0);
  if (X.shape.size() < 3 || X.shape.size() > 5)
    return a.unsupported("input rank " + expected_got("3..5", std::to_string(X.shape.size())));
  auto kernel = a.attrs().get_ints("kernel_shape");
  if (kernel.empty()) return a.invalid("missing attribute kernel_shape");
  const bool ceil_mode = a.attrs().get_int("ceil_mode", 0) != 0;
  DS_TRY(Window win, forward_window(a, Shape(X.shape.begin() + 2, X.shape.end()), kernel, ceil_mode));
  const int64_t N = X.shape[0], C = X.shape[1];
  const Shape& ys = a.out(0).shape;
  if (ys.size() != X.shape.size() || ys[0] != N || ys[1] != C ||
      !pool_out_matches(win, ceil_mode, Shape(ys.begin() + 2, ys.end()))) {
    Shape want{N, C};
    for (int i = 3 - win.rank; i < 3; ++i) want.push_back(win.out[i]);
    return a.check_out_shape(0, want);
  }
  // Take the output's spatial sizes (either ceil_mode convention); every read is bounds-checked.
  for (int i = 3 - win.rank, j = 2; i < 3; ++i, ++j) win.out[i] = ys[j];
  const bool want_indices = kind == PoolKind::Max && a.outputs.size() > 1 && a.out(1).data != nullptr;
  if (want_indices) {
    DS_RETURN_IF_ERROR(a.check_out_dtype(1, DType::I64));
    DS_RETURN_IF_ERROR(a.check_out_shape(1, ys));
    if (a.attrs().get_int("storage_order", 0) != 0) return a.unsupported("Indices with storage_order=1");
  }
  const bool include_pad = a.attrs().get_int("count_include_pad", 0) != 0;

  const float* x = X.as<float>();
  float* y = a.out(0).as<float>();
  int64_t* idx = want_indices ? a.out(1).as<int64_t>() : nullptr;
  const int64_t in_sz = win.in_size(), out_sz = win.out_size();
  for (int64_t nc = 0; nc < N * C; ++nc) {
    const float* xc = x + nc * in_sz;
    for (int64_t o0 = 0; o0 < win.out[0]; ++o0)
      for (int64_t o1 = 0; o1 < win.out[1]; ++o1)
        for (int64_t o2 = 0; o2 < win.out[2]; ++o2) {
          double sum = 0;
          int64_t count = 0, padded_count = 0;
          float best = -std::numeric_limits<float>::infinity();
          int64_t best_at = -1;
          for (int64_t k0 = 0; k0 < win.k[0]; ++k0) {
            int64_t i0 = o0 * win.s[0] - win.pb[0] + k0 * win.d[0];
            bool in_pad0 = i0 >= -win.pb[0] && i0 < win.in[0] + win.pe[0];
            for (int64_t k1 = 0; k1 < win.k[1]; ++k1) {
              int64_t i1 = o1 * win.s[1] - win.pb[1] + k1 * win.d[1];
              bool in_pad1 = i1 >= -win.pb[1] && i1 < win.in[1] + win.pe[1];
              for (int64_t k2 = 0; k2 < win.k[2]; ++k2) {
                int64_t i2 = o2 * win.s[2] - win.pb[2] + k2 * win.d[2];
                bool in_pad2 = i2 >= -win.pb[2] && i2 < win.in[2] + win.pe[2];
                if (in_pad0 && in_pad1 && in_pad2) ++padded_count;
                if (i0 < 0 || i0 >= win.in[0] || i1 < 0 || i1 >= win.in[1] || i2 < 0 || i2 >= win.in[2]) continue;
                const int64_t at = (i0 * win.in[1] + i1) * win.in[2] + i2;
                const float v = xc[at];
                ++count;
                sum += v;
                // First maximum wins; a NaN propagates.
                if (best_at < 0 || v > best || (std::isnan(v) && !std::isnan(best))) {
                  best = v;
                  best_at = at;
                }
              }
            }
          }
          const int64_t o = (o0 * win.out[1] + o1) * win.out[2] + o2;
          if (kind == PoolKind::Max) {
            y[nc * out_sz + o] = best;
            if (idx) idx[nc * out_sz + o] = best_at < 0 ? -1 : nc * in_sz + best_at;
          } else {
            const int64_t div = include_pad ? padded_count : count;
            y[nc * out_sz + o] = div > 0 ? static_cast<float>(sum / static_cast<double>(div)) : 0.f;
          }
        }
  }
  return Status::ok_status();
}

Status run_global(const RefArgs& a, PoolKind kind) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  DS_RETURN_IF_ERROR(a.require_dtype(0, DType::F32));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::F32));
  const Shape& xs = a.in(0).shape;
  if (xs.size() < 2) return a.invalid("input rank " + expected_got(">= 2", std::to_string(xs.size())));
  Shape want(xs.size(), 1);
  want[0] = xs[0];
  want[1] = xs[1];
  DS_RETURN_IF_ERROR(a.check_out_shape(0, want));
  const int64_t nc = xs[0] * xs[1];
  const int64_t sp = nc == 0 ? 0 : a.in(0).numel() / nc;
  const float* x = a.in(0).as<float>();
  float* y = a.out(0).as<float>();
  for (int64_t i = 0; i < nc; ++i) {
    const float* p = x + i * sp;
    if (kind == PoolKind::Average) {
      double s = 0;
      for (int64_t j = 0; j < sp; ++j) s += p[j];
      y[i] = sp > 0 ? static_cast<float>(s / static_cast<double>(sp)) : 0.f;
    } else {
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < sp; ++j) {
        if (std::isnan(p[j])) { m = p[j]; break; }
        m = std::max(m, p[j]);
      }
      y[i] = m;
    }
  }
  return Status::ok_status();
}

}  // namespace

Status run_MaxPool(const RefArgs& a) { return run_pool(a, PoolKind::Max); }
Status run_AveragePool(const RefArgs& a) { return run_pool(a, PoolKind::Average); }
Status run_GlobalAveragePool(const RefArgs& a) { return run_global(a, PoolKind::Average); }
Status run_GlobalMaxPool(const RefArgs& a) { return run_global(a, PoolKind::Max); }

}  // namespace deepshark::ref
