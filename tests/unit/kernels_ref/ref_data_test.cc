// Hand-computed data movement, reshape family, reductions, Cast and shape/constant producers,
// Pad, Resize and Upsample.
#include <limits>

#include "ref_test_util.h"

namespace deepshark::testing {
namespace {

TEST(RefData, ConcatAndSplitNegativeAxis) {
  RefOp cat(OpType::Concat);
  cat.in<int64_t>({2, 1}, {1, 2}).in<int64_t>({2, 2}, {3, 4, 5, 6}).out(DType::I64, {2, 3}).attr("axis", int64_t{-1});
  ASSERT_TRUE(cat.run().ok());
  EXPECT_EQ(cat.values<int64_t>(0), (std::vector<int64_t>{1, 3, 4, 2, 5, 6}));
  RefOp split(OpType::Split);
  split.in(iota_f32({2, 3})).in<int64_t>({2}, {1, 2}).out(DType::F32, {2, 1}).out(DType::F32, {2, 2}).attr("axis", int64_t{1});
  ASSERT_TRUE(split.run().ok());
  expect_near_all(split.values<float>(0), {0, 3});
  expect_near_all(split.values<float>(1), {1, 2, 4, 5});
  RefOp equal(OpType::Split);  // no split input: equal parts
  equal.in(iota_f32({4})).out(DType::F32, {2}).out(DType::F32, {2});
  ASSERT_TRUE(equal.run().ok());
  expect_near_all(equal.values<float>(1), {2, 3});
  RefOp bad(OpType::Split);
  bad.in(iota_f32({4})).in<int64_t>({2}, {1, 2}).out(DType::F32, {1}).out(DType::F32, {2});
  EXPECT_EQ(bad.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefData, SliceClampsAndStepsBackwards) {
  RefOp op(OpType::Slice);  // x[1:100] on axis 0 of 0..4
  op.in(iota_f32({5})).in<int64_t>({1}, {1}).in<int64_t>({1}, {100}).out(DType::F32, {4});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {1, 2, 3, 4});
  RefOp rev(OpType::Slice);  // x[::-2] via start -1, end INT64_MIN, step -2
  rev.in(iota_f32({5})).in<int64_t>({1}, {-1}).in<int64_t>({1}, {std::numeric_limits<int64_t>::min()});
  rev.in<int64_t>({1}, {0}).in<int64_t>({1}, {-2}).out(DType::F32, {3});
  ASSERT_TRUE(rev.run().ok());
  expect_near_all(rev.values<float>(0), {4, 2, 0});
  RefOp axes(OpType::Slice);  // (2,3)[:, 1:3] with axes -1
  axes.in(iota_f32({2, 3})).in<int32_t>({1}, {1}).in<int32_t>({1}, {3}).in<int32_t>({1}, {-1}).out(DType::F32, {2, 2});
  ASSERT_TRUE(axes.run().ok());
  expect_near_all(axes.values<float>(0), {1, 2, 4, 5});
  RefOp zero_step(OpType::Slice);
  zero_step.in(iota_f32({5})).in<int64_t>({1}, {0}).in<int64_t>({1}, {5}).in<int64_t>({1}, {0}).in<int64_t>({1}, {0}).out(DType::F32, {5});
  EXPECT_EQ(zero_step.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefData, GatherWrapsNegativeAndRejectsOutOfRange) {
  RefOp op(OpType::Gather);
  op.in(iota_f32({3, 2})).in<int64_t>({2}, {-1, 0}).out(DType::F32, {2, 2});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {4, 5, 0, 1});
  RefOp ax1(OpType::Gather);
  ax1.in<int64_t>({2, 3}, {0, 1, 2, 3, 4, 5}).in<int32_t>({}, {2}).out(DType::I64, {2}).attr("axis", int64_t{1});
  ASSERT_TRUE(ax1.run().ok());
  EXPECT_EQ(ax1.values<int64_t>(0), (std::vector<int64_t>{2, 5}));
  for (int64_t bad_index : {int64_t{3}, int64_t{-4}, std::numeric_limits<int64_t>::max()}) {
    RefOp bad(OpType::Gather);
    bad.in(iota_f32({3})).in<int64_t>({1}, {bad_index}).out(DType::F32, {1});
    Status s = bad.run();
    EXPECT_EQ(s.code(), ErrorCode::InvalidArgument) << bad_index;
  }
}

TEST(RefData, TransposeExpandTile) {
  RefOp tr(OpType::Transpose);
  tr.in(iota_f32({2, 3})).out(DType::F32, {3, 2});
  ASSERT_TRUE(tr.run().ok());
  expect_near_all(tr.values<float>(0), {0, 3, 1, 4, 2, 5});
  RefOp perm(OpType::Transpose);
  perm.in<uint8_t>({1, 2, 2}, {1, 2, 3, 4}).out(DType::U8, {2, 1, 2}).attr("perm", std::vector<int64_t>{2, 0, 1});
  ASSERT_TRUE(perm.run().ok());
  EXPECT_EQ(perm.values<uint8_t>(0), (std::vector<uint8_t>{1, 3, 2, 4}));
  RefOp ex(OpType::Expand);  // (3,1) expanded by (2,1,2) -> (2,3,2)
  ex.in<float>({3, 1}, {1, 2, 3}).in<int64_t>({3}, {2, 1, 2}).out(DType::F32, {2, 3, 2});
  ASSERT_TRUE(ex.run().ok());
  expect_near_all(ex.values<float>(0), {1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
  RefOp tile(OpType::Tile);
  tile.in<int32_t>({1, 2}, {1, 2}).in<int64_t>({2}, {2, 2}).out(DType::I32, {2, 4});
  ASSERT_TRUE(tile.run().ok());
  EXPECT_EQ(tile.values<int32_t>(0), (std::vector<int32_t>{1, 2, 1, 2, 1, 2, 1, 2}));
}

TEST(RefData, ReshapeFamily) {
  RefOp r(OpType::Reshape);  // 0 copies, -1 infers
  r.in(iota_f32({2, 3, 2})).in<int64_t>({2}, {0, -1}).out(DType::F32, {2, 6});
  ASSERT_TRUE(r.run().ok());
  expect_near_all(r.values<float>(0), {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
  RefOp bad(OpType::Reshape);
  bad.in(iota_f32({2, 3})).in<int64_t>({2}, {-1, -1}).out(DType::F32, {6});
  EXPECT_EQ(bad.run().code(), ErrorCode::InvalidArgument);
  RefOp fl(OpType::Flatten);
  fl.in(iota_f32({2, 3, 2})).out(DType::F32, {6, 2}).attr("axis", int64_t{-1});
  EXPECT_TRUE(fl.run().ok());
  RefOp sq(OpType::Squeeze);
  sq.in(iota_f32({1, 3, 1})).in<int64_t>({1}, {-1}).out(DType::F32, {1, 3});
  EXPECT_TRUE(sq.run().ok());
  RefOp sq_all(OpType::Squeeze);
  sq_all.in(iota_f32({1, 3, 1})).out(DType::F32, {3});
  EXPECT_TRUE(sq_all.run().ok());
  RefOp sq_bad(OpType::Squeeze);
  sq_bad.in(iota_f32({1, 3, 1})).in<int64_t>({1}, {1}).out(DType::F32, {1, 1});
  EXPECT_EQ(sq_bad.run().code(), ErrorCode::InvalidArgument);
  RefOp un(OpType::Unsqueeze);
  un.in(iota_f32({3})).in<int64_t>({2}, {0, -1}).out(DType::F32, {1, 3, 1});
  EXPECT_TRUE(un.run().ok());
  RefOp drop(OpType::Dropout);
  drop.in(iota_f32({2})).out(DType::F32, {2}).out(DType::Bool, {2});
  ASSERT_TRUE(drop.run().ok());
  EXPECT_EQ(drop.values<uint8_t>(1), (std::vector<uint8_t>{1, 1}));
}

TEST(RefReduce, AxesKeepdimsAndNoop) {
  RefOp sum(OpType::ReduceSum);  // axes input, keepdims 0
  sum.in(iota_f32({2, 3})).in<int64_t>({1}, {-1}).out(DType::F32, {2}).attr("keepdims", int64_t{0});
  ASSERT_TRUE(sum.run().ok());
  expect_near_all(sum.values<float>(0), {3, 12});
  RefOp all(OpType::ReduceSum);  // no axes: everything
  all.in<int64_t>({2, 2}, {1, 2, 3, 4}).out(DType::I64, {1, 1});
  ASSERT_TRUE(all.run().ok());
  EXPECT_EQ(all.values<int64_t>(0), (std::vector<int64_t>{10}));
  RefOp noop(OpType::ReduceSum);
  noop.in(iota_f32({2})).out(DType::F32, {2}).attr("noop_with_empty_axes", int64_t{1});
  ASSERT_TRUE(noop.run().ok());
  expect_near_all(noop.values<float>(0), {0, 1});
  RefOp mean(OpType::ReduceMean);  // axes attribute
  mean.in(iota_f32({2, 3})).out(DType::F32, {1, 3}).attr("axes", std::vector<int64_t>{0});
  ASSERT_TRUE(mean.run().ok());
  expect_near_all(mean.values<float>(0), {1.5f, 2.5f, 3.5f});
  RefOp mx(OpType::ReduceMax);
  mx.in<float>({2, 2}, {1, -5, 3, -2}).out(DType::F32, {2, 1}).attr("axes", std::vector<int64_t>{1});
  ASSERT_TRUE(mx.run().ok());
  expect_near_all(mx.values<float>(0), {1, 3});
  RefOp mn(OpType::ReduceMin);  // axes as an input is accepted too
  mn.in<float>({2, 2}, {1, -5, 3, -2}).in<int64_t>({1}, {0}).out(DType::F32, {2}).attr("keepdims", int64_t{0});
  ASSERT_TRUE(mn.run().ok());
  expect_near_all(mn.values<float>(0), {1, -5});
  RefOp am(OpType::ArgMax);
  am.in<float>({2, 3}, {1, 9, 9, 7, 2, 3}).out(DType::I64, {2, 1}).attr("axis", int64_t{-1});
  ASSERT_TRUE(am.run().ok());
  EXPECT_EQ(am.values<int64_t>(0), (std::vector<int64_t>{1, 0}));
  RefOp last(OpType::ArgMax);
  last.in<float>({3}, {9, 1, 9}).out(DType::I64, {}).attr("keepdims", int64_t{0}).attr("select_last_index", int64_t{1});
  ASSERT_TRUE(last.run().ok());
  EXPECT_EQ(last.values<int64_t>(0), (std::vector<int64_t>{2}));
}

TEST(RefCast, TruncatesTowardZeroAndConvertsHalf) {
  RefOp op(OpType::Cast);
  op.in<float>({5}, {-2.7f, -0.5f, 0.5f, 2.7f, 3e10f}).out(DType::I32, {5}).attr("to", int64_t{6});
  ASSERT_TRUE(op.run().ok());
  EXPECT_EQ(op.values<int32_t>(0), (std::vector<int32_t>{-2, 0, 0, 2, std::numeric_limits<int32_t>::max()}));
  RefOp half(OpType::Cast);  // 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff (max half)
  half.in<float>({3}, {1, -2, 65504}).out(DType::F16, {3}).attr("to", int64_t{10});
  ASSERT_TRUE(half.run().ok());
  EXPECT_EQ(half.values<uint16_t>(0), (std::vector<uint16_t>{0x3c00, 0xc000, 0x7bff}));
  RefOp back(OpType::Cast);
  back.in(half.result(0)).out(DType::F32, {3}).attr("to", int64_t{1});
  ASSERT_TRUE(back.run().ok());
  expect_near_all(back.values<float>(0), {1, -2, 65504});
  RefOp b(OpType::Cast);
  b.in<int64_t>({3}, {0, 5, -1}).out(DType::Bool, {3}).attr("to", int64_t{9});
  ASSERT_TRUE(b.run().ok());
  EXPECT_EQ(b.values<uint8_t>(0), (std::vector<uint8_t>{0, 1, 1}));
  RefOp u8(OpType::Cast);
  u8.in<int64_t>({1}, {300}).out(DType::U8, {1}).attr("to", int64_t{2});
  ASSERT_TRUE(u8.run().ok());
  EXPECT_EQ(u8.values<uint8_t>(0)[0], 44);  // 300 mod 256, like numpy astype
  RefOp bad(OpType::Cast);
  bad.in<float>({1}, {1}).out(DType::F32, {1}).attr("to", int64_t{8});  // STRING
  EXPECT_EQ(bad.run().code(), ErrorCode::Unsupported);
}

TEST(RefShapeOps, ShapeConstantConstantOfShapeRange) {
  RefOp sh(OpType::Shape);
  sh.in(iota_f32({2, 3, 4})).out(DType::I64, {3});
  ASSERT_TRUE(sh.run().ok());
  EXPECT_EQ(sh.values<int64_t>(0), (std::vector<int64_t>{2, 3, 4}));
  RefOp c(OpType::Constant);
  c.attr_tensor("value", Tensor::from_values<int32_t>({2}, {7, 8})).out(DType::I32, {2});
  ASSERT_TRUE(c.run().ok());
  EXPECT_EQ(c.values<int32_t>(0), (std::vector<int32_t>{7, 8}));
  RefOp cf(OpType::Constant);
  cf.attr("value_floats", std::vector<float>{1.5f}).out(DType::F32, {1});
  ASSERT_TRUE(cf.run().ok());
  expect_near_all(cf.values<float>(0), {1.5f});
  RefOp cos(OpType::ConstantOfShape);
  cos.in<int64_t>({2}, {2, 1}).attr_tensor("value", Tensor::from_values<int64_t>({1}, {9})).out(DType::I64, {2, 1});
  ASSERT_TRUE(cos.run().ok());
  EXPECT_EQ(cos.values<int64_t>(0), (std::vector<int64_t>{9, 9}));
  RefOp r(OpType::Range);
  r.in<int64_t>({}, {10}).in<int64_t>({}, {3}).in<int64_t>({}, {-3}).out(DType::I64, {3});
  ASSERT_TRUE(r.run().ok());
  EXPECT_EQ(r.values<int64_t>(0), (std::vector<int64_t>{10, 7, 4}));
  RefOp rf(OpType::Range);
  rf.in<float>({}, {0}).in<float>({}, {1}).in<float>({}, {0.25f}).out(DType::F32, {4});
  ASSERT_TRUE(rf.run().ok());
  expect_near_all(rf.values<float>(0), {0, 0.25f, 0.5f, 0.75f});
  RefOp r0(OpType::Range);
  r0.in<int64_t>({}, {0}).in<int64_t>({}, {3}).in<int64_t>({}, {0}).out(DType::I64, {3});
  EXPECT_EQ(r0.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefPad, ConstantReflectEdgeAndCrop) {
  auto pad = [](const char* mode, std::vector<int64_t> pads, Shape out, bool value) {
    RefOp op(OpType::Pad);
    op.in<float>({1, 3}, {1, 2, 3}).in<int64_t>({4}, pads);
    if (value) op.in<float>({}, {9});
    op.out(DType::F32, out).attr("mode", mode);
    Status s = op.run();
    EXPECT_TRUE(s.ok()) << s.message();
    return s.ok() ? op.values<float>(0) : std::vector<float>{};
  };
  expect_near_all(pad("constant", {0, 2, 0, 1}, {1, 6}, true), {9, 9, 1, 2, 3, 9});
  expect_near_all(pad("constant", {0, 1, 0, 0}, {1, 4}, false), {0, 1, 2, 3});
  expect_near_all(pad("reflect", {0, 2, 0, 2}, {1, 7}, false), {3, 2, 1, 2, 3, 2, 1});
  expect_near_all(pad("edge", {0, 2, 0, 1}, {1, 6}, false), {1, 1, 1, 2, 3, 3});
  expect_near_all(pad("constant", {0, -1, 0, 1}, {1, 3}, false), {2, 3, 0});
}

TEST(RefResize, NearestAndLinearByHand) {
  // asymmetric + floor doubles each element.
  RefOp up(OpType::Upsample);
  up.in<float>({1, 2}, {1, 2}).in<float>({2}, {1, 2}).out(DType::F32, {1, 4});
  ASSERT_TRUE(up.run().ok());
  expect_near_all(up.values<float>(0), {1, 1, 2, 2});
  // linear asymmetric, scale 2 on [0, 2]: x_orig = o/2 -> 0, 0.5, 1, 1.5 (clamped to 1) -> [0, 1, 2, 2].
  RefOp lin(OpType::Upsample);
  lin.in<float>({2}, {0, 2}).in<float>({1}, {2}).out(DType::F32, {4}).attr("mode", "linear");
  ASSERT_TRUE(lin.run().ok());
  expect_near_all(lin.values<float>(0), {0, 1, 2, 2});
  // align_corners linear [0, 3] to 4: [0, 1, 2, 3].
  RefOp ac(OpType::Resize);
  ac.in<float>({2}, {0, 3}).absent().absent().in<int64_t>({1}, {4}).out(DType::F32, {4});
  ac.attr("mode", "linear").attr("coordinate_transformation_mode", "align_corners");
  ASSERT_TRUE(ac.run().ok());
  expect_near_all(ac.values<float>(0), {0, 1, 2, 3});
  // nearest half_pixel, 4 -> 2 with scales 0.5: x_orig = 0.5, 2.5; round_prefer_floor -> 0, 2;
  // round_prefer_ceil -> 1, 3.
  for (auto [mode, want] : {std::pair{"round_prefer_floor", std::vector<float>{10, 12}},
                            std::pair{"round_prefer_ceil", std::vector<float>{11, 13}}}) {
    RefOp n(OpType::Resize);
    n.in<float>({4}, {10, 11, 12, 13}).absent().in<float>({1}, {0.5f}).out(DType::F32, {2}).attr("nearest_mode", mode);
    ASSERT_TRUE(n.run().ok());
    expect_near_all(n.values<float>(0), want);
  }
  RefOp cubic(OpType::Resize);
  cubic.in<float>({2}, {0, 3}).absent().in<float>({1}, {2}).out(DType::F32, {4}).attr("mode", "cubic");
  EXPECT_EQ(cubic.run().code(), ErrorCode::Unsupported);
}

}  // namespace
}  // namespace deepshark::testing
