// Decoding an onnx.TensorProto into a Tensor, shared by initializers, Constant nodes, tensor
// attributes and .pb test data. Every count and size is checked against the data present before
// anything is allocated. Float16 tensors are widened to F32 here (the engine computes in F32).
//
//   DS_TRY(Tensor t, decode_tensor(proto, model_dir, "initializer", proto.name()));
#pragma once

#include <string>

#include <onnx/onnx_pb.h>

#include "base/status.h"
#include "base/tensor.h"

namespace deepshark::onnx_import {

// Errors name the tensor as "<thing> '<name>'": InvalidModel for a negative dim, an overflowing
// shape, raw/typed/external data that does not match the shape; Unsupported for string, complex,
// bfloat16 and unknown data types or segmented tensors; IOError for unreadable external data.
// `model_dir` is the folder external data is confined to ("" forbids external data).
Result<Tensor> decode_tensor(const onnx::TensorProto& t, const std::string& model_dir, const std::string& thing,
                             const std::string& name);

// Name of an ONNX TensorProto.DataType code ("FLOAT", "STRING", or "code 99" when unknown).
std::string onnx_dtype_name(int code);

// IEEE half -> float (exact).
float half_to_float(uint16_t h);

}  // namespace deepshark::onnx_import
