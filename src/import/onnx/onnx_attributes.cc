#include "import/onnx/onnx_attributes.h"

#include "import/onnx/onnx_tensor.h"

namespace deepshark::onnx_import {

namespace {

using AP = onnx::AttributeProto;

// Models written by old exporters leave `type` unset: infer it from the field that is present.
AP::AttributeType kind_of(const AP& a) {
  if (a.has_type() && a.type() != AP::UNDEFINED) return a.type();
  if (a.has_f()) return AP::FLOAT;
  if (a.has_i()) return AP::INT;
  if (a.has_s()) return AP::STRING;
  if (a.has_t()) return AP::TENSOR;
  if (a.floats_size() > 0) return AP::FLOATS;
  if (a.ints_size() > 0) return AP::INTS;
  if (a.has_g()) return AP::GRAPH;
  if (a.strings_size() > 0) return AP::STRINGS;
  return AP::UNDEFINED;
}

std::string kind_name(AP::AttributeType k) {
  if (AP::AttributeType_IsValid(k)) return AP::AttributeType_Name(k);
  return "code " + std::to_string(static_cast<int>(k));
}

template <typename T, typename Src>
Result<Tensor> vector_tensor(Shape shape, const Src& src) {
  DS_TRY(Tensor t, Tensor::create(dtype_of<T>(), std::move(shape), default_allocator(), MemoryClass::Weights));
  T* p = t.data<T>();
  for (int i = 0; i < static_cast<int>(src.size()); ++i) p[i] = static_cast<T>(src[i]);
  return t;
}

}  // namespace

Status convert_attributes(const onnx::NodeProto& n, const std::string& model_dir, const std::string& node_label,
                          Attributes& out) {
  for (const AP& a : n.attribute()) {
    if (a.name().empty()) {
      return make_error(ErrorCode::InvalidModel, "import", "node", node_label, "an attribute has no name");
    }
    if (!a.ref_attr_name().empty()) {
      return make_error(ErrorCode::Unsupported, "import", "node", node_label,
                        "attribute '" + a.name() + "' refers to a function attribute");
    }
    const AP::AttributeType k = kind_of(a);
    switch (k) {
      case AP::INT: out.set_int(a.name(), a.i()); break;
      case AP::FLOAT: out.set_float(a.name(), a.f()); break;
      case AP::STRING: out.set_string(a.name(), a.s()); break;
      case AP::INTS: out.set_ints(a.name(), {a.ints().begin(), a.ints().end()}); break;
      case AP::FLOATS: out.set_floats(a.name(), {a.floats().begin(), a.floats().end()}); break;
      case AP::TENSOR: {
        DS_TRY(Tensor t, decode_tensor(a.t(), model_dir, "attribute", node_label + "." + a.name()));
        out.set_tensor(a.name(), std::move(t));
        break;
      }
      default:
        return make_error(ErrorCode::Unsupported, "import", "node", node_label,
                          "attribute '" + a.name() + "' has unsupported type '" + kind_name(k) + "'");
    }
  }
  return Status::ok_status();
}

Result<Tensor> constant_node_value(const onnx::NodeProto& n, const std::string& model_dir,
                                   const std::string& node_label) {
  if (n.attribute_size() != 1) {
    return make_error(ErrorCode::InvalidModel, "import", "node", node_label,
                      "a Constant node needs exactly one value attribute " +
                          expected_got("1", std::to_string(n.attribute_size())));
  }
  const AP& a = n.attribute(0);
  const std::string& key = a.name();
  if (key == "value") {
    if (!a.has_t()) return make_error(ErrorCode::InvalidModel, "import", "node", node_label, "attribute 'value' holds no tensor");
    return decode_tensor(a.t(), model_dir, "constant", node_label);
  }
  if (key == "value_float") return vector_tensor<float>({}, std::vector<float>{a.f()});
  if (key == "value_int") return vector_tensor<int64_t>({}, std::vector<int64_t>{a.i()});
  if (key == "value_floats") return vector_tensor<float>({a.floats_size()}, a.floats());
  if (key == "value_ints") return vector_tensor<int64_t>({a.ints_size()}, a.ints());
  if (key == "value_string" || key == "value_strings" || key == "sparse_value") {
    return make_error(ErrorCode::Unsupported, "import", "node", node_label,
                      "Constant attribute '" + key + "' is not supported");
  }
  return make_error(ErrorCode::InvalidModel, "import", "node", node_label,
                    "unknown Constant attribute '" + key + "'");
}

}  // namespace deepshark::onnx_import
