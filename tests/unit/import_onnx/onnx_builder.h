// A tiny builder for onnx.ModelProto in tests: enough to write models that exercise one importer
// rule each without a Python round trip.
//
//   OnnxBuilder b(9);
//   b.input("x", {1, 4});
//   b.node("Squeeze", {"x"}, {"y"}).ints("axes", {0});
//   b.output("y");
//   Result<Graph> g = b.import();
#pragma once

#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "import/onnx/onnx_importer.h"

namespace deepshark::testing {

class NodeBuilder {
 public:
  explicit NodeBuilder(onnx::NodeProto* n) : n_(n) {}
  NodeBuilder& i(const std::string& name, int64_t v) { auto* a = add(name, onnx::AttributeProto::INT); a->set_i(v); return *this; }
  NodeBuilder& f(const std::string& name, float v) { auto* a = add(name, onnx::AttributeProto::FLOAT); a->set_f(v); return *this; }
  NodeBuilder& s(const std::string& name, const std::string& v) { auto* a = add(name, onnx::AttributeProto::STRING); a->set_s(v); return *this; }
  NodeBuilder& ints(const std::string& name, std::vector<int64_t> v) {
    auto* a = add(name, onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
    return *this;
  }
  NodeBuilder& floats(const std::string& name, std::vector<float> v) {
    auto* a = add(name, onnx::AttributeProto::FLOATS);
    for (float x : v) a->add_floats(x);
    return *this;
  }
  NodeBuilder& tensor(const std::string& name, const onnx::TensorProto& t) {
    *add(name, onnx::AttributeProto::TENSOR)->mutable_t() = t;
    return *this;
  }
  onnx::AttributeProto* add(const std::string& name, onnx::AttributeProto::AttributeType k) {
    auto* a = n_->add_attribute();
    a->set_name(name);
    a->set_type(k);
    return a;
  }

 private:
  onnx::NodeProto* n_;
};

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13) {
    m_.set_ir_version(8);
    auto* o = m_.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    m_.mutable_graph()->set_name("test");
  }
  // Dims < 0 are written as symbolic (dim_param).
  void input(const std::string& name, std::vector<int64_t> dims, int elem = onnx::TensorProto::FLOAT) {
    auto* vi = m_.mutable_graph()->add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* shape = tt->mutable_shape();
    for (int64_t d : dims) {
      if (d >= 0) shape->add_dim()->set_dim_value(d);
      else shape->add_dim()->set_dim_param("N");
    }
  }
  void output(const std::string& name) { m_.mutable_graph()->add_output()->set_name(name); }
  NodeBuilder node(const std::string& op, std::vector<std::string> ins, std::vector<std::string> outs,
                   const std::string& name = "") {
    auto* n = m_.mutable_graph()->add_node();
    n->set_op_type(op);
    n->set_name(name.empty() ? op + "_" + std::to_string(m_.graph().node_size()) : name);
    for (auto& s : ins) n->add_input(s);
    for (auto& s : outs) n->add_output(s);
    return NodeBuilder(n);
  }
  onnx::TensorProto* initializer(const std::string& name, int dtype, std::vector<int64_t> dims) {
    auto* t = m_.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(dtype);
    for (int64_t d : dims) t->add_dims(d);
    return t;
  }
  void float_initializer(const std::string& name, std::vector<int64_t> dims, std::vector<float> v) {
    auto* t = initializer(name, onnx::TensorProto::FLOAT, std::move(dims));
    for (float x : v) t->add_float_data(x);
  }
  onnx::ModelProto& proto() { return m_; }
  std::string bytes() const { return m_.SerializeAsString(); }
  Result<Graph> import(const std::string& dir = "") const { return import_onnx_bytes(bytes(), dir, "built"); }

 private:
  onnx::ModelProto m_;
};

}  // namespace deepshark::testing
