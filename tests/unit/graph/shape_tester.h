// A fluent tester for shape inference: builds a one-node graph and runs infer_node, so each
// case reads as one line.
//
//   EXPECT_EQ(ShapeTester(OpType::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).ints("pads", {1, 1, 1, 1}).shape(),
//             (Shape{1, 4, 8, 8}));
//   ShapeTester(OpType::Reshape).in({2, 3}).cin({7}).fails(ErrorCode::InvalidModel, "cannot reshape");
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/graph.h"
#include "graph/shape_inference.h"

namespace deepshark::testing {

class ShapeTester {
 public:
  explicit ShapeTester(OpType op) : op_(op) {}

  // A runtime input with a known shape.
  ShapeTester& in(Shape s, DType dt = DType::F32) {
    inputs_.push_back(g_.add_value("in" + std::to_string(inputs_.size()), dt, std::move(s), true));
    return *this;
  }
  // A constant I64 input (1-D, or a scalar with `scalar`).
  ShapeTester& cin(std::vector<int64_t> v, bool scalar = false) {
    Shape s = scalar ? Shape{} : Shape{static_cast<int64_t>(v.size())};
    inputs_.push_back(g_.add_constant("c" + std::to_string(inputs_.size()), Tensor::from_values<int64_t>(s, v)));
    return *this;
  }
  // A constant F32 input (1-D, or scalar).
  ShapeTester& cinf(std::vector<float> v, bool scalar = false) {
    Shape s = scalar ? Shape{} : Shape{static_cast<int64_t>(v.size())};
    inputs_.push_back(g_.add_constant("c" + std::to_string(inputs_.size()), Tensor::from_values<float>(s, v)));
    return *this;
  }
  ShapeTester& absent() {
    inputs_.push_back(kNoValue);
    return *this;
  }
  ShapeTester& attr(const std::string& name, int64_t v) {
    attrs_.set_int(name, v);
    return *this;
  }
  ShapeTester& ints(const std::string& name, std::vector<int64_t> v) {
    attrs_.set_ints(name, std::move(v));
    return *this;
  }
  ShapeTester& str(const std::string& name, std::string v) {
    attrs_.set_string(name, std::move(v));
    return *this;
  }
  ShapeTester& floats(const std::string& name, std::vector<float> v) {
    attrs_.set_floats(name, std::move(v));
    return *this;
  }
  ShapeTester& tensor(const std::string& name, Tensor t) {
    attrs_.set_tensor(name, std::move(t));
    return *this;
  }
  ShapeTester& outputs(int n) {
    outputs_ = n;
    return *this;
  }

  Status run() {
    if (ran_) return status_;
    ran_ = true;
    std::vector<ValueId> outs;
    for (int i = 0; i < outputs_; ++i) outs.push_back(g_.add_value("out" + std::to_string(i)));
    Node& n = g_.add_node(op_, "node", inputs_, outs);
    n.attrs = attrs_;
    status_ = infer_node(g_, g_.nodes.back());
    return status_;
  }
  // Output i's shape; a failed inference fails the test with its message.
  Shape shape(int i = 0) {
    Status s = run();
    EXPECT_TRUE(s.ok()) << s.to_string();
    if (!s.ok()) return Shape{-999};
    const Value& v = g_.value(g_.nodes.back().outputs.at(static_cast<size_t>(i)));
    EXPECT_TRUE(v.shape_known);
    return v.shape;
  }
  DType dtype(int i = 0) {
    Status s = run();
    EXPECT_TRUE(s.ok()) << s.to_string();
    return g_.value(g_.nodes.back().outputs.at(static_cast<size_t>(i))).dtype;
  }
  // Asserts that inference fails with `code` and a message containing `part`.
  void fails(ErrorCode code, const std::string& part) {
    Status s = run();
    ASSERT_FALSE(s.ok()) << "expected failure containing '" << part << "'";
    EXPECT_EQ(s.code(), code) << s.to_string();
    EXPECT_NE(s.message().find(part), std::string::npos) << s.to_string();
    EXPECT_NE(s.message().find("failed to infer shape of node 'node'"), std::string::npos) << s.to_string();
  }

 private:
  OpType op_;
  Graph g_;
  std::vector<ValueId> inputs_;
  Attributes attrs_;
  int outputs_ = 1;
  bool ran_ = false;
  Status status_;
};

}  // namespace deepshark::testing
