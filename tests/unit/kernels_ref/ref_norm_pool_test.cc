// Hand-computed normalisation, softmax and pooling cases.
#include <cmath>

#include "ref_test_util.h"

namespace deepshark::testing {
namespace {

TEST(RefNorm, BatchNormalizationInference) {
  // channel 0: (x - 1) / sqrt(4) * 2 + 3; channel 1: (x - 0) / sqrt(1) * 1 + 0. eps 0.
  RefOp op(OpType::BatchNormalization);
  op.in<float>({1, 2, 2}, {1, 5, -1, 2}).in<float>({2}, {2, 1}).in<float>({2}, {3, 0}).in<float>({2}, {1, 0});
  op.in<float>({2}, {4, 1}).out(DType::F32, {1, 2, 2}).attr("epsilon", 0.f);
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {3, 7, -1, 2});
}

TEST(RefNorm, LayerNormalizationWithStatsOutputs) {
  // Row [1, 3]: mean 2, var 1 -> [-1, 1] (eps 0); scale [2, 2], bias [0, 1].
  RefOp op(OpType::LayerNormalization);
  op.in<float>({2, 2}, {1, 3, 5, 5}).in<float>({2}, {2, 2}).in<float>({2}, {0, 1});
  op.out(DType::F32, {2, 2}).out(DType::F32, {2, 1}).out(DType::F32, {2, 1}).attr("epsilon", 0.f);
  ASSERT_TRUE(op.run().ok());
  auto y = op.values<float>(0);
  expect_near_all({y[0], y[1]}, {-2, 3});
  expect_near_all(op.values<float>(1), {2, 5});
  EXPECT_NEAR(op.values<float>(2)[0], 1.0, 1e-6);
  // A constant row normalises to the bias (default epsilon keeps 0 * 1/sqrt(eps) finite).
  RefOp def(OpType::LayerNormalization);
  def.in<float>({1, 2}, {5, 5}).in<float>({2}, {2, 2}).in<float>({2}, {0, 1}).out(DType::F32, {1, 2});
  ASSERT_TRUE(def.run().ok());
  expect_near_all(def.values<float>(0), {0, 1});
}

TEST(RefNorm, InstanceNormalization) {
  // Channel 0 = [1, 3] normalises to [-1, 1]; channel 1 is constant and becomes its bias.
  RefOp safe(OpType::InstanceNormalization);
  safe.in<float>({1, 2, 2}, {1, 3, 0, 0}).in<float>({2}, {1, 1}).in<float>({2}, {0, 7}).out(DType::F32, {1, 2, 2});
  ASSERT_TRUE(safe.run().ok());
  expect_near_all(safe.values<float>(0), {-1, 1, 7, 7}, 1e-4);
}

TEST(RefNorm, LrnUsesAsymmetricChannelWindow) {
  // size 2: window c-0 .. c+1. x = [1, 2] over channels; alpha 2, beta 1, bias 1:
  // c0: 1 / (1 + 2/2 * (1+4)) = 1/6; c1: 2 / (1 + 1 * 4) = 2/5.
  RefOp op(OpType::LRN);
  op.in<float>({1, 2, 1}, {1, 2}).out(DType::F32, {1, 2, 1});
  op.attr("size", int64_t{2}).attr("alpha", 2.f).attr("beta", 1.f).attr("bias", 1.f);
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {1.f / 6.f, 2.f / 5.f});
}

