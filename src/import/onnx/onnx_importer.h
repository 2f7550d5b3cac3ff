// ONNX importer: a .onnx file -> Graph. Initializers and Constant nodes become constant values,
// nodes are sorted topologically, declared output shapes are ignored (shape inference decides),
// external-data paths are confined to the model's folder.
//
//   DS_TRY(ds::Graph g, ds::import_onnx("model.onnx"));
//   DS_TRY(ds::Tensor t, ds::read_onnx_tensor("test_data_set_0/input_0.pb"));
#pragma once

#include <string>

#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"

namespace deepshark {

// InvalidModel for malformed files (naming the node / tensor and what is wrong), Unsupported
// naming the op type and node for ops outside op_list.h, IOError when the file cannot be read.
Result<Graph> import_onnx(const std::string& path);
Result<Graph> import_onnx_bytes(const std::string& bytes, const std::string& model_dir, const std::string& label);

// Reads a serialized onnx.TensorProto (.pb), as used by ONNX test data sets.
Result<Tensor> read_onnx_tensor(const std::string& path);

}  // namespace deepshark
