// ONNX AttributeProto -> Attributes, and the value of a `Constant` node.
//
//   DS_RETURN_IF_ERROR(convert_attributes(node_proto, model_dir, node_label, node.attrs));
//   DS_TRY(Tensor v, constant_node_value(node_proto, model_dir, node_label));
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "base/status.h"
#include "graph/attributes.h"

namespace deepshark::onnx_import {

// Copies INT, FLOAT, STRING, INTS, FLOATS and TENSOR attributes. Unsupported naming the node and
// attribute for other kinds (graphs, strings lists, sparse tensors, type protos, references).
Status convert_attributes(const onnx::NodeProto& n, const std::string& model_dir, const std::string& node_label,
                          Attributes& out);

// The tensor a Constant node defines (value, value_float(s), value_int(s)). InvalidModel when it
// has not exactly one value attribute; Unsupported for string and sparse values.
Result<Tensor> constant_node_value(const onnx::NodeProto& n, const std::string& model_dir,
                                   const std::string& node_label);

}  // namespace deepshark::onnx_import
