// The Caffe layer types the importer supports: one list, from which the converter dispatch and
// the `deepshark inspect` report are generated. Each converter maps one layer to graph nodes
// (ONNX opset-13 semantics) and returns one value per top. Internal to the Caffe importer.
//
//   Result<std::vector<ValueId>> outs = convert_layer(builder, layer);   // Unsupported if not listed
#pragma once

#include <string_view>
#include <vector>

#include "import/caffe/caffe_builder.h"

namespace deepshark::caffe_import {

// Layers that define graph inputs (handled by the importer itself, not by a converter).
#define DS_CAFFE_INPUT_LAYERS(X) X(Input) X(Data) X(MemoryData)

// X(TypeName): converter convert_<TypeName>.
#define DS_CAFFE_LAYERS(X)                                                                    \
  /* caffe_layers_conv.cc */                                                                  \
  X(Convolution) X(Deconvolution) X(Pooling) X(InnerProduct) X(LRN)                           \
  /* caffe_layers_unary.cc */                                                                 \
  X(ReLU) X(PReLU) X(Sigmoid) X(TanH) X(Power) X(Softmax) X(BatchNorm) X(Scale) X(Dropout)    \
  /* caffe_layers_shape.cc */                                                                 \
  X(Eltwise) X(Concat) X(Flatten) X(Reshape) X(Permute) X(Slice) X(Split)

#define DS_X(name) Result<std::vector<ValueId>> convert_##name(Builder& b, const Layer& l);
DS_CAFFE_LAYERS(DS_X)
#undef DS_X

// Dispatches on l.type; Unsupported "unsupported layer type '<type>'" for anything not listed.
Result<std::vector<ValueId>> convert_layer(Builder& b, const Layer& l);
bool is_supported_layer_type(std::string_view type);
bool is_input_layer_type(std::string_view type);

}  // namespace deepshark::caffe_import
