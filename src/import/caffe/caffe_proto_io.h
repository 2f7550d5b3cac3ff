// Reading Caffe's files into our schema (caffe.proto): text prototxt, binary caffemodel and
// BlobProto, the V1 -> current layer conversion, and BlobProto -> Tensor with every size checked.
// Internal to the Caffe importer.
//
//   DS_TRY(caffe::NetParameter net, parse_prototxt(text));
//   DS_RETURN_IF_ERROR(normalize_layers(net));            // V1 `layers` -> `layer`
//   DS_TRY(caffe::NetParameter weights, parse_caffemodel(bytes));
//   DS_RETURN_IF_ERROR(normalize_layers(weights));
//   DS_TRY(Tensor t, decode_blob(net.layer(0).blobs(0), "conv1", "weight"));
#pragma once

#include <string>

#include "base/status.h"
#include "base/tensor.h"
#include "import/caffe/caffe.pb.h"

namespace deepshark::caffe_import {

namespace caffe = ::deepshark::caffe;

// Protobuf cannot parse messages of 2 GiB or more.
inline constexpr uint64_t kMaxProtoBytes = (uint64_t{1} << 31) - 1;

// Text NetParameter. Fields outside our schema are skipped (Caffe files carry training-only
// settings such as `param { lr_mult }` and fillers). InvalidModel with line and column otherwise.
Result<caffe::NetParameter> parse_prototxt(const std::string& text);
// Binary NetParameter (.caffemodel). InvalidModel when protobuf cannot parse it.
Result<caffe::NetParameter> parse_caffemodel(const std::string& bytes);
// Binary BlobProto (.binaryproto).
Result<caffe::BlobProto> parse_blob_proto(const std::string& bytes, const std::string& label);

// Moves every V1 `layers` entry into `layer` (type enum -> type name, parameters and blobs
// carried over), so the rest of the importer sees one form. A file using both forms is
// InvalidModel (Caffe refuses it too).
Status normalize_layers(caffe::NetParameter& net);
// The type name for a V1 layer enum ("Convolution" for CONVOLUTION; the enum's own name for
// types without a current equivalent).
std::string v1_type_name(int v1_type);

// True when a layer runs in the TEST phase under its include / exclude rules.
bool in_test_phase(const caffe::LayerParameter& layer);

// The blob's shape: `shape`, else the legacy num/channels/height/width. InvalidModel for negative
// dimensions or an element count that overflows.
Result<Shape> blob_shape(const caffe::BlobProto& blob, const std::string& layer, const std::string& what);
// The blob as an F32 tensor of blob_shape (double_data narrowed). InvalidModel when the number of
// values disagrees with the shape (checked before anything is allocated).
Result<Tensor> decode_blob(const caffe::BlobProto& blob, const std::string& layer, const std::string& what);

}  // namespace deepshark::caffe_import
