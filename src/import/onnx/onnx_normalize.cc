#include "import/onnx/onnx_normalize.h"

#include <onnx/onnx_pb.h>

namespace deepshark::onnx_import {

std::string UniqueNames::make(const std::string& base) {
  std::string name = base;
  for (int i = 1; used_.count(name) != 0; ++i) name = base + "_" + std::to_string(i);
  used_.insert(name);
  return name;
}

namespace {

struct Rewriter {
  Graph& g;
  UniqueNames& names;
  std::vector<Node> out;  // the rewritten node list

  Status bad(const Node& n, const std::string& reason) const {
    return make_error(ErrorCode::InvalidModel, "import", "node", n.name, reason);
  }

  template <typename T>
  Result<ValueId> constant(const Node& n, const std::string& what, Shape shape, const std::vector<T>& v) {
    DS_TRY(Tensor t, Tensor::create(dtype_of<T>(), std::move(shape), default_allocator(), MemoryClass::Weights));
    for (size_t i = 0; i < v.size(); ++i) t.data<T>()[i] = v[i];
    return g.add_constant(names.make(n.name + "/" + what), std::move(t));
  }

  // Moves INTS attribute `attr` into input slot `slot` as an I64 constant.
  Status ints_to_input(Node& n, const std::string& attr, size_t slot) {
    const Attribute* a = n.attrs.find(attr);
    if (!a) return Status::ok_status();
    if (n.input(slot) != kNoValue) {
      return bad(n, "attribute '" + attr + "' and input " + std::to_string(slot) + " are both given");
    }
    std::vector<int64_t> v = a->kind == AttrKind::Int ? std::vector<int64_t>{a->i} : a->ints;
    DS_TRY(ValueId id, constant<int64_t>(n, attr, {static_cast<int64_t>(v.size())}, v));
    set_input(n, slot, id);
    n.attrs.erase(attr);
    return Status::ok_status();
  }

  Status float_to_input(Node& n, const std::string& attr, size_t slot) {
    const Attribute* a = n.attrs.find(attr);
    if (!a) return Status::ok_status();
    if (n.input(slot) != kNoValue) {
      return bad(n, "attribute '" + attr + "' and input " + std::to_string(slot) + " are both given");
    }
    float v = n.attrs.get_float(attr, 0.f);
    DS_TRY(ValueId id, constant<float>(n, attr, {}, {v}));
    set_input(n, slot, id);
    n.attrs.erase(attr);
    return Status::ok_status();
  }

  static void set_input(Node& n, size_t slot, ValueId id) {
    if (n.inputs.size() <= slot) n.inputs.resize(slot + 1, kNoValue);
    n.inputs[slot] = id;
  }

  bool empty_constant(ValueId id) const {
    return id != kNoValue && g.value(id).is_constant() && g.value(id).constant->numel() == 0;
  }

  // Old Softmax: softmax over the input flattened to 2-D at `axis`.
  Status decompose_softmax(Node n, int64_t axis) {
    if (n.inputs.size() != 1 || n.outputs.size() != 1 || n.inputs[0] == kNoValue) {
      return bad(n, std::string(op_name(n.op)) + " takes one input and one output");
    }
    const ValueId x = n.inputs[0], y = n.outputs[0];
    const ValueId flat = g.add_value(names.make(n.name + "/flat"));
    const ValueId soft = g.add_value(names.make(n.name + "/softmax_2d"));
    const ValueId shp = g.add_value(names.make(n.name + "/input_shape"), DType::I64);
    Node flatten;
    flatten.op = OpType::Flatten;
    flatten.name = names.make(n.name + "/flatten");
    flatten.inputs = {x};
    flatten.outputs = {flat};
    flatten.attrs.set_int("axis", axis);
    Node shape;
    shape.op = OpType::Shape;
    shape.name = names.make(n.name + "/shape");
    shape.inputs = {x};
    shape.outputs = {shp};
    Node reshape;
    reshape.op = OpType::Reshape;
    reshape.name = names.make(n.name + "/reshape");
    reshape.inputs = {soft, shp};
    reshape.outputs = {y};
    n.inputs = {flat};
    n.outputs = {soft};
    n.attrs.set_int("axis", -1);
    out.push_back(std::move(flatten));
    out.push_back(std::move(shape));
    out.push_back(std::move(n));
    out.push_back(std::move(reshape));
    return Status::ok_status();
  }

