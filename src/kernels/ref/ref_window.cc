#include "kernels/ref/ref_window.h"

namespace deepshark::ref {
namespace {

Status read_common(const RefArgs& a, size_t r, Window& w, const std::vector<int64_t>& kernel) {
  auto strides = a.attrs().get_ints("strides", std::vector<int64_t>(r, 1));
  auto dilations = a.attrs().get_ints("dilations", std::vector<int64_t>(r, 1));
  if (strides.empty()) strides.assign(r, 1);
  if (dilations.empty()) dilations.assign(r, 1);
  if (kernel.size() != r || strides.size() != r || dilations.size() != r)
    return a.invalid("kernel/strides/dilations must have one value per spatial dim " +
                     expected_got(std::to_string(r), ints_to_string(kernel) + "/" + ints_to_string(strides) +
                                                         "/" + ints_to_string(dilations)));
  size_t off = 3 - r;
  w.rank = static_cast<int>(r);
  for (size_t i = 0; i < r; ++i) {
    if (kernel[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0)
      return a.invalid("kernel, strides and dilations must be positive " +
                       expected_got("> 0", ints_to_string(kernel) + "/" + ints_to_string(strides) + "/" +
                                               ints_to_string(dilations)));
    w.k[i + off] = kernel[i];
    w.s[i + off] = strides[i];
    w.d[i + off] = dilations[i];
  }
  return Status::ok_status();
}

Status read_pads(const RefArgs& a, size_t r, Window& w) {
  auto pads = a.attrs().get_ints("pads", std::vector<int64_t>(2 * r, 0));
  if (pads.empty()) pads.assign(2 * r, 0);
  if (pads.size() != 2 * r)
    return a.invalid("pads must have 2 values per spatial dim " +
                     expected_got(std::to_string(2 * r), std::to_string(pads.size())));
  size_t off = 3 - r;
  for (size_t i = 0; i < r; ++i) {
    if (pads[i] < 0 || pads[i + r] < 0) return a.invalid("pads must be >= 0 (got " + ints_to_string(pads) + ")");
    w.pb[i + off] = pads[i];
    w.pe[i + off] = pads[i + r];
  }
  return Status::ok_status();
}

constexpr int64_t kMaxDim = int64_t{1} << 40;

}  // namespace

Result<Window> forward_window(const RefArgs& a, const Shape& in, const std::vector<int64_t>& kernel,
                              bool ceil_mode) {
  size_t r = in.size();
  if (r < 1 || r > 3) return a.unsupported("spatial rank " + std::to_string(r) + " (expected 1..3)");
  Window w;
  DS_RETURN_IF_ERROR(read_common(a, r, w, kernel));
  size_t off = 3 - r;
  for (size_t i = 0; i < r; ++i) w.in[i + off] = in[i];
  std::string auto_pad = a.attrs().get_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") {
    DS_RETURN_IF_ERROR(read_pads(a, r, w));
  } else if (auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    return a.invalid("unknown auto_pad " + expected_got("NOTSET|VALID|SAME_UPPER|SAME_LOWER", auto_pad));
  }
  for (int i = 0; i < 3; ++i) {
    if (w.in[i] < 0 || w.in[i] > kMaxDim || w.k[i] > kMaxDim || w.d[i] > kMaxDim || w.pb[i] > kMaxDim ||
        w.pe[i] > kMaxDim)
      return a.invalid("window geometry out of range");
    int64_t dk = (w.k[i] - 1) * w.d[i] + 1;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      w.out[i] = (w.in[i] + w.s[i] - 1) / w.s[i];
      int64_t total = std::max<int64_t>(0, (w.out[i] - 1) * w.s[i] + dk - w.in[i]);
      w.pb[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pe[i] = total - w.pb[i];
    } else {
      int64_t span = w.in[i] + w.pb[i] + w.pe[i] - dk;
      if (span < 0) return a.invalid("kernel is larger than the padded input");
      w.out[i] = (ceil_mode ? (span + w.s[i] - 1) / w.s[i] : span / w.s[i]) + 1;
      // ONNX Runtime / PyTorch: a ceil_mode window that starts inside the end padding is dropped.
      if (ceil_mode && (w.out[i] - 1) * w.s[i] >= w.in[i] + w.pb[i]) --w.out[i];
    }
    if (w.out[i] <= 0) return a.invalid("empty output window");
  }
  return w;
}

bool pool_out_matches(const Window& w, bool ceil_mode, const Shape& out_spatial) {
  size_t r = out_spatial.size();
  size_t off = 3 - r;
  for (size_t i = 0; i < r; ++i) {
    int64_t o = out_spatial[i];
    if (o == w.out[i + off]) continue;
    if (!ceil_mode) return false;
    int64_t dk = (w.k[i + off] - 1) * w.d[i + off] + 1;
    int64_t span = w.in[i + off] + w.pb[i + off] + w.pe[i + off] - dk;
    if (o != (span + w.s[i + off] - 1) / w.s[i + off] + 1) return false;
  }
  return true;
}

Result<Window> transpose_window(const RefArgs& a, const Shape& in, const std::vector<int64_t>& kernel) {
  size_t r = in.size();
  if (r < 1 || r > 3) return a.unsupported("spatial rank " + std::to_string(r) + " (expected 1..3)");
  Window w;
  DS_RETURN_IF_ERROR(read_common(a, r, w, kernel));
  size_t off = 3 - r;
  for (size_t i = 0; i < r; ++i) w.in[i + off] = in[i];
  auto out_pad = a.attrs().get_ints("output_padding", std::vector<int64_t>(r, 0));
  if (out_pad.empty()) out_pad.assign(r, 0);
  if (out_pad.size() != r)
    return a.invalid("output_padding needs one value per spatial dim " +
                     expected_got(std::to_string(r), std::to_string(out_pad.size())));
  auto out_shape = a.attrs().get_ints("output_shape");
  if (!out_shape.empty() && out_shape.size() != r) {
    if (out_shape.size() == r + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    else return a.invalid("output_shape needs one value per spatial dim " +
                          expected_got(std::to_string(r), std::to_string(out_shape.size())));
  }
  std::string auto_pad = a.attrs().get_string("auto_pad", "NOTSET");
  if (auto_pad == "NOTSET") DS_RETURN_IF_ERROR(read_pads(a, r, w));
  for (size_t i = 0; i < r; ++i) {
    size_t j = i + off;
    if (w.in[j] > kMaxDim || w.k[j] > kMaxDim || w.d[j] > kMaxDim || w.s[j] > kMaxDim || out_pad[i] < 0 ||
        out_pad[i] > kMaxDim)
      return a.invalid("window geometry out of range");
    int64_t full = w.s[j] * (w.in[j] - 1) + out_pad[i] + (w.k[j] - 1) * w.d[j] + 1;
    if (!out_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      int64_t target = !out_shape.empty() ? out_shape[i] : w.in[j] * w.s[j];
      int64_t total = full - target;
      if (total < 0) return a.invalid("output_shape larger than the full transposed output");
      if (auto_pad == "SAME_UPPER") {
        w.pb[j] = total / 2;
        w.pe[j] = total - total / 2;
      } else {
        w.pb[j] = total - total / 2;
        w.pe[j] = total / 2;
      }
    }
    w.out[j] = full - w.pb[j] - w.pe[j];
    if (w.out[j] <= 0) return a.invalid("empty transposed-convolution output");
  }
  return w;
}

}  // namespace deepshark::ref
