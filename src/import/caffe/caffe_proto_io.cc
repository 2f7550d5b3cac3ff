#include "import/caffe/caffe_proto_io.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

namespace deepshark::caffe_import {

namespace {

Status invalid_layer(const std::string& layer, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", "layer", layer, reason);
}

// Keeps the first error (with its position) and drops the warnings unknown fields produce.
class FirstError : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column, const std::string& message) override {
    if (!message_.empty()) return;
    message_ = "line " + std::to_string(line + 1) + ", column " + std::to_string(column + 1) + ": " + message;
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber, const std::string&) override {}
  const std::string& message() const { return message_; }

 private:
  std::string message_;
};

struct V1Name {
  caffe::V1LayerParameter::LayerType type;
  const char* name;
};

// V1 enum -> current type name, for the types whose name changed spelling.
constexpr V1Name kV1Names[] = {
    {caffe::V1LayerParameter::CONCAT, "Concat"},         {caffe::V1LayerParameter::CONVOLUTION, "Convolution"},
    {caffe::V1LayerParameter::DATA, "Data"},             {caffe::V1LayerParameter::DECONVOLUTION, "Deconvolution"},
    {caffe::V1LayerParameter::DROPOUT, "Dropout"},       {caffe::V1LayerParameter::ELTWISE, "Eltwise"},
    {caffe::V1LayerParameter::FLATTEN, "Flatten"},       {caffe::V1LayerParameter::INNER_PRODUCT, "InnerProduct"},
    {caffe::V1LayerParameter::LRN, "LRN"},               {caffe::V1LayerParameter::MEMORY_DATA, "MemoryData"},
    {caffe::V1LayerParameter::POOLING, "Pooling"},       {caffe::V1LayerParameter::POWER, "Power"},
    {caffe::V1LayerParameter::RELU, "ReLU"},             {caffe::V1LayerParameter::SIGMOID, "Sigmoid"},
    {caffe::V1LayerParameter::SOFTMAX, "Softmax"},       {caffe::V1LayerParameter::SPLIT, "Split"},
    {caffe::V1LayerParameter::SLICE, "Slice"},           {caffe::V1LayerParameter::TANH, "TanH"},
    {caffe::V1LayerParameter::ABSVAL, "AbsVal"},         {caffe::V1LayerParameter::ACCURACY, "Accuracy"},
    {caffe::V1LayerParameter::ARGMAX, "ArgMax"},         {caffe::V1LayerParameter::BNLL, "BNLL"},
    {caffe::V1LayerParameter::EXP, "Exp"},               {caffe::V1LayerParameter::MVN, "MVN"},
    {caffe::V1LayerParameter::SILENCE, "Silence"},       {caffe::V1LayerParameter::SOFTMAX_LOSS, "SoftmaxWithLoss"},
    {caffe::V1LayerParameter::THRESHOLD, "Threshold"},   {caffe::V1LayerParameter::IMAGE_DATA, "ImageData"},
    {caffe::V1LayerParameter::HDF5_DATA, "HDF5Data"},    {caffe::V1LayerParameter::DUMMY_DATA, "DummyData"},
};

caffe::LayerParameter from_v1(caffe::V1LayerParameter& v1) {
  caffe::LayerParameter l;
  l.set_name(v1.name());
  l.set_type(v1_type_name(v1.type()));
  for (const std::string& s : v1.bottom()) l.add_bottom(s);
  for (const std::string& s : v1.top()) l.add_top(s);
  l.mutable_include()->Swap(v1.mutable_include());
  l.mutable_exclude()->Swap(v1.mutable_exclude());
  l.mutable_blobs()->Swap(v1.mutable_blobs());
#define DS_V1_PARAM(field) \
  if (v1.has_##field()) l.mutable_##field()->Swap(v1.mutable_##field());
  DS_V1_PARAM(concat_param)
  DS_V1_PARAM(convolution_param)
  DS_V1_PARAM(data_param)
  DS_V1_PARAM(dropout_param)
  DS_V1_PARAM(eltwise_param)
  DS_V1_PARAM(inner_product_param)
  DS_V1_PARAM(lrn_param)
  DS_V1_PARAM(memory_data_param)
  DS_V1_PARAM(pooling_param)
  DS_V1_PARAM(power_param)
  DS_V1_PARAM(relu_param)
  DS_V1_PARAM(softmax_param)
  DS_V1_PARAM(slice_param)
#undef DS_V1_PARAM
  return l;
}

}  // namespace

Result<caffe::NetParameter> parse_prototxt(const std::string& text) {
  if (text.size() > kMaxProtoBytes) {
    return Status(ErrorCode::Unsupported, "the prototxt is too large " + expected_got("<= " + std::to_string(kMaxProtoBytes) + " bytes",
                                                                                        std::to_string(text.size())));
  }
  caffe::NetParameter net;
  google::protobuf::TextFormat::Parser parser;
  FirstError errors;
  parser.RecordErrorsTo(&errors);
  parser.AllowUnknownField(true);
  parser.AllowUnknownExtension(true);
  parser.SetRecursionLimit(64);
  if (!parser.ParseFromString(text, &net)) {
    return Status(ErrorCode::InvalidModel, "not a valid Caffe prototxt (text NetParameter): " +
                                               (errors.message().empty() ? std::string("parse failed") : errors.message()));
  }
  return net;
}

