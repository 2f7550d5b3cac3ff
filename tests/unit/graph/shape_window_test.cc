// Shape inference for Conv, ConvTranspose, pools, Gemm, MatMul and normalisations: one case a line.
#include "shape_tester.h"

namespace deepshark::testing {
namespace {

using T = ShapeTester;
using O = OpType;
using E = ErrorCode;

TEST(ShapeConv, Geometry) {
  EXPECT_EQ(T(O::Conv).in({1, 3, 224, 224}).in({64, 3, 7, 7}).ints("strides", {2, 2}).ints("pads", {3, 3, 3, 3}).shape(), (Shape{1, 64, 112, 112}));
  EXPECT_EQ(T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).shape(), (Shape{1, 4, 6, 6}));
  EXPECT_EQ(T(O::Conv).in({2, 8, 9, 9}).in({8, 1, 3, 3}).attr("group", 8).ints("pads", {1, 1, 1, 1}).shape(), (Shape{2, 8, 9, 9}));
  EXPECT_EQ(T(O::Conv).in({1, 4, 10, 10}).in({6, 2, 3, 3}).in({6}).attr("group", 2).ints("dilations", {2, 2}).shape(), (Shape{1, 6, 6, 6}));
  EXPECT_EQ(T(O::Conv).in({1, 3, 7, 7}).in({2, 3, 3, 3}).ints("strides", {2, 2}).str("auto_pad", "SAME_UPPER").shape(), (Shape{1, 2, 4, 4}));
  EXPECT_EQ(T(O::Conv).in({1, 3, 7, 7}).in({2, 3, 3, 3}).ints("strides", {2, 2}).str("auto_pad", "SAME_LOWER").shape(), (Shape{1, 2, 4, 4}));
  EXPECT_EQ(T(O::Conv).in({1, 3, 7, 7}).in({2, 3, 3, 3}).ints("pads", {5, 5, 5, 5}).str("auto_pad", "VALID").shape(), (Shape{1, 2, 5, 5}));
  EXPECT_EQ(T(O::Conv).in({1, 3, 11}).in({5, 3, 4}).ints("strides", {3}).shape(), (Shape{1, 5, 3}));
  EXPECT_EQ(T(O::Conv).in({1, 2, 5, 6, 7}).in({3, 2, 1, 2, 3}).shape(), (Shape{1, 3, 5, 5, 5}));
  EXPECT_EQ(T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).ints("kernel_shape", {3, 3}).ints("pads", {0, 1, 2, 3}).shape(), (Shape{1, 4, 8, 10}));
}

TEST(ShapeConv, Errors) {
  T(O::Conv).in({1, 32, 8, 8}).in({16, 64, 3, 3}).fails(E::InvalidModel, "(expected 64 input channels, got 32)");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).ints("strides", {-1, 1}).fails(E::InvalidModel, "strides");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 0, 3}).fails(E::InvalidModel, "kernel size must be positive");
  T(O::Conv).in({1, 3, 2, 2}).in({4, 3, 3, 3}).fails(E::InvalidModel, "kernel is larger than the padded input");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).ints("kernel_shape", {5, 5}).fails(E::InvalidModel, "disagrees with the weights");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).ints("pads", {1, 1}).fails(E::InvalidModel, "(expected 4, got 2)");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).str("auto_pad", "BOGUS").fails(E::InvalidModel, "unknown auto_pad");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).attr("group", 0).fails(E::InvalidModel, "group must be positive");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).in({5}).fails(E::InvalidModel, "bias");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3}).fails(E::InvalidModel, "rank");
  T(O::Conv).in({1, 3, 8, 8}).fails(E::InvalidModel, "takes 2..3 inputs");
  T(O::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).ints("dilations", {int64_t{1} << 50, 1}).fails(E::InvalidModel, "dilations");
}

