// Shape inference for elementwise, reduction, data movement and producer ops: one case a line.
#include <cstdint>
#include <limits>

#include "shape_tester.h"

namespace deepshark::testing {
namespace {

using T = ShapeTester;
using O = OpType;
using E = ErrorCode;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(ShapeElementwise, UnaryBinary) {
  EXPECT_EQ(T(O::Relu).in({2, 3}).shape(), (Shape{2, 3}));
  EXPECT_EQ(T(O::Not).in({4}, DType::Bool).dtype(), DType::Bool);
  EXPECT_EQ(T(O::Clip).in({2, 3}).cinf({0.f}, true).cinf({6.f}, true).shape(), (Shape{2, 3}));
  EXPECT_EQ(T(O::Clip).in({2, 3}).absent().cinf({6.f}, true).shape(), (Shape{2, 3}));
  EXPECT_EQ(T(O::PRelu).in({1, 8, 4, 4}).in({8, 1, 1}).shape(), (Shape{1, 8, 4, 4}));
  EXPECT_EQ(T(O::Add).in({2, 1, 4}).in({3, 1}).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(T(O::Mul).in({}).in({5}).shape(), (Shape{5}));
  EXPECT_EQ(T(O::Pow).in({2, 3}).in({}, DType::I64).dtype(), DType::F32);
  EXPECT_EQ(T(O::Sum).in({3}).in({2, 1}).in({1, 1, 1}).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(T(O::Max).in({4, 1}).in({5}).in({1}).shape(), (Shape{4, 5}));
  EXPECT_EQ(T(O::Equal).in({2, 3}, DType::I64).in({3}, DType::I64).dtype(), DType::Bool);
  EXPECT_EQ(T(O::Less).in({2, 3}).in({1}).dtype(), DType::Bool);
  EXPECT_EQ(T(O::Where).in({1, 3}, DType::Bool).in({2, 1}).in({}).shape(), (Shape{2, 3}));
  EXPECT_EQ(T(O::Softmax).in({2, 10}).shape(), (Shape{2, 10}));
  EXPECT_EQ(T(O::LogSoftmax).in({2, 10}).attr("axis", -2).shape(), (Shape{2, 10}));
  EXPECT_EQ(T(O::Cast).in({2}, DType::I64).attr("to", 1).dtype(), DType::F32);
  EXPECT_EQ(T(O::Cast).in({2}).attr("to", 9).dtype(), DType::Bool);
  T(O::Add).in({2, 3}).in({4}).fails(E::InvalidModel, "do not broadcast");
  T(O::Add).in({2, 3}).in({3}, DType::I64).fails(E::InvalidModel, "(expected F32, got I64)");
  T(O::Where).in({3}).in({3}).in({3}).fails(E::InvalidModel, "(expected Bool, got F32)");
  T(O::Softmax).in({2, 10}).attr("axis", 2).fails(E::InvalidModel, "(expected [-2, 1], got 2)");
  T(O::Cast).in({2}).attr("to", 8).fails(E::Unsupported, "cast to ONNX dtype 8");
  T(O::Cast).in({2}).fails(E::InvalidModel, "'to'");
  T(O::Clip).in({2, 3}).cinf({0.f, 1.f}).fails(E::InvalidModel, "must be a scalar");
  T(O::PRelu).in({1, 8, 4, 4}).in({8}).fails(E::InvalidModel, "does not broadcast to the input");
}

TEST(ShapeReduce, All) {
  EXPECT_EQ(T(O::ReduceSum).in({2, 3, 4}).cin({1}).shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(T(O::ReduceSum).in({2, 3, 4}).cin({-1, 0}).attr("keepdims", 0).shape(), (Shape{3}));
  EXPECT_EQ(T(O::ReduceMean).in({2, 3, 4}).ints("axes", {-1}).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(T(O::ReduceMean).in({2, 3, 4}).cin({2}).attr("keepdims", 0).shape(), (Shape{2, 3}));
  EXPECT_EQ(T(O::ReduceMax).in({2, 3, 4}).attr("keepdims", 0).shape(), (Shape{}));
  EXPECT_EQ(T(O::ReduceMin).in({2, 3, 4}).shape(), (Shape{1, 1, 1}));
  EXPECT_EQ(T(O::ReduceSum).in({2, 3, 4}).attr("noop_with_empty_axes", 1).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(T(O::ReduceSum).in({2, 3, 4}).cin({}).attr("noop_with_empty_axes", 1).shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(T(O::ArgMax).in({2, 3, 4}).attr("axis", 1).shape(), (Shape{2, 1, 4}));
  EXPECT_EQ(T(O::ArgMax).in({2, 3, 4}).attr("axis", -1).attr("keepdims", 0).dtype(), DType::I64);
  T(O::ReduceSum).in({2, 3}).cin({2}).fails(E::InvalidModel, "(expected [-2, 1], got 2)");
  T(O::ReduceSum).in({2, 3}).cin({1, -1}).fails(E::InvalidModel, "repeated");
  T(O::ReduceSum).in({2, 3}).in({1}, DType::I64).fails(E::Unsupported, "must be a constant (data-dependent shapes are not supported)");
}

TEST(ShapeMovement, ConcatSplitSlice) {
  EXPECT_EQ(T(O::Concat).in({2, 3}).in({2, 5}).attr("axis", -1).shape(), (Shape{2, 8}));
  EXPECT_EQ(T(O::Concat).in({1}, DType::I64).in({1}, DType::I64).in({2}, DType::I64).attr("axis", 0).shape(), (Shape{4}));
  T(O::Concat).in({2, 3}).in({3, 5}).attr("axis", 1).fails(E::InvalidModel, "differs outside the concat axis");
  T(O::Concat).in({2, 3}).in({2, 5}).fails(E::InvalidModel, "'axis' is required");
  T(O::Concat).in({2, 3}).in({2, 5}).attr("axis", 2).fails(E::InvalidModel, "axis out of range");
  EXPECT_EQ(T(O::Split).in({2, 6}).attr("axis", 1).outputs(3).shape(2), (Shape{2, 2}));
  EXPECT_EQ(T(O::Split).in({2, 6}).cin({1, 5}).attr("axis", -1).outputs(2).shape(1), (Shape{2, 5}));
  EXPECT_EQ(T(O::Split).in({7}).attr("num_outputs", 3).outputs(3).shape(2), (Shape{1}));
  T(O::Split).in({2, 7}).attr("axis", 1).outputs(3).fails(E::InvalidModel, "does not split evenly");
  T(O::Split).in({2, 6}).cin({1, 4}).attr("axis", 1).outputs(2).fails(E::InvalidModel, "(expected 6, got 5)");
  EXPECT_EQ(T(O::Slice).in({10, 20}).cin({1}).cin({kMax}).shape(), (Shape{9, 20}));
  EXPECT_EQ(T(O::Slice).in({10, 20}).cin({-3}).cin({-1}).cin({1}).shape(), (Shape{10, 2}));
  EXPECT_EQ(T(O::Slice).in({10, 20}).cin({0, 0}).cin({100, kMax}).cin({0, 1}).cin({3, 7}).shape(), (Shape{4, 3}));
  EXPECT_EQ(T(O::Slice).in({10}).cin({-1}).cin({kMin}).cin({0}).cin({-1}).shape(), (Shape{10}));
  EXPECT_EQ(T(O::Slice).in({10}).cin({kMax}).cin({kMin}).cin({0}).cin({-3}).shape(), (Shape{4}));
  EXPECT_EQ(T(O::Slice).in({10}).cin({5}).cin({2}).shape(), (Shape{0}));
  EXPECT_EQ(T(O::Slice).in({10}).cin({-100}).cin({100}).shape(), (Shape{10}));
  T(O::Slice).in({10}).cin({0}).cin({5}).cin({0}).cin({0}).fails(E::InvalidModel, "step must not be zero");
  T(O::Slice).in({10}).cin({0}).cin({5, 6}).fails(E::InvalidModel, "(expected 1, got 2)");
  T(O::Slice).in({10}).in({1}, DType::I64).cin({5}).fails(E::Unsupported, "input 'in1' must be a constant (data-dependent shapes are not supported)");
}

TEST(ShapeMovement, GatherReshapeTranspose) {
  EXPECT_EQ(T(O::Gather).in({4}, DType::I64).cin({0}, true).shape(), (Shape{}));
  EXPECT_EQ(T(O::Gather).in({50257, 768}).in({1, 7}, DType::I64).shape(), (Shape{1, 7, 768}));
  EXPECT_EQ(T(O::Gather).in({2, 3, 4}).cin({-1, 0}).attr("axis", 1).shape(), (Shape{2, 2, 4}));
  T(O::Gather).in({2, 3, 4}).cin({3}).attr("axis", 1).fails(E::InvalidModel, "(expected [-3, 2], got 3)");
  T(O::Gather).in({2, 3}).in({2}).fails(E::InvalidModel, "must be integers");
  EXPECT_EQ(T(O::Reshape).in({2, 3, 4}).cin({0, -1}).shape(), (Shape{2, 12}));
  EXPECT_EQ(T(O::Reshape).in({2, 3, 4}).cin({-1}).shape(), (Shape{24}));
  EXPECT_EQ(T(O::Reshape).in({2, 0, 4}).cin({0, 4, 0}).attr("allowzero", 1).shape(), (Shape{0, 4, 0}));
  EXPECT_EQ(T(O::Reshape).in({2, 3, 4}).cin({4, 0, 2}).shape(), (Shape{4, 3, 2}));
  T(O::Reshape).in({2, 3}).cin({7}).fails(E::InvalidModel, "(expected 6 elements, got 7)");
  T(O::Reshape).in({2, 3}).cin({-1, -1}).fails(E::InvalidModel, "more than one -1");
  T(O::Reshape).in({2, 3}).cin({-1, 4}).fails(E::InvalidModel, "cannot reshape");
  T(O::Reshape).in({2, 3}).cin({2, 3, 0}).fails(E::InvalidModel, "copies dim 2");
  T(O::Reshape).in({2, 3}).cin({-2, 3}).fails(E::InvalidModel, "invalid dimension");
  T(O::Reshape).in({2, 3}).cin({kMax, kMax}).fails(E::InvalidModel, "invalid dimension");
  T(O::Reshape).in({2, 3}).in({2}, DType::I64).fails(E::Unsupported, "must be a constant");
  EXPECT_EQ(T(O::Flatten).in({2, 3, 4, 5}).shape(), (Shape{2, 60}));
  EXPECT_EQ(T(O::Flatten).in({2, 3, 4, 5}).attr("axis", 0).shape(), (Shape{1, 120}));
  EXPECT_EQ(T(O::Flatten).in({2, 3, 4, 5}).attr("axis", -1).shape(), (Shape{24, 5}));
  EXPECT_EQ(T(O::Flatten).in({2, 3}).attr("axis", 2).shape(), (Shape{6, 1}));
  T(O::Flatten).in({2, 3}).attr("axis", 3).fails(E::InvalidModel, "axis out of range");
  EXPECT_EQ(T(O::Transpose).in({2, 3, 4}).shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(T(O::Transpose).in({2, 3, 4}).ints("perm", {0, 2, 1}).shape(), (Shape{2, 4, 3}));
  T(O::Transpose).in({2, 3, 4}).ints("perm", {0, 0, 1}).fails(E::InvalidModel, "not a permutation");
  T(O::Transpose).in({2, 3, 4}).ints("perm", {0, 1}).fails(E::InvalidModel, "(expected 3, got 2)");
}

TEST(ShapeMovement, SqueezeExpandTilePad) {
  EXPECT_EQ(T(O::Squeeze).in({1, 3, 1, 4}).shape(), (Shape{3, 4}));
  EXPECT_EQ(T(O::Squeeze).in({1, 3, 1, 4}).cin({-2}).shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(T(O::Squeeze).in({1, 3, 1, 4}).ints("axes", {0}).shape(), (Shape{3, 1, 4}));
  T(O::Squeeze).in({1, 3}).cin({1}).fails(E::InvalidModel, "(expected size 1, got 3)");
  EXPECT_EQ(T(O::Unsqueeze).in({}, DType::I64).cin({0}).shape(), (Shape{1}));
  EXPECT_EQ(T(O::Unsqueeze).in({3, 4}).cin({0, -1}).shape(), (Shape{1, 3, 4, 1}));
  EXPECT_EQ(T(O::Unsqueeze).in({3, 4}).ints("axes", {1}).shape(), (Shape{3, 1, 4}));
  T(O::Unsqueeze).in({3, 4}).cin({3}).fails(E::InvalidModel, "axis out of range");
  T(O::Unsqueeze).in({3, 4}).fails(E::InvalidModel, "needs axes");
  T(O::Unsqueeze).in({3}).cin({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}).fails(E::InvalidModel, "rank too large");
  EXPECT_EQ(T(O::Expand).in({3, 1}).cin({2, 1, 6}).shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(T(O::Expand).in({3, 4}).cin({1}).shape(), (Shape{3, 4}));
  T(O::Expand).in({3, 4}).cin({5, 4}).fails(E::InvalidModel, "cannot expand");
  EXPECT_EQ(T(O::Tile).in({2, 3}).cin({2, 1}).shape(), (Shape{4, 3}));
  T(O::Tile).in({2, 3}).cin({2}).fails(E::InvalidModel, "(expected 2, got 1)");
  T(O::Tile).in({2, 3}).cin({int64_t{1} << 40, int64_t{1} << 40}).fails(E::InvalidModel, "too large");
  EXPECT_EQ(T(O::Pad).in({1, 3, 4, 4}).cin({0, 0, 1, 2, 0, 0, 3, 4}).shape(), (Shape{1, 3, 8, 10}));
  EXPECT_EQ(T(O::Pad).in({1, 3, 4, 4}).cin({0, 0, -1, 0, 0, 0, -1, 0}).str("mode", "edge").shape(), (Shape{1, 3, 2, 4}));
  EXPECT_EQ(T(O::Pad).in({1, 3, 4, 4}).cin({1, 1, 1, 1}).cinf({0.f}, true).cin({-2, -1}).str("mode", "reflect").shape(), (Shape{1, 3, 6, 6}));
  T(O::Pad).in({1, 3, 4, 4}).cin({0, 0, 4, 0, 0, 0, 0, 0}).str("mode", "reflect").fails(E::InvalidModel, "reflect pads");
  T(O::Pad).in({1, 4}).cin({0, -5, 0, 0}).fails(E::InvalidModel, "out of range");
  T(O::Pad).in({1, 4}).cin({0, 0}).fails(E::InvalidModel, "(expected 4, got 2)");
  T(O::Pad).in({1, 4}).cin({0, 0, 0, 0}).str("mode", "mirror").fails(E::InvalidModel, "unknown pad mode");
}

TEST(ShapeMovement, ResizeAndProducers) {
  EXPECT_EQ(T(O::Resize).in({1, 3, 5, 5}).absent().cinf({1, 1, 2, 2}).shape(), (Shape{1, 3, 10, 10}));
  EXPECT_EQ(T(O::Resize).in({1, 3, 5, 5}).absent().cinf({1, 1, 0.5f, 0.5f}).shape(), (Shape{1, 3, 2, 2}));
  EXPECT_EQ(T(O::Resize).in({1, 3, 5, 5}).cinf({}).cinf({}).cin({1, 3, 7, 9}).shape(), (Shape{1, 3, 7, 9}));
  EXPECT_EQ(T(O::Upsample).in({1, 3, 5, 5}).cinf({1, 1, 2, 3}).shape(), (Shape{1, 3, 10, 15}));
  EXPECT_EQ(T(O::Upsample).in({1, 3, 5, 5}).floats("scales", {1, 1, 2, 2}).shape(), (Shape{1, 3, 10, 10}));
  T(O::Resize).in({1, 3, 5, 5}).absent().cinf({1, 1, 2}).fails(E::InvalidModel, "(expected 4, got 3)");
  T(O::Resize).in({1, 3, 5, 5}).absent().cinf({1, 1, -2, 2}).fails(E::InvalidModel, "scales must be positive");
  T(O::Resize).in({1, 3, 5, 5}).fails(E::InvalidModel, "exactly one of scales and sizes");
  EXPECT_EQ(T(O::Identity).in({2, 3}, DType::I32).dtype(), DType::I32);
  EXPECT_EQ(T(O::Dropout).in({2, 3}).outputs(2).dtype(1), DType::Bool);
  EXPECT_EQ(T(O::Shape).in({2, 3, 4}).shape(), (Shape{3}));
  EXPECT_EQ(T(O::Shape).in({2, 3, 4}).attr("start", 1).shape(), (Shape{2}));
  EXPECT_EQ(T(O::Shape).in({2, 3, 4}).attr("start", -1).attr("end", 10).shape(), (Shape{1}));
  EXPECT_EQ(T(O::Shape).in({2, 3, 4}).dtype(), DType::I64);
  EXPECT_EQ(T(O::ConstantOfShape).cin({2, 3}).shape(), (Shape{2, 3}));
  EXPECT_EQ(T(O::ConstantOfShape).cin({2, 3}).dtype(), DType::F32);
  EXPECT_EQ(T(O::ConstantOfShape).cin({4}).tensor("value", Tensor::from_values<int64_t>({1}, {7})).dtype(), DType::I64);
  T(O::ConstantOfShape).cin({-2}).fails(E::InvalidModel, "invalid dimension");
  T(O::ConstantOfShape).in({2}, DType::I64).fails(E::Unsupported, "must be a constant");
  EXPECT_EQ(T(O::Range).cin({0}, true).cin({10}, true).cin({3}, true).shape(), (Shape{4}));
  EXPECT_EQ(T(O::Range).cin({10}, true).cin({0}, true).cin({-3}, true).shape(), (Shape{4}));
  EXPECT_EQ(T(O::Range).cin({0}, true).cin({-5}, true).cin({1}, true).shape(), (Shape{0}));
  EXPECT_EQ(T(O::Range).cinf({0.f}, true).cinf({1.f}, true).cinf({0.25f}, true).shape(), (Shape{4}));
  T(O::Range).cin({0}, true).cin({10}, true).cin({0}, true).fails(E::InvalidModel, "delta must not be zero");
  T(O::Range).cin({0}, true).cin({kMax}, true).cin({1}, true).fails(E::InvalidModel, "too many elements");
  EXPECT_EQ(T(O::Constant).tensor("value", Tensor::from_values<float>({2, 2}, {1, 2, 3, 4})).shape(), (Shape{2, 2}));
  EXPECT_EQ(T(O::Constant).ints("value_ints", {1, 2, 3}).dtype(), DType::I64);
  T(O::Constant).fails(E::InvalidModel, "Constant needs one of");
}

TEST(ShapeHelpers, BroadcastAndConstantInts) {
  EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}).value(), (Shape{2, 4, 3}));
  EXPECT_EQ(broadcast_shapes({}, {3}).value(), (Shape{3}));
  EXPECT_EQ(broadcast_shapes({0}, {1}).value(), (Shape{0}));
  Result<Shape> bad = broadcast_shapes({2, 3}, {4});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), E::InvalidModel);
  Graph g;
  ValueId a = g.add_constant("a", Tensor::from_values<int32_t>({2}, {5, -6}));
  ValueId f = g.add_constant("f", Tensor::from_values<float>({1}, {1.f}));
  ValueId x = g.add_value("x", DType::I64, {2}, true);
  EXPECT_EQ(*constant_ints(g, a), (std::vector<int64_t>{5, -6}));
  EXPECT_FALSE(constant_ints(g, f).has_value());
  EXPECT_FALSE(constant_ints(g, x).has_value());
  EXPECT_FALSE(constant_ints(g, 99).has_value());
}

TEST(ShapeHostile, BadIdsAndShapes) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {2, 3}, true);
  ValueId y = g.add_value("y");
  g.add_node(OpType::Relu, "r", {57}, {y});
  Status s = infer_node(g, g.nodes.back());
  EXPECT_EQ(s.code(), E::InvalidModel) << s.to_string();
  g.add_node(OpType::Relu, "r2", {x}, {1234});
  EXPECT_EQ(infer_node(g, g.nodes.back()).code(), E::InvalidModel);
  ValueId huge = g.add_value("huge", DType::F32, {int64_t{1} << 30, int64_t{1} << 30, 4}, true);
  g.add_node(OpType::Relu, "r3", {huge}, {y});
  s = infer_node(g, g.nodes.back());
  EXPECT_EQ(s.code(), E::InvalidModel);
  EXPECT_NE(s.message().find("invalid shape"), std::string::npos) << s.to_string();
  ValueId unknown = g.add_value("unknown");
  g.add_node(OpType::Relu, "r4", {unknown}, {y});
  s = infer_node(g, g.nodes.back());
  EXPECT_NE(s.message().find("has no known shape"), std::string::npos) << s.to_string();
}

// Every op in the list has a rule: a call never returns "unknown op type".
TEST(ShapeHostile, EveryOpHandlesEmptyNode) {
#define DS_X(name)                                                             \
  {                                                                            \
    Graph g;                                                                   \
    g.add_node(OpType::name, "n", {}, {});                                     \
    Status s = infer_node(g, g.nodes.back());                                  \
    EXPECT_EQ(s.message().find("unknown op type"), std::string::npos) << #name; \
  }
  DS_OPS(DS_X)
#undef DS_X
}

}  // namespace
}  // namespace deepshark::testing
