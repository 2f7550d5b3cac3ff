#include "import/caffe/caffe_layers.h"

namespace deepshark::caffe_import {

Result<std::vector<ValueId>> convert_layer(Builder& b, const Layer& l) {
#define DS_X(name) \
  if (l.type == #name) return convert_##name(b, l);
  DS_CAFFE_LAYERS(DS_X)
#undef DS_X
  if (is_input_layer_type(l.type)) {
    return Builder::invalid(l, "an input layer must come before the layers that use it");
  }
  return Builder::unsupported(l, "unsupported layer type '" + l.type + "'");
}

bool is_supported_layer_type(std::string_view type) {
#define DS_X(name) \
  if (type == #name) return true;
  DS_CAFFE_LAYERS(DS_X)
  DS_CAFFE_INPUT_LAYERS(DS_X)
#undef DS_X
  return false;
}

bool is_input_layer_type(std::string_view type) {
#define DS_X(name) \
  if (type == #name) return true;
  DS_CAFFE_INPUT_LAYERS(DS_X)
#undef DS_X
  return false;
}

}  // namespace deepshark::caffe_import
