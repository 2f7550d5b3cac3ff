// TensorFlow TensorProto / DataType / TensorShapeProto decoding with every size validated.
// Internal to the TF importer.
//
//   DS_TRY(ds::Tensor t, ds::tf_import::decode_tensor(proto, "node", "conv1/weights"));
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "base/tensor.h"
#include "import/tf/tf_graph.pb.h"

namespace deepshark::tf_import {

// Constants built from fewer stored values (a splat: one value for a whole shape) that decode to
// more than 8 bytes per stored byte draw on a budget of this many bytes for the whole GraphDef: a
// hostile file of a few bytes per Const node must not make us allocate gigabytes
// (docs/robustness.md).
inline constexpr uint64_t kMaxSplatBytes = uint64_t{64} << 20;

// "DT_FLOAT", or "DataType(57)" for values outside the enum.
std::string tf_dtype_name(int dtype);
// The graph dtype for a TF dtype: F16 widens to F32, quint8 reads as U8; nullopt when unsupported.
std::optional<DType> dtype_from_tf(int dtype);

// A static shape: every dim >= 0, rank <= 16, element count without overflow. InvalidModel
// naming `thing` '<name>' otherwise.
Result<Shape> static_shape(const tf::TensorShapeProto& s, const std::string& thing, const std::string& name);

// The tensor's data in its graph dtype. InvalidModel for sizes that do not match the shape or a
// splat over what is left of `splat_budget` (which it reduces), Unsupported for data types the
// graph has no dtype for.
Result<Tensor> decode_tensor(const tf::TensorProto& t, const std::string& thing, const std::string& name,
                             uint64_t& splat_budget);

float half_to_float(uint16_t h);

}  // namespace deepshark::tf_import