TEST(ShapeConvTranspose, Geometry) {
  EXPECT_EQ(T(O::ConvTranspose).in({1, 8, 4, 4}).in({8, 3, 3, 3}).ints("strides", {2, 2}).shape(), (Shape{1, 3, 9, 9}));
  EXPECT_EQ(T(O::ConvTranspose).in({1, 8, 4, 4}).in({8, 3, 4, 4}).ints("strides", {2, 2}).ints("pads", {1, 1, 1, 1}).shape(), (Shape{1, 3, 8, 8}));
  EXPECT_EQ(T(O::ConvTranspose).in({1, 8, 4, 4}).in({8, 3, 3, 3}).ints("strides", {2, 2}).ints("pads", {1, 1, 1, 1}).ints("output_padding", {1, 1}).shape(), (Shape{1, 3, 8, 8}));
  EXPECT_EQ(T(O::ConvTranspose).in({1, 8, 4, 4}).in({8, 3, 3, 3}).attr("group", 2).shape(), (Shape{1, 6, 6, 6}));
  EXPECT_EQ(T(O::ConvTranspose).in({1, 8, 4, 4}).in({8, 3, 3, 3}).ints("strides", {2, 2}).ints("output_shape", {8, 9}).shape(), (Shape{1, 3, 8, 9}));
  EXPECT_EQ(T(O::ConvTranspose).in({1, 8, 5, 5}).in({8, 3, 3, 3}).ints("strides", {2, 2}).str("auto_pad", "SAME_UPPER").shape(), (Shape{1, 3, 10, 10}));
  T(O::ConvTranspose).in({1, 8, 4, 4}).in({4, 3, 3, 3}).fails(E::InvalidModel, "(expected 4 input channels, got 8)");
  T(O::ConvTranspose).in({1, 8, 4, 4}).in({8, 3, 3, 3}).ints("output_padding", {2, 2}).fails(E::InvalidModel, "output_padding");
  T(O::ConvTranspose).in({1, 8, 4, 4}).in({8, 3, 3, 3}).ints("output_shape", {50, 50}).fails(E::InvalidModel, "output_shape out of range");
}

