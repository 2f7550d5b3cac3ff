// Shape rules for the fusion pass's forms: Conv / ConvTranspose with ds.residual (input 3),
// MatMul with a bias input, and the ds.activation name check.
#include <gtest/gtest.h>

#include "shape_tester.h"

namespace deepshark::testing {
namespace {

TEST(ShapeFused, ConvWithResidual) {
  EXPECT_EQ(ShapeTester(OpType::Conv).in({1, 3, 8, 8}).in({4, 3, 3, 3}).in({4}).in({1, 4, 6, 6}).attr("ds.residual", 1).shape(),
            (Shape{1, 4, 6, 6}));
  EXPECT_EQ(ShapeTester(OpType::Conv).in({1, 3, 8, 8}).in({4, 3, 1, 1}).absent().in({1, 4, 8, 8}).attr("ds.residual", 1).shape(),
            (Shape{1, 4, 8, 8}));
  ShapeTester(OpType::Conv).in({1, 3, 8, 8}).in({4, 3, 1, 1}).absent().in({1, 4, 8, 1}).attr("ds.residual", 1)
      .fails(ErrorCode::InvalidModel, "residual 'in3' must match the output (expected F32 [1,4,8,8], got F32 [1,4,8,1])");
  ShapeTester(OpType::Conv).in({1, 3, 8, 8}).in({4, 3, 1, 1}).absent().in({1, 4, 8, 8})
      .fails(ErrorCode::InvalidModel, "Conv takes 2..3 inputs");
  ShapeTester(OpType::Conv).in({1, 3, 8, 8}).in({4, 3, 1, 1}).attr("ds.residual", 1)
      .fails(ErrorCode::InvalidModel, "ds.residual needs the residual as input 3");
  ShapeTester(OpType::Conv).in({1, 3, 8, 8}).in({4, 3, 1, 1}).attr("ds.residual", 2)
      .fails(ErrorCode::InvalidModel, "'ds.residual' must be 0 or 1");
  EXPECT_EQ(ShapeTester(OpType::ConvTranspose).in({1, 3, 4, 4}).in({3, 2, 1, 1}).in({2}).in({1, 2, 4, 4}).attr("ds.residual", 1).shape(),
            (Shape{1, 2, 4, 4}));
}

TEST(ShapeFused, MatMulBias) {
  EXPECT_EQ(ShapeTester(OpType::MatMul).in({2, 3, 8}).in({8, 5}).in({5}).shape(), (Shape{2, 3, 5}));
  ShapeTester(OpType::MatMul).in({2, 3, 8}).in({8, 5}).in({1, 5})
      .fails(ErrorCode::InvalidModel, "bias 'in2' must be one value per output column");
  ShapeTester(OpType::MatMul).in({3, 8}).in({8}).in({1}).fails(ErrorCode::InvalidModel, "expected a 2-D B");
  ShapeTester(OpType::MatMul).in({3, 8}).in({8, 5}).in({5}).in({5}).fails(ErrorCode::InvalidModel, "MatMul takes 2..3 inputs");
}

TEST(ShapeFused, ActivationName) {
  EXPECT_EQ(ShapeTester(OpType::Gemm).in({2, 3}).in({3, 4}).str("ds.activation", "GeluTanh").shape(), (Shape{2, 4}));
  ShapeTester(OpType::Gemm).in({2, 3}).in({3, 4}).str("ds.activation", "Swish")
      .fails(ErrorCode::InvalidModel, "unknown fused activation");
  ShapeTester(OpType::MatMul).in({2, 3}).in({3, 4}).attr("ds.activation", 1)
      .fails(ErrorCode::InvalidModel, "got a non-string attribute");
  ShapeTester(OpType::Gemm).in({2, 3}).in({3, 4}).attr("ds.residual", 1)
      .fails(ErrorCode::InvalidModel, "ds.residual is not supported on Gemm");
}

}  // namespace
}  // namespace deepshark::testing
