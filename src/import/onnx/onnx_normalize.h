// Opset normalisation: rewrites nodes written for older ONNX opsets into the ONE form the rest
// of DeepShark sees, so shape inference and kernels implement each op once.
//
// After normalize_opset (for any source opset):
//   Slice      inputs (data, starts, ends[, axes[, steps]])          (Slice-10+ form)
//   Reshape    inputs (data, shape)                                  (Reshape-5+ form)
//   Split      inputs (data[, split])                                (Split-13 form)
//   Squeeze / Unsqueeze  inputs (data[, axes])                       (opset-13 form)
//   ReduceMean/Max/Min/Sum  inputs (data[, axes])                    (ReduceSum-13 / Reduce*-18 form:
//                                                                     axes is ALWAYS an input, never an attribute)
//   Clip       inputs (x[, min[, max]]) as F32 scalars               (Clip-11+ form)
//   Pad        inputs (data, pads[, constant_value]), attr mode      (Pad-11+ form)
//   Upsample   becomes Resize; Resize inputs (X, roi, scales[, sizes]) with empty roi/scales
//              constants turned into absent inputs; for Upsample and Resize-10 the attributes
//              coordinate_transformation_mode="asymmetric" and nearest_mode="floor" keep the old
//              semantics ("bilinear" mode becomes "linear")
//   Softmax / LogSoftmax (opset < 13: "flatten to 2-D at axis" semantics) become
//              Flatten(axis) -> Softmax(axis=-1) -> Reshape(to Shape(x)), which is exact for any
//              rank; axis = -1 needs no rewrite (both semantics agree)
//   Concat     axis set explicitly (opset < 4 defaulted to 1)
//   Cast       attr `to` always an INT (opset < 6 wrote a type name)
//
//   UniqueNames names(all_names_in_file);
//   DS_RETURN_IF_ERROR(normalize_opset(graph, opset, names));
#pragma once

#include <string>
#include <unordered_set>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark::onnx_import {

// Hands out value and node names that collide neither with names from the file nor with each other.
class UniqueNames {
 public:
  void reserve(const std::string& name) { used_.insert(name); }
  // `base` if free, else base_1, base_2, ...
  std::string make(const std::string& base);

 private:
  std::unordered_set<std::string> used_;
};

// Rewrites graph.nodes in place (order preserved; inserted nodes sit next to the node they
// replace). InvalidModel naming the node when an attribute conflicts with an input present in the
// same slot; Unsupported for legacy forms with different semantics (opset < 7 broadcasting with axis).
Status normalize_opset(Graph& graph, int opset, UniqueNames& names);

}  // namespace deepshark::onnx_import
