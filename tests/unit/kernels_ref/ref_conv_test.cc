// Hand-computed Conv / ConvTranspose / Gemm / MatMul cases.
#include "ref_test_util.h"

namespace deepshark::testing {
namespace {

TEST(RefConv, SingleChannel3x3AllOnesKernelSumsNeighbourhoods) {
  // x = 0..8 on 3x3, w = ones(3x3), pad 1: each output is the sum of its in-bounds neighbours.
  RefOp op(OpType::Conv);
  op.in(iota_f32({1, 1, 3, 3})).in<float>({1, 1, 3, 3}, std::vector<float>(9, 1.f)).out(DType::F32, {1, 1, 3, 3});
  op.attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  ASSERT_TRUE(op.run().ok());
  // Row sums of 0..8: corners 0+1+3+4=8, 1+2+4+5=12, ... centre = 36.
  expect_near_all(op.values<float>(0), {8, 15, 12, 21, 36, 27, 20, 33, 24});
}

TEST(RefConv, BiasStrideAndAsymmetricPads) {
  // 1x1 kernel of weight 2, stride 2, pad only at the start (top/left) by 1: output sees the
  // zero row/column first, then every second input.
  RefOp op(OpType::Conv);
  op.in(iota_f32({1, 1, 3, 3})).in<float>({1, 1, 1, 1}, {2.f}).in<float>({1}, {10.f}).out(DType::F32, {1, 1, 2, 2});
  op.attr("strides", std::vector<int64_t>{2, 2}).attr("pads", std::vector<int64_t>{1, 1, 0, 0});
  ASSERT_TRUE(op.run().ok());
  // positions (-1,-1)->pad, (-1,1)->pad, (1,-1)->pad, (1,1)->x=4
  expect_near_all(op.values<float>(0), {10, 10, 10, 18});
}

TEST(RefConv, GroupsKeepChannelsApart) {
  // Depthwise: 2 channels, group 2, w per channel = scalar 1 and -1.
  RefOp op(OpType::Conv);
  op.in(iota_f32({1, 2, 1, 2})).in<float>({2, 1, 1, 1}, {1.f, -1.f}).out(DType::F32, {1, 2, 1, 2});
  op.attr("group", int64_t{2});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {0, 1, -2, -3});
}

TEST(RefConv, DilationSkipsTaps) {
  // 1-D, kernel [1, 1] with dilation 2 on x = 0..4: y[i] = x[i] + x[i+2].
  RefOp op(OpType::Conv);
  op.in(iota_f32({1, 1, 5})).in<float>({1, 1, 2}, {1.f, 1.f}).out(DType::F32, {1, 1, 3});
  op.attr("dilations", std::vector<int64_t>{2});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {2, 4, 6});
}

TEST(RefConv, SameUpperPadsMoreAtTheEnd) {
  // 1-D, x = 1..4, kernel [1,1] stride 1: total pad 1 goes to the end under SAME_UPPER.
  RefOp op(OpType::Conv);
  op.in(iota_f32({1, 1, 4}, 1.f)).in<float>({1, 1, 2}, {1.f, 1.f}).out(DType::F32, {1, 1, 4});
  op.attr("auto_pad", "SAME_UPPER");
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {3, 5, 7, 4});
  RefOp lower(OpType::Conv);
  lower.in(iota_f32({1, 1, 4}, 1.f)).in<float>({1, 1, 2}, {1.f, 1.f}).out(DType::F32, {1, 1, 4});
  lower.attr("auto_pad", "SAME_LOWER");
  ASSERT_TRUE(lower.run().ok());
  expect_near_all(lower.values<float>(0), {1, 3, 5, 7});
}

TEST(RefConv, RejectsWrongOutputShapeAndChannelMismatch) {
  RefOp bad_out(OpType::Conv);
  bad_out.in(iota_f32({1, 1, 3, 3})).in(iota_f32({1, 1, 3, 3})).out(DType::F32, {1, 1, 2, 2});
  Status s = bad_out.run();
  EXPECT_EQ(s.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(s.message().find("node_under_test"), std::string::npos) << s.message();

  RefOp bad_c(OpType::Conv);
  bad_c.in(iota_f32({1, 3, 3, 3})).in(iota_f32({1, 2, 1, 1})).out(DType::F32, {1, 1, 3, 3});
  EXPECT_EQ(bad_c.run().code(), ErrorCode::InvalidArgument);

  RefOp int_input(OpType::Conv);
  int_input.in<int64_t>({1, 1, 1, 1}, {1}).in(iota_f32({1, 1, 1, 1})).out(DType::F32, {1, 1, 1, 1});
  Status u = int_input.run();
  EXPECT_EQ(u.code(), ErrorCode::Unsupported);
  EXPECT_NE(u.message().find("I64"), std::string::npos) << u.message();
}

TEST(RefConvTranspose, StrideTwoScattersAndOverlaps) {
  // 1-D, x = [1, 2], w = [1, 1, 1], stride 2: y = [1, 1, 1+2, 2, 2].
  RefOp op(OpType::ConvTranspose);
  op.in<float>({1, 1, 2}, {1.f, 2.f}).in<float>({1, 1, 3}, {1.f, 1.f, 1.f}).out(DType::F32, {1, 1, 5});
  op.attr("strides", std::vector<int64_t>{2});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {1, 1, 3, 2, 2});
}

