// ONNX importer: a .onnx file -> Graph. Initializers and Constant nodes become constant values,
// nodes are sorted topologically, declared output shapes are ignored (shape inference decides),
// external-data paths are confined to the model's folder.
//
// What downstream can rely on:
//  - Graph inputs (initializers excluded) carry dtype and shape; dynamic dims are -1 and then
//    shape_known is false. Every other non-constant value has shape_known == false.
//  - Float16 tensors (initializers, Constant nodes, tensor attributes, .pb files) are widened to F32.
//  - Nodes are in the ONE opset-13-style form described in onnx_normalize.h whatever the file's
//    opset (attributes that later opsets moved to inputs become constant inputs; Upsample becomes
//    Resize; opset < 13 Softmax/LogSoftmax with axis != -1 becomes Flatten -> Softmax -> Reshape).
//  - Empty input names are kNoValue; nodes without a name are labelled "<OpType>_<index>".
//  - Errors are prefixed "failed to import model '<path>': " and name the initializer / node /
//    input, e.g. "failed to import initializer 'fc.weight': raw data size does not match shape
//    [10,20] (expected 800 bytes, got 796)".
//
//   DS_TRY(ds::Graph g, ds::import_onnx("model.onnx"));
//   DS_TRY(ds::Tensor t, ds::read_onnx_tensor("test_data_set_0/input_0.pb"));
#pragma once

#include <string>

#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"

namespace deepshark {

// InvalidModel for malformed files (naming the node / tensor and what is wrong; "not a valid ONNX
// ModelProto" when protobuf cannot parse it), Unsupported naming the op type and node for ops outside
// op_list.h or outside the default domain, for string/complex/bfloat16 tensors and for files over
// 2 GiB; IOError when the file (or its external data) cannot be read. `model_dir` confines external
// data ("" forbids it); `label` names the model in messages.
Result<Graph> import_onnx(const std::string& path);
Result<Graph> import_onnx_bytes(const std::string& bytes, const std::string& model_dir, const std::string& label);
// The same, consuming the bytes: they are freed once parsed (peak memory: the model once).
Result<Graph> import_onnx_owned(std::string bytes, const std::string& model_dir, const std::string& label);

// Reads a serialized onnx.TensorProto (.pb), as used by ONNX test data sets. Same decoder and
// errors as initializers (external data is confined to the file's folder).
Result<Tensor> read_onnx_tensor(const std::string& path);

}  // namespace deepshark
