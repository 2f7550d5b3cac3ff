// External tensor data (TensorProto.data_location == EXTERNAL): a tensor's bytes live in a file
// beside the model. The location is hostile input: it must name a regular file inside the model's
// folder (no absolute path, no "..", no symlink leading out), and offset/length must lie inside it.
//
//   DS_TRY(ExternalRange r, resolve_external_data(proto, model_dir, expected_bytes, "initializer", "w"));
//   DS_RETURN_IF_ERROR(read_external_data(r, dst, "initializer", "w"));
#pragma once

#include <cstdint>
#include <string>

#include <onnx/onnx_pb.h>

#include "base/status.h"

namespace deepshark::onnx_import {

struct ExternalRange {
  std::string path;        // canonical path of the data file, inside the model folder
  uint64_t offset = 0;
  uint64_t length = 0;     // == the tensor's byte size
};

// InvalidModel (naming `thing` `name`) for a path outside the model folder, a missing/invalid key,
// a length that does not match `expected_bytes`, or a range past the end of the file; IOError when
// the file cannot be opened.
Result<ExternalRange> resolve_external_data(const onnx::TensorProto& t, const std::string& model_dir,
                                            uint64_t expected_bytes, const std::string& thing,
                                            const std::string& name);

// Reads the range into dst (range.length bytes). IOError on a short or failed read.
Status read_external_data(const ExternalRange& range, void* dst, const std::string& thing, const std::string& name);

}  // namespace deepshark::onnx_import