  Status rewrite(Node n, int opset) {
    switch (n.op) {
      case OpType::Reshape:
        if (opset < 5) DS_RETURN_IF_ERROR(ints_to_input(n, "shape", 1));
        break;
      case OpType::Slice:
        if (opset < 10) {
          DS_RETURN_IF_ERROR(ints_to_input(n, "starts", 1));
          DS_RETURN_IF_ERROR(ints_to_input(n, "ends", 2));
          DS_RETURN_IF_ERROR(ints_to_input(n, "axes", 3));
        }
        break;
      case OpType::Split:
        if (opset < 13) DS_RETURN_IF_ERROR(ints_to_input(n, "split", 1));
        break;
      case OpType::Squeeze:
      case OpType::Unsqueeze:
        if (opset < 13) DS_RETURN_IF_ERROR(ints_to_input(n, "axes", 1));
        break;
      case OpType::ReduceSum:
        if (opset < 13) DS_RETURN_IF_ERROR(ints_to_input(n, "axes", 1));
        break;
      case OpType::ReduceMean:
      case OpType::ReduceMax:
      case OpType::ReduceMin:
        if (opset < 18) DS_RETURN_IF_ERROR(ints_to_input(n, "axes", 1));
        break;
      case OpType::Clip:
        if (opset < 11) {
          DS_RETURN_IF_ERROR(float_to_input(n, "min", 1));
          DS_RETURN_IF_ERROR(float_to_input(n, "max", 2));
        }
        break;
      case OpType::Pad:
        if (opset < 11) {
          if (n.attrs.has("paddings") && !n.attrs.has("pads")) {  // Pad-1 spelling
            n.attrs.set_ints("pads", n.attrs.get_ints("paddings"));
            n.attrs.erase("paddings");
          }
          DS_RETURN_IF_ERROR(ints_to_input(n, "pads", 1));
          DS_RETURN_IF_ERROR(float_to_input(n, "value", 2));
        }
        break;
      case OpType::Upsample: {
        n.op = OpType::Resize;
        ValueId x = n.input(0), scales = n.input(1);
        n.inputs = {x, kNoValue, scales};
        if (opset < 9) {
          const Attribute* a = n.attrs.find("scales");
          if (a) {
            if (scales != kNoValue) return bad(n, "attribute 'scales' and the scales input are both given");
            DS_TRY(ValueId id, constant<float>(n, "scales", {static_cast<int64_t>(a->floats.size())}, a->floats));
            n.inputs[2] = id;
            n.attrs.erase("scales");
          }
        }
        if (n.attrs.get_string("mode", "nearest") == "bilinear") n.attrs.set_string("mode", "linear");
        n.attrs.set_string("coordinate_transformation_mode", "asymmetric");
        n.attrs.set_string("nearest_mode", "floor");
        break;
      }
      case OpType::Resize:
        if (opset < 11) {
          ValueId x = n.input(0), scales = n.input(1);
          n.inputs = {x, kNoValue, scales};
          n.attrs.set_string("coordinate_transformation_mode", "asymmetric");
          n.attrs.set_string("nearest_mode", "floor");
        }
        // Resize-11 wants placeholders for unused roi / scales: make them absent.
        if (empty_constant(n.input(1))) n.inputs[1] = kNoValue;
        if (empty_constant(n.input(2))) n.inputs[2] = kNoValue;
        break;
      case OpType::Softmax:
      case OpType::LogSoftmax:
        if (opset < 13) {
          const int64_t axis = n.attrs.get_int("axis", 1);
          if (axis != -1) return decompose_softmax(std::move(n), axis);
          n.attrs.set_int("axis", -1);
        }
        break;
      case OpType::Concat:
        if (opset < 4 && !n.attrs.has("axis")) n.attrs.set_int("axis", 1);
        break;
      case OpType::Cast:
        if (const Attribute* a = n.attrs.find("to"); a && a->kind == AttrKind::String) {
          onnx::TensorProto::DataType code;
          if (!onnx::TensorProto::DataType_Parse(a->s, &code)) {
            return bad(n, "Cast target type '" + a->s + "' is unknown");
          }
          n.attrs.set_int("to", static_cast<int64_t>(code));
        }
        break;
      case OpType::Add:
      case OpType::Sub:
      case OpType::Mul:
      case OpType::Div:
        if (opset < 7 && n.attrs.has("axis")) {
          return make_error(ErrorCode::Unsupported, "import", "node", n.name,
                            "legacy broadcasting with attribute 'axis' (opset < 7) is not supported");
        }
        n.attrs.erase("broadcast");
        break;
      default:
        break;
    }
    out.push_back(std::move(n));
    return Status::ok_status();
  }
};

}  // namespace

Status normalize_opset(Graph& graph, int opset, UniqueNames& names) {
  Rewriter r{graph, names, {}};
  r.out.reserve(graph.nodes.size());
  for (Node& n : graph.nodes) DS_RETURN_IF_ERROR(r.rewrite(std::move(n), opset));
  graph.nodes = std::move(r.out);
  return Status::ok_status();
}

}  // namespace deepshark::onnx_import