TEST(RefSoftmax, SingleAxisIncludingNegative) {
  RefOp op(OpType::Softmax);  // axis 0 of (2,2): columns sum to one
  op.in<float>({2, 2}, {0, 1, 0, 1}).out(DType::F32, {2, 2}).attr("axis", int64_t{0});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {0.5f, 0.5f, 0.5f, 0.5f});
  RefOp last(OpType::Softmax);  // default axis -1 on rows; large values must not overflow
  last.in<float>({1, 2}, {1000, 1000 + std::log(3.f)}).out(DType::F32, {1, 2});
  ASSERT_TRUE(last.run().ok());
  expect_near_all(last.values<float>(0), {0.25f, 0.75f});
  RefOp lg(OpType::LogSoftmax);
  lg.in<float>({2, 1, 2}, {0, 0, 1, 1}).out(DType::F32, {2, 1, 2}).attr("axis", int64_t{-3});
  ASSERT_TRUE(lg.run().ok());
  const float a = -std::log1p(std::exp(1.f)), b = 1 + a;
  expect_near_all(lg.values<float>(0), {a, a, b, b});
  RefOp bad(OpType::Softmax);
  bad.in<float>({2}, {0, 0}).out(DType::F32, {2}).attr("axis", int64_t{1});
  EXPECT_EQ(bad.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefPool, MaxPoolWithIndicesAndPads) {
  // x = 0..8 on 3x3, kernel 2, stride 1, pad end 1: bottom/right windows see padding only
  // partly; indices are flat offsets into the whole input.
  RefOp op(OpType::MaxPool);
  op.in(iota_f32({1, 1, 3, 3})).out(DType::F32, {1, 1, 3, 3}).out(DType::I64, {1, 1, 3, 3});
  op.attr("kernel_shape", std::vector<int64_t>{2, 2}).attr("pads", std::vector<int64_t>{0, 0, 1, 1});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {4, 5, 5, 7, 8, 8, 7, 8, 8});
  EXPECT_EQ(op.values<int64_t>(1), (std::vector<int64_t>{4, 5, 5, 7, 8, 8, 7, 8, 8}));
}

TEST(RefPool, AveragePoolCountIncludePad) {
  // 1-D x = [2, 4], kernel 2, pad 1 both sides -> windows [pad,2], [2,4], [4,pad].
  RefOp ex(OpType::AveragePool);
  ex.in<float>({1, 1, 2}, {2, 4}).out(DType::F32, {1, 1, 3});
  ex.attr("kernel_shape", std::vector<int64_t>{2}).attr("pads", std::vector<int64_t>{1, 1});
  ASSERT_TRUE(ex.run().ok());
  expect_near_all(ex.values<float>(0), {2, 3, 4});
  RefOp in(OpType::AveragePool);
  in.in<float>({1, 1, 2}, {2, 4}).out(DType::F32, {1, 1, 3});
  in.attr("kernel_shape", std::vector<int64_t>{2}).attr("pads", std::vector<int64_t>{1, 1});
  in.attr("count_include_pad", int64_t{1});
  ASSERT_TRUE(in.run().ok());
  expect_near_all(in.values<float>(0), {1, 3, 2});
}

TEST(RefPool, CeilModeAddsPartialWindow) {
  // x = 1..5, kernel 2 stride 2: floor -> 2 outputs, ceil -> 3 (last window holds only x[4]).
  RefOp op(OpType::MaxPool);
  op.in(iota_f32({1, 1, 5}, 1.f)).out(DType::F32, {1, 1, 3});
  op.attr("kernel_shape", std::vector<int64_t>{2}).attr("strides", std::vector<int64_t>{2}).attr("ceil_mode", int64_t{1});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {2, 4, 5});
  RefOp avg(OpType::AveragePool);
  avg.in(iota_f32({1, 1, 5}, 1.f)).out(DType::F32, {1, 1, 3});
  avg.attr("kernel_shape", std::vector<int64_t>{2}).attr("strides", std::vector<int64_t>{2}).attr("ceil_mode", int64_t{1});
  ASSERT_TRUE(avg.run().ok());
  expect_near_all(avg.values<float>(0), {1.5f, 3.5f, 5});
  RefOp floor(OpType::MaxPool);
  floor.in(iota_f32({1, 1, 5}, 1.f)).out(DType::F32, {1, 1, 3});
  floor.attr("kernel_shape", std::vector<int64_t>{2}).attr("strides", std::vector<int64_t>{2});
  EXPECT_EQ(floor.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefPool, GlobalPools) {
  RefOp avg(OpType::GlobalAveragePool);
  avg.in<float>({1, 2, 2, 1}, {1, 3, -1, 7}).out(DType::F32, {1, 2, 1, 1});
  ASSERT_TRUE(avg.run().ok());
  expect_near_all(avg.values<float>(0), {2, 3});
  RefOp mx(OpType::GlobalMaxPool);
  mx.in<float>({1, 2, 2, 1}, {1, 3, -1, 7}).out(DType::F32, {1, 2, 1, 1});
  ASSERT_TRUE(mx.run().ok());
  expect_near_all(mx.values<float>(0), {3, 7});
}

}  // namespace
}  // namespace deepshark::testing
