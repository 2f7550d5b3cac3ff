// Internal: window geometry (strides, dilations, pads, auto_pad) of Conv, ConvTranspose and the
// pooling ops, resolved against the output shape that shape inference already put on the graph.
#pragma once

#include "kernels/dnnl/dnnl_common.h"

namespace deepshark::dnnl_backend {

struct WindowParams {
  Dims kernel, strides, dilations;  // dilations as ONNX counts them (1 = dense)
  Dims pad_begin, pad_end;          // as the node states them (after auto_pad)
  Dims pad_right;                   // what oneDNN needs so that its output size is the graph's
};

// Forward windows (Conv, pooling): reads strides, dilations, pads, auto_pad for `rank` spatial
// dims; in/out are the spatial sizes. Unsupported on malformed attributes.
Result<WindowParams> forward_window(const Node& node, const Dims& in, const Dims& out, const Dims& kernel);

// ConvTranspose: pads from pads / auto_pad / output_shape; pad_right from the graph output shape
// (absorbs output_padding). Unsupported when SAME padding would be split unevenly (ONNX and
// runtimes disagree on where the odd pixel goes).
Result<WindowParams> transpose_window(const Node& node, const Dims& in, const Dims& out, const Dims& kernel);

// oneDNN counts dilation from 0.
Dims dnnl_dilations(const Dims& onnx_dilations);

}  // namespace deepshark::dnnl_backend