TEST(ShapePool, Geometry) {
  EXPECT_EQ(T(O::MaxPool).in({1, 64, 112, 112}).ints("kernel_shape", {3, 3}).ints("strides", {2, 2}).ints("pads", {1, 1, 1, 1}).shape(), (Shape{1, 64, 56, 56}));
  EXPECT_EQ(T(O::MaxPool).in({1, 1, 6, 6}).ints("kernel_shape", {3, 3}).ints("strides", {2, 2}).shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(T(O::MaxPool).in({1, 1, 6, 6}).ints("kernel_shape", {3, 3}).ints("strides", {2, 2}).attr("ceil_mode", 1).shape(), (Shape{1, 1, 3, 3}));
  // ceil_mode: the last window would start inside the end padding and is dropped (PyTorch, ORT).
  EXPECT_EQ(T(O::MaxPool).in({1, 1, 5, 5}).ints("kernel_shape", {2, 2}).ints("strides", {2, 2}).ints("pads", {1, 1, 1, 1}).attr("ceil_mode", 1).shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(T(O::MaxPool).in({1, 1, 9, 9}).ints("kernel_shape", {3, 3}).ints("dilations", {2, 2}).shape(), (Shape{1, 1, 5, 5}));
  EXPECT_EQ(T(O::MaxPool).in({1, 2, 7, 7}).ints("kernel_shape", {3, 3}).ints("strides", {2, 2}).str("auto_pad", "SAME_UPPER").shape(), (Shape{1, 2, 4, 4}));
  EXPECT_EQ(T(O::AveragePool).in({1, 2, 7, 7}).ints("kernel_shape", {7, 7}).attr("count_include_pad", 1).shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(T(O::MaxPool).in({1, 2, 8}).ints("kernel_shape", {2}).outputs(2).dtype(1), DType::I64);
  EXPECT_EQ(T(O::GlobalAveragePool).in({2, 512, 7, 7}).shape(), (Shape{2, 512, 1, 1}));
  EXPECT_EQ(T(O::GlobalMaxPool).in({2, 5, 3, 4, 5}).shape(), (Shape{2, 5, 1, 1, 1}));
  T(O::MaxPool).in({1, 2, 8, 8}).fails(E::InvalidModel, "'kernel_shape' is required");
  T(O::MaxPool).in({1, 2, 8, 8}).ints("kernel_shape", {0, 2}).fails(E::InvalidModel, "kernel_shape");
  T(O::AveragePool).in({1, 2, 8, 8}).ints("kernel_shape", {2, 2}).ints("strides", {0, 1}).fails(E::InvalidModel, "strides");
  T(O::GlobalAveragePool).in({2, 5}).fails(E::InvalidModel, "(expected >= 3, got 2)");
}

TEST(ShapeLinear, GemmMatMul) {
  EXPECT_EQ(T(O::Gemm).in({2, 512}).in({1000, 512}).in({1000}).attr("transB", 1).shape(), (Shape{2, 1000}));
  EXPECT_EQ(T(O::Gemm).in({512, 2}).in({512, 10}).attr("transA", 1).shape(), (Shape{2, 10}));
  EXPECT_EQ(T(O::Gemm).in({3, 4}).in({4, 5}).in({3, 1}).shape(), (Shape{3, 5}));
  T(O::Gemm).in({2, 512}).in({1000, 256}).attr("transB", 1).fails(E::InvalidModel, "(expected 512, got 256)");
  T(O::Gemm).in({2, 4}).in({4, 5}).in({3, 5}).fails(E::InvalidModel, "does not broadcast");
  EXPECT_EQ(T(O::MatMul).in({2, 3}).in({3, 4}).shape(), (Shape{2, 4}));
  EXPECT_EQ(T(O::MatMul).in({3}).in({3, 4}).shape(), (Shape{4}));
  EXPECT_EQ(T(O::MatMul).in({2, 3}).in({3}).shape(), (Shape{2}));
  EXPECT_EQ(T(O::MatMul).in({3}).in({3}).shape(), (Shape{}));
  EXPECT_EQ(T(O::MatMul).in({5, 1, 2, 3}).in({4, 3, 7}).shape(), (Shape{5, 4, 2, 7}));
  EXPECT_EQ(T(O::MatMul).in({2, 12, 7, 64}).in({64, 64}).shape(), (Shape{2, 12, 7, 64}));
  T(O::MatMul).in({2, 3}).in({4, 5}).fails(E::InvalidModel, "(expected 3, got 4)");
  T(O::MatMul).in({2, 2, 3}).in({3, 3, 4}).fails(E::InvalidModel, "batch dimensions do not broadcast");
  T(O::MatMul).in({2, 3}).in({3, 4}, DType::I64).fails(E::InvalidModel, "different dtypes");
}

TEST(ShapeNorm, All) {
  EXPECT_EQ(T(O::BatchNormalization).in({1, 8, 4, 4}).in({8}).in({8}).in({8}).in({8}).shape(), (Shape{1, 8, 4, 4}));
  T(O::BatchNormalization).in({1, 8, 4, 4}).in({8}).in({8}).in({7}).in({8}).fails(E::InvalidModel, "(expected [8], got [7])");
  EXPECT_EQ(T(O::LayerNormalization).in({2, 7, 768}).in({768}).in({768}).shape(), (Shape{2, 7, 768}));
  EXPECT_EQ(T(O::LayerNormalization).in({2, 7, 768}).in({7, 768}).attr("axis", 1).outputs(3).shape(2), (Shape{2, 1, 1}));
  EXPECT_EQ(T(O::LayerNormalization).in({2, 7, 768}).in({768}).outputs(3).shape(1), (Shape{2, 7, 1}));
  T(O::LayerNormalization).in({2, 7, 768}).in({767}).fails(E::InvalidModel, "does not match the normalised dims");
  T(O::LayerNormalization).in({2, 7, 768}).in({768}).attr("axis", 3).fails(E::InvalidModel, "axis out of range");
  EXPECT_EQ(T(O::InstanceNormalization).in({2, 3, 5, 5}).in({3}).in({3}).shape(), (Shape{2, 3, 5, 5}));
  EXPECT_EQ(T(O::LRN).in({1, 96, 55, 55}).attr("size", 5).shape(), (Shape{1, 96, 55, 55}));
  T(O::LRN).in({1, 96, 55, 55}).fails(E::InvalidModel, "'size' is required");
  T(O::LRN).in({1, 96, 55, 55}).attr("size", 0).fails(E::InvalidModel, "(expected >= 1, got 0)");
}

}  // namespace
}  // namespace deepshark::testing
