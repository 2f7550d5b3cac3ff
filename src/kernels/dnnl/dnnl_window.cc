#include "kernels/dnnl/dnnl_window.h"

namespace deepshark::dnnl_backend {
namespace {

Result<Dims> ints_attr(const Node& node, const char* name, size_t n, int64_t def, int64_t min) {
  std::vector<int64_t> v = node.attrs.get_ints(name);
  if (v.empty()) return Dims(n, def);
  if (v.size() != n)
    return unsupported(node, std::string(name) + " has the wrong length " +
                                 expected_got(std::to_string(n), std::to_string(v.size())));
  for (int64_t x : v)
    if (x < min) return unsupported(node, std::string(name) + " has a value below " + std::to_string(min));
  return Dims(v.begin(), v.end());
}

constexpr int64_t kMaxWindowExtent = 65536;

Result<WindowParams> common(const Node& node, const Dims& in, const Dims& kernel) {
  const size_t r = in.size();
  WindowParams w;
  w.kernel = kernel;
  for (int64_t k : kernel)
    if (k <= 0) return unsupported(node, "kernel size must be positive");
  auto ks = node.attrs.get_ints("kernel_shape");
  if (!ks.empty() && Dims(ks.begin(), ks.end()) != kernel)
    return unsupported(node, "kernel_shape disagrees with the weights");
  DS_TRY(w.strides, ints_attr(node, "strides", r, 1, 1));
  DS_TRY(w.dilations, ints_attr(node, "dilations", r, 1, 1));
  DS_TRY(Dims pads, ints_attr(node, "pads", 2 * r, 0, 0));
  w.pad_begin.assign(pads.begin(), pads.begin() + static_cast<long>(r));
  w.pad_end.assign(pads.begin() + static_cast<long>(r), pads.end());
  // oneDNN's window kernels precompute per-position tables: a fuzzed .dsk whose convolution had a
  // dilation of 16.7 M (and 33 M of padding, output 28 x 28) kept brgconv's primitive creation
  // busy for 44 s and 8 GB before it gave up. Windows that large are the reference kernel's.
  for (size_t i = 0; i < r; ++i) {
    const bool huge = w.dilations[i] > kMaxWindowExtent || (kernel[i] - 1) * w.dilations[i] + 1 > kMaxWindowExtent ||
                      w.pad_begin[i] > kMaxWindowExtent || w.pad_end[i] > kMaxWindowExtent ||
                      w.strides[i] > kMaxWindowExtent;
    if (huge) return unsupported(node, "window (dilated kernel, padding or stride) over 65536");
  }
  return w;
}

}  // namespace

Dims dnnl_dilations(const Dims& d) {
  Dims out(d);
  for (auto& x : out) x -= 1;
  return out;
}

Result<WindowParams> forward_window(const Node& node, const Dims& in, const Dims& out, const Dims& kernel) {
  DS_TRY(WindowParams w, common(node, in, kernel));
  const std::string auto_pad = node.attrs.get_string("auto_pad", "NOTSET");
  const size_t r = in.size();
  w.pad_right.resize(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t keff = (kernel[i] - 1) * w.dilations[i] + 1;
    if (auto_pad == "VALID") {
      w.pad_begin[i] = w.pad_end[i] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t total = std::max<int64_t>(0, (out[i] - 1) * w.strides[i] + keff - in[i]);
      w.pad_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pad_end[i] = total - w.pad_begin[i];
    } else if (auto_pad != "NOTSET") {
      return unsupported(node, "unknown auto_pad '" + auto_pad + "'");
    }
    const int64_t span = in[i] + w.pad_begin[i] + w.pad_end[i] - keff;
    if (span >= 0 && span / w.strides[i] + 1 == out[i]) {
      w.pad_right[i] = w.pad_end[i];
    } else {
      // ceil_mode (pooling) or an output shape the floor formula does not give: size the end
      // padding so oneDNN's floor formula lands on the graph's output size.
      w.pad_right[i] = (out[i] - 1) * w.strides[i] + keff - in[i] - w.pad_begin[i];
    }
    if (w.pad_right[i] < 0 || w.pad_begin[i] >= keff + in[i])
      return unsupported(node, "window does not fit the output shape");
  }
  return w;
}

Result<WindowParams> transpose_window(const Node& node, const Dims& in, const Dims& out, const Dims& kernel) {
  DS_TRY(WindowParams w, common(node, in, kernel));
  const std::string auto_pad = node.attrs.get_string("auto_pad", "NOTSET");
  const bool derive = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER" ||
                      (auto_pad == "NOTSET" && node.attrs.has("output_shape") && !node.attrs.has("pads"));
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && !derive)
    return unsupported(node, "unknown auto_pad '" + auto_pad + "'");
  const size_t r = in.size();
  w.pad_right.resize(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t keff = (kernel[i] - 1) * w.dilations[i] + 1;
    const int64_t full = (in[i] - 1) * w.strides[i] + keff;  // output size without padding
    if (auto_pad == "VALID") {
      w.pad_begin[i] = 0;
    } else if (derive) {
      const int64_t total = full - out[i];
      if (total < 0 || total % 2 != 0)
        return unsupported(node, "SAME / output_shape padding that is negative or odd");
      w.pad_begin[i] = total / 2;
    }
    // oneDNN: out = full - pad_l - pad_r; output_padding ends up as a smaller pad_r.
    w.pad_right[i] = full - out[i] - w.pad_begin[i];
    w.pad_end[i] = w.pad_right[i];
    if (w.pad_right[i] < 0) return unsupported(node, "output_padding beyond the end padding");
  }
  return w;
}

}  // namespace deepshark::dnnl_backend
