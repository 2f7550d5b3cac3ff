// Pooling, normalisation and softmax against the reference.
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

TEST(DnnlPool, MaxAndAverageSweep) {
  for (OpType op : {OpType::MaxPool, OpType::AveragePool})
    for (int64_t hw : {5, 17, 31})
      for (int64_t k : {1, 2, 3, 5})
        for (int64_t s : {1, 2})
          for (int64_t p : {0, 1}) {
            if (p >= k) continue;
            for (bool include : {false, true}) {
              if (op == OpType::MaxPool && include) continue;
              PoolTester(op).input(1, 3, hw, hw).kernel(k).stride(s).pad(p).count_include_pad(include).test();
            }
          }
}

TEST(DnnlPool, CeilModeAndDilation) {
  for (int64_t hw : {5, 17, 31})
    for (int64_t k : {2, 3}) {
      PoolTester(OpType::MaxPool).input(2, 7, hw, hw).kernel(k).stride(2).ceil_mode(true).test();
      PoolTester(OpType::MaxPool).input(2, 7, hw, hw).kernel(k).stride(2).pad(1).ceil_mode(true).test();
      PoolTester(OpType::AveragePool).input(2, 7, hw, hw).kernel(k).stride(2).ceil_mode(true).test();
      PoolTester(OpType::MaxPool).input(1, 3, hw, hw).kernel(k).dilation(2).test();
    }
}

TEST(DnnlPool, IncludePadWithCeilPaddingFallsBack) {
  // 6 + 2*1 - 3 = 5: ceil gives 4 outputs, the last window reaches past the stated padding.
  OpTester(OpType::AveragePool).input({1, 2, 6, 6}).output({1, 2, 4, 4})
      .attr("kernel_shape", std::vector<int64_t>{3, 3}).attr("strides", std::vector<int64_t>{2, 2})
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1}).attr("ceil_mode", int64_t{1})
      .attr("count_include_pad", int64_t{1}).describe("ceil include_pad").expect_unsupported();
}

TEST(DnnlPool, Global) {
  for (OpType op : {OpType::GlobalAveragePool, OpType::GlobalMaxPool})
    for (const Shape& x : {Shape{1, 64, 7, 7}, Shape{2, 13, 5, 3}, Shape{1, 3, 1, 1}, Shape{1, 5, 17}}) {
      Shape y = x;
      for (size_t i = 2; i < y.size(); ++i) y[i] = 1;
      OpTester(op).input(x).output(y).tolerance(1e-6).describe(shape_list(x)).test();
    }
}

TEST(DnnlBatchNorm, Inference) {
  for (const Shape& x : {Shape{1, 3, 17, 17}, Shape{2, 64, 5, 5}, Shape{2, 13}, Shape{1, 7, 31}}) {
    const int64_t c = x[1];
    OpTester(OpType::BatchNormalization).input(x, -2.f, 2.f).constant({c}).constant({c}).constant({c})
        .constant({c}, 0.5f, 2.f).output(x).attr("epsilon", 1e-3f).tolerance(1e-5).describe(shape_list(x)).test();
  }
}

TEST(DnnlLayerNorm, LastAxis) {
  for (const Shape& x : {Shape{2, 7}, Shape{1, 5, 64}, Shape{3, 2, 13}, Shape{17}}) {
    OpTester(OpType::LayerNormalization).input(x, -3.f, 3.f).constant({x.back()}).constant({x.back()}).output(x)
        .tolerance(1e-5).describe(shape_list(x)).test();
    OpTester(OpType::LayerNormalization).input(x).constant({x.back()}).output(x).attr("epsilon", 1e-3f)
        .tolerance(1e-5).describe(shape_list(x) + " no bias").test();
  }
  OpTester(OpType::LayerNormalization).input({2, 3, 4}).constant({3, 4}).constant({3, 4}).output({2, 3, 4})
      .attr("axis", int64_t{1}).describe("two axes").expect_unsupported();
}

TEST(DnnlSoftmax, Axes) {
  for (OpType op : {OpType::Softmax, OpType::LogSoftmax})
    for (const Shape& x : {Shape{1, 1000}, Shape{2, 7}, Shape{2, 3, 13}, Shape{17}})
      for (int64_t axis = -1; axis < static_cast<int64_t>(x.size()); ++axis)
        OpTester(op).input(x, -5.f, 5.f).output(x).attr("axis", axis).tolerance(1e-6)
            .expect_nonzero(!(op == OpType::LogSoftmax && x[axis < 0 ? x.size() - 1 : axis] == 1))
            .describe(shape_list(x) + " axis=" + std::to_string(axis)).test();
}

}  // namespace
}  // namespace deepshark::testing
