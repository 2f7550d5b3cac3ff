// Internal: window geometry shared by convolution, transposed convolution and pooling. Spatial
// ranks 1..3 are lifted to 3 by leading size-1 dimensions so one loop nest serves them all.
//
//   DS_TRY(Window w, conv_window(a, x.shape, kernel, /*pool=*/false, /*ceil_mode=*/false));
//   w.out[2]  // output width
#pragma once

#include <array>

#include "kernels/ref/ref_common.h"

namespace deepshark::ref {

struct Window {
  int rank = 0;  // original spatial rank (1..3)
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, k{1, 1, 1}, s{1, 1, 1}, d{1, 1, 1}, pb{0, 0, 0},
      pe{0, 0, 0};
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t k_size() const { return k[0] * k[1] * k[2]; }
};

// Reads strides, dilations, pads and auto_pad from the node's attributes for a forward window
// (Conv, MaxPool, AveragePool) over spatial dims `in` with kernel `kernel`, and computes the
// output size. ceil_mode applies to pooling only. InvalidArgument on bad attribute lengths,
// non-positive values or an empty output.
Result<Window> forward_window(const RefArgs& a, const Shape& in, const std::vector<int64_t>& kernel,
                              bool ceil_mode);

// Same for ConvTranspose (output_padding, output_shape, auto_pad as in ONNX opset 13).
Result<Window> transpose_window(const RefArgs& a, const Shape& in, const std::vector<int64_t>& kernel);

// Output spatial sizes that are also acceptable for a ceil_mode pooling whose last window starts
// in the end padding (the ONNX formula keeps it, PyTorch / ONNX Runtime drop it).
bool pool_out_matches(const Window& w, bool ceil_mode, const Shape& out_spatial);

}  // namespace deepshark::ref
