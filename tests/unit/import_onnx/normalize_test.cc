// Opset normalisation: nodes written for old opsets reach the graph in their opset-13 input form.
#include <gtest/gtest.h>

#include <cmath>

#include "import/onnx/onnx_importer.h"
#include "unit/import_onnx/onnx_builder.h"

namespace deepshark {
namespace {

using testing::OnnxBuilder;

const Node& node_named(const Graph& g, const std::string& name) {
  for (const Node& n : g.nodes) if (n.name == name) return n;
  ADD_FAILURE() << "no node " << name;
  static Node none;
  return none;
}

std::vector<int64_t> ints_of(const Graph& g, ValueId id) {
  EXPECT_NE(id, kNoValue);
  if (id == kNoValue || !g.value(id).is_constant()) return {};
  const Tensor& t = *g.value(id).constant;
  EXPECT_EQ(t.dtype(), DType::I64);
  return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.numel());
}

float float_of(const Graph& g, ValueId id) {
  EXPECT_NE(id, kNoValue);
  if (id == kNoValue || !g.value(id).is_constant()) return NAN;
  EXPECT_EQ(g.value(id).constant->dtype(), DType::F32);
  EXPECT_EQ(g.value(id).constant->numel(), 1);
  return g.value(id).constant->data<float>()[0];
}

TEST(ImportOnnxNormalize, Opset9AttributesBecomeInputs) {
  OnnxBuilder b(9);
  b.input("x", {1, 2, 8, 8});
  b.node("Slice", {"x"}, {"s"}, "slice").ints("starts", {0, 1}).ints("ends", {1, 5}).ints("axes", {0, 2});
  b.node("Squeeze", {"s"}, {"q"}, "squeeze").ints("axes", {0});
  b.node("Unsqueeze", {"q"}, {"u"}, "unsqueeze").ints("axes", {0});
  b.node("Clip", {"u"}, {"c"}, "clip").f("min", 0.f).f("max", 6.f);
  b.node("Clip", {"c"}, {"c2"}, "clip_max_only").f("max", 3.f);
  b.node("ReduceMean", {"c2"}, {"r"}, "mean").ints("axes", {-1}).i("keepdims", 1);
  b.node("ReduceSum", {"r"}, {"r2"}, "sum").ints("axes", {1});
  b.node("Pad", {"r2"}, {"p"}, "pad").ints("pads", {0, 0, 1, 1, 0, 0, 1, 1}).f("value", 2.5f).s("mode", "constant");
  b.node("Split", {"p"}, {"a", "b2"}, "split").i("axis", 1).ints("split", {1, 1});
  b.node("Add", {"a", "b2"}, {"y"}, "add");
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Graph& g = *r;

  const Node& slice = node_named(g, "slice");
  ASSERT_EQ(slice.inputs.size(), 4u);
  EXPECT_EQ(ints_of(g, slice.inputs[1]), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(ints_of(g, slice.inputs[2]), (std::vector<int64_t>{1, 5}));
  EXPECT_EQ(ints_of(g, slice.inputs[3]), (std::vector<int64_t>{0, 2}));
  EXPECT_TRUE(slice.attrs.all().empty());
  EXPECT_EQ(ints_of(g, node_named(g, "squeeze").input(1)), (std::vector<int64_t>{0}));
  EXPECT_EQ(ints_of(g, node_named(g, "unsqueeze").input(1)), (std::vector<int64_t>{0}));
  const Node& clip = node_named(g, "clip");
  EXPECT_EQ(float_of(g, clip.input(1)), 0.f);
  EXPECT_EQ(float_of(g, clip.input(2)), 6.f);
  const Node& clip2 = node_named(g, "clip_max_only");
  EXPECT_EQ(clip2.input(1), kNoValue);
  EXPECT_EQ(float_of(g, clip2.input(2)), 3.f);
  const Node& mean = node_named(g, "mean");
  EXPECT_EQ(ints_of(g, mean.input(1)), (std::vector<int64_t>{-1}));
  EXPECT_FALSE(mean.attrs.has("axes"));
  EXPECT_EQ(mean.attrs.get_int("keepdims", 0), 1);
  EXPECT_EQ(ints_of(g, node_named(g, "sum").input(1)), (std::vector<int64_t>{1}));
  const Node& pad = node_named(g, "pad");
  EXPECT_EQ(ints_of(g, pad.input(1)), (std::vector<int64_t>{0, 0, 1, 1, 0, 0, 1, 1}));
  EXPECT_EQ(float_of(g, pad.input(2)), 2.5f);
  EXPECT_EQ(pad.attrs.get_string("mode", ""), "constant");
  EXPECT_FALSE(pad.attrs.has("pads"));
  const Node& split = node_named(g, "split");
  EXPECT_EQ(ints_of(g, split.input(1)), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(split.attrs.get_int("axis", 0), 1);
  EXPECT_TRUE(g.verify().ok());
}

TEST(ImportOnnxNormalize, Opset13FormsAreLeftAlone) {
  OnnxBuilder b(13);
  b.input("x", {2, 3});
  b.input("axes", {1}, onnx::TensorProto::INT64);
  b.node("Unsqueeze", {"x", "axes"}, {"u"}, "unsqueeze");
  b.node("ReduceMean", {"u"}, {"y"}, "mean").ints("axes", {0});  // attribute until opset 18
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Node& u = node_named(*r, "unsqueeze");
  EXPECT_EQ(r->value(u.input(1)).name, "axes");
  EXPECT_FALSE(r->value(u.input(1)).is_constant());
  EXPECT_EQ(ints_of(*r, node_named(*r, "mean").input(1)), (std::vector<int64_t>{0}));
}

TEST(ImportOnnxNormalize, AttributeAndInputTogetherIsRejected) {
  OnnxBuilder b(9);
  b.input("x", {2, 3});
  b.float_initializer("axes_f", {1}, {0.f});
  b.node("Squeeze", {"x", "axes_f"}, {"y"}, "squeeze").ints("axes", {0});
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::InvalidModel);
  EXPECT_NE(r.status().message().find("failed to import node 'squeeze': attribute 'axes' and input 1 are both given"),
            std::string::npos) << r.status().message();
}

TEST(ImportOnnxNormalize, ReshapeOpset4ShapeAttribute) {
  OnnxBuilder b(4);
  b.input("x", {2, 3});
  b.node("Reshape", {"x"}, {"y"}, "reshape").ints("shape", {3, 2});
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(ints_of(*r, r->nodes[0].input(1)), (std::vector<int64_t>{3, 2}));
}

TEST(ImportOnnxNormalize, UpsampleOpset8BecomesResize) {
  OnnxBuilder b(8);
  b.input("x", {1, 1, 2, 2});
  b.node("Upsample", {"x"}, {"y"}, "up").floats("scales", {1, 1, 2, 2}).s("mode", "bilinear");
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Node& n = r->nodes[0];
  EXPECT_EQ(n.op, OpType::Resize);
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(n.inputs[1], kNoValue);
  const Tensor& s = *r->value(n.inputs[2]).constant;
  ASSERT_EQ(s.numel(), 4);
  EXPECT_EQ(s.data<float>()[3], 2.f);
  EXPECT_EQ(n.attrs.get_string("mode", ""), "linear");
  EXPECT_EQ(n.attrs.get_string("coordinate_transformation_mode", ""), "asymmetric");
  EXPECT_EQ(n.attrs.get_string("nearest_mode", ""), "floor");
  EXPECT_FALSE(n.attrs.has("scales"));
}

TEST(ImportOnnxNormalize, Resize10GetsAsymmetricFloor) {
  OnnxBuilder b(10);
  b.input("x", {1, 1, 2, 2});
  b.float_initializer("scales", {4}, {1, 1, 2, 2});
  b.node("Resize", {"x", "scales"}, {"y"}, "resize").s("mode", "nearest");
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Node& n = r->nodes[0];
  ASSERT_EQ(n.inputs.size(), 3u);
  EXPECT_EQ(n.inputs[1], kNoValue);
  EXPECT_EQ(r->value(n.inputs[2]).name, "scales");
  EXPECT_EQ(n.attrs.get_string("coordinate_transformation_mode", ""), "asymmetric");
  EXPECT_EQ(n.attrs.get_string("nearest_mode", ""), "floor");
}

TEST(ImportOnnxNormalize, OldSoftmaxIsDecomposedUnlessLastAxis) {
  OnnxBuilder b(11);
  b.input("x", {2, 3, 4});
  b.node("Softmax", {"x"}, {"s"}, "sm");                      // default axis 1: flatten semantics
  b.node("LogSoftmax", {"s"}, {"y"}, "lsm").i("axis", -1);    // same in both semantics
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Graph& g = *r;
  ASSERT_EQ(g.nodes.size(), 5u);
  EXPECT_EQ(g.nodes[0].op, OpType::Flatten);
  EXPECT_EQ(g.nodes[0].attrs.get_int("axis", 0), 1);
  EXPECT_EQ(g.nodes[1].op, OpType::Shape);
  EXPECT_EQ(g.nodes[2].op, OpType::Softmax);
  EXPECT_EQ(g.nodes[2].attrs.get_int("axis", 0), -1);
  EXPECT_EQ(g.nodes[3].op, OpType::Reshape);
  EXPECT_EQ(g.value(g.nodes[3].outputs[0]).name, "s");  // the original output keeps its name
  EXPECT_EQ(g.nodes[4].op, OpType::LogSoftmax);
  EXPECT_EQ(g.nodes[4].attrs.get_int("axis", 0), -1);
}

TEST(ImportOnnxNormalize, Opset13SoftmaxUntouched) {
  OnnxBuilder b(13);
  b.input("x", {2, 3, 4});
  b.node("Softmax", {"x"}, {"y"}, "sm").i("axis", 1);
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->nodes.size(), 1u);
  EXPECT_EQ(r->nodes[0].attrs.get_int("axis", 0), 1);
}

TEST(ImportOnnxNormalize, GeneratedNamesDoNotCollide) {
  OnnxBuilder b(9);
  b.input("x", {1, 2});
  // A file value already called like the constant the importer would generate.
  b.node("Unsqueeze", {"x"}, {"u/axes"}, "u").ints("axes", {0});
  b.output("u/axes");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Node& n = r->nodes[0];
  EXPECT_NE(r->value(n.input(1)).name, "u/axes");
  EXPECT_EQ(r->value(n.outputs[0]).name, "u/axes");
  EXPECT_EQ(r->find_value("u/axes"), n.outputs[0]);
}

}  // namespace
}  // namespace deepshark