Result<caffe::NetParameter> parse_caffemodel(const std::string& bytes) {
  caffe::NetParameter net;
  if (bytes.size() > kMaxProtoBytes) {
    return Status(ErrorCode::Unsupported, "the caffemodel is too large for a protobuf message " +
                                              expected_got("<= " + std::to_string(kMaxProtoBytes) + " bytes", std::to_string(bytes.size())));
  }
  if (bytes.empty() || !net.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status(ErrorCode::InvalidModel, "not a valid caffemodel (binary NetParameter): protobuf parse failed "
                                           "(truncated or not a caffemodel)");
  }
  return net;
}

Result<caffe::BlobProto> parse_blob_proto(const std::string& bytes, const std::string& label) {
  caffe::BlobProto blob;
  if (bytes.size() > kMaxProtoBytes || bytes.empty() || !blob.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(ErrorCode::InvalidModel, "read", "mean file", label, "not a valid binary BlobProto");
  }
  return blob;
}

std::string v1_type_name(int v1_type) {
  for (const V1Name& n : kV1Names) {
    if (static_cast<int>(n.type) == v1_type) return n.name;
  }
  if (caffe::V1LayerParameter::LayerType_IsValid(v1_type)) {
    return caffe::V1LayerParameter::LayerType_Name(static_cast<caffe::V1LayerParameter::LayerType>(v1_type));
  }
  return "V1 type " + std::to_string(v1_type);
}

Status normalize_layers(caffe::NetParameter& net) {
  if (net.layers_size() == 0) return Status::ok_status();
  if (net.layer_size() > 0) {
    return Status(ErrorCode::InvalidModel, "the net mixes the current `layer` form and the legacy `layers` form " +
                                               expected_got("one form", std::to_string(net.layer_size()) + " layer and " +
                                                                            std::to_string(net.layers_size()) + " layers entries"));
  }
  for (caffe::V1LayerParameter& v1 : *net.mutable_layers()) *net.add_layer() = from_v1(v1);
  net.clear_layers();
  return Status::ok_status();
}

bool in_test_phase(const caffe::LayerParameter& layer) {
  auto matches = [](const caffe::NetStateRule& r) { return !r.has_phase() || r.phase() == caffe::TEST; };
  if (layer.include_size() > 0) {
    bool any = false;
    for (const auto& r : layer.include()) any = any || matches(r);
    if (!any) return false;
  }
  for (const auto& r : layer.exclude()) {
    if (matches(r)) return false;
  }
  return true;
}

Result<Shape> blob_shape(const caffe::BlobProto& blob, const std::string& layer, const std::string& what) {
  Shape shape;
  if (blob.has_shape()) {
    if (blob.shape().dim_size() > 16) {
      return invalid_layer(layer, what + " blob has too many dimensions " + expected_got("<= 16", std::to_string(blob.shape().dim_size())));
    }
    shape.assign(blob.shape().dim().begin(), blob.shape().dim().end());
  } else {
    shape = {blob.num(), blob.channels(), blob.height(), blob.width()};
  }
  for (int64_t d : shape) {
    if (d < 0) return invalid_layer(layer, what + " blob has a negative dimension in " + shape_to_string(shape));
  }
  if (!checked_numel(shape)) {
    return invalid_layer(layer, what + " blob shape " + shape_to_string(shape) + " has too many elements " +
                                    expected_got("<= " + std::to_string(kMaxElements), "an overflowing product"));
  }
  return shape;
}

Result<Tensor> decode_blob(const caffe::BlobProto& blob, const std::string& layer, const std::string& what) {
  DS_TRY(Shape shape, blob_shape(blob, layer, what));
  // A legacy blob written with only data (no dims at all) is a vector.
  if (!blob.has_shape() && numel(shape) == 0 && (blob.data_size() > 0 || blob.double_data_size() > 0)) {
    shape = {std::max<int64_t>(blob.data_size(), blob.double_data_size())};
  }
  const int64_t count = numel(shape);
  if (blob.data_size() > 0 && blob.double_data_size() > 0) {
    return invalid_layer(layer, what + " blob has both float and double data " + expected_got("one of them", "both"));
  }
  const int64_t have = blob.double_data_size() > 0 ? blob.double_data_size() : blob.data_size();
  if (have != count) {
    return invalid_layer(layer, what + " blob data does not match its shape " + shape_to_string(shape) + " " +
                                    expected_got(std::to_string(count) + " values", std::to_string(have)));
  }
  DS_TRY(Tensor t, Tensor::create(DType::F32, shape));
  float* p = t.data<float>();
  if (blob.double_data_size() > 0) {
    for (int64_t i = 0; i < count; ++i) p[i] = static_cast<float>(blob.double_data(static_cast<int>(i)));
  } else if (count > 0) {
    std::copy(blob.data().begin(), blob.data().end(), p);
  }
  return t;
}

}  // namespace deepshark::caffe_import