TEST(RefConvTranspose, PadsOutputPaddingAndBias) {
  // Same as above with pads [1, 0] (drop first), output_padding 1 (append one), bias 5.
  RefOp op(OpType::ConvTranspose);
  op.in<float>({1, 1, 2}, {1.f, 2.f}).in<float>({1, 1, 3}, {1.f, 1.f, 1.f}).in<float>({1}, {5.f});
  op.out(DType::F32, {1, 1, 5});
  op.attr("strides", std::vector<int64_t>{2}).attr("pads", std::vector<int64_t>{1, 0});
  op.attr("output_padding", std::vector<int64_t>{1});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {6, 8, 7, 7, 5});
}

TEST(RefConvTranspose, GroupsUseTheirOwnOutputChannels) {
  // 2 input channels, group 2, W (2, 1, 1): out channel g = x_g * w_g.
  RefOp op(OpType::ConvTranspose);
  op.in<float>({1, 2, 2}, {1.f, 2.f, 3.f, 4.f}).in<float>({2, 1, 1}, {10.f, -1.f}).out(DType::F32, {1, 2, 2});
  op.attr("group", int64_t{2});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {10, 20, -3, -4});
}

TEST(RefGemm, TransposesAlphaBetaAndRowBroadcastC) {
  // A^T with A = [[1,3],[2,4]] -> [[1,2],[3,4]]; B = I; C = [1, 2] broadcast over rows.
  RefOp op(OpType::Gemm);
  op.in<float>({2, 2}, {1, 3, 2, 4}).in<float>({2, 2}, {1, 0, 0, 1}).in<float>({2}, {1, 2}).out(DType::F32, {2, 2});
  op.attr("transA", int64_t{1}).attr("alpha", 2.f).attr("beta", 0.5f);
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {2.5f, 5, 6.5f, 9});
}

TEST(RefGemm, TransBAndColumnC) {
  // A (1x3) = [1,2,3], B^T with B (2x3) = [[1,1,1],[0,1,0]] -> y = [6, 2] + C (1x1) = 1.
  RefOp op(OpType::Gemm);
  op.in<float>({1, 3}, {1, 2, 3}).in<float>({2, 3}, {1, 1, 1, 0, 1, 0}).in<float>({1, 1}, {1}).out(DType::F32, {1, 2});
  op.attr("transB", int64_t{1});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {7, 3});
}

TEST(RefMatMul, BatchBroadcastAndVectors) {
  // A (2,1,2) batched against B (2,2): each batch row times B.
  RefOp op(OpType::MatMul);
  op.in<float>({2, 1, 2}, {1, 0, 0, 1}).in<float>({2, 2}, {1, 2, 3, 4}).out(DType::F32, {2, 1, 2});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {1, 2, 3, 4});

  RefOp vv(OpType::MatMul);  // 1-D . 1-D -> scalar
  vv.in<float>({3}, {1, 2, 3}).in<float>({3}, {4, 5, 6}).out(DType::F32, {});
  ASSERT_TRUE(vv.run().ok());
  expect_near_all(vv.values<float>(0), {32});

  RefOp mv(OpType::MatMul);  // (2,3) . (3) -> (2)
  mv.in<float>({2, 3}, {1, 0, 0, 0, 1, 1}).in<float>({3}, {4, 5, 6}).out(DType::F32, {2});
  ASSERT_TRUE(mv.run().ok());
  expect_near_all(mv.values<float>(0), {4, 11});

  RefOp bad(OpType::MatMul);
  bad.in<float>({2, 3}, std::vector<float>(6)).in<float>({2, 3}, std::vector<float>(6)).out(DType::F32, {2, 3});
  EXPECT_EQ(bad.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefKernel, MakeKernelWrapsRunNode) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {2}, true);
  ValueId y = g.add_value("y", DType::F32, {2}, true);
  Node& n = g.add_node(OpType::Relu, "relu1", {x}, {y});
  auto k = ref::make_kernel(g, n);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ((*k)->name(), "ref:Relu");
  EXPECT_EQ((*k)->scratch_bytes(), 0u);
  EXPECT_EQ((*k)->weight_count(), 0);
  Tensor in = Tensor::from_values<float>({2}, {-1.f, 3.f});
  Tensor out = Tensor::from_values<float>({2}, {9.f, 9.f});
  TensorView iv[] = {in.view()};
  TensorView ov[] = {out.view()};
  ASSERT_TRUE((*k)->run(iv, ov, {}, nullptr).ok());
  EXPECT_EQ(out.data<float>()[0], 0.f);
  EXPECT_EQ(out.data<float>()[1], 3.f);
}

}  // namespace
}  // namespace deepshark::testing
