// The fused epilogue of the reference kernels (ds.residual, ds.activation, MatMul's bias input)
// against the same computation done by separate nodes, and its input validation.
#include <gtest/gtest.h>

#include <cmath>

#include "ref_test_util.h"

namespace deepshark::testing {
namespace {

// A 1x2x3x3 input, 1x1 conv weights 2->2 and bias: small enough to write the reference by hand.
Tensor conv_x() { return iota_f32({1, 2, 3, 3}, -2.f, 0.25f); }
Tensor conv_w() { return Tensor::from_values<float>({2, 2, 1, 1}, {1.f, -0.5f, 0.25f, 2.f}); }
Tensor conv_b() { return Tensor::from_values<float>({2}, {0.1f, -0.3f}); }

std::vector<float> plain_conv() {
  RefOp op(OpType::Conv);
  op.in(conv_x()).in(conv_w()).in(conv_b()).out(DType::F32, {1, 2, 3, 3});
  EXPECT_TRUE(op.run().ok());
  return op.values<float>(0);
}

TEST(RefFused, ConvResidualThenRelu) {
  Tensor r = iota_f32({1, 2, 3, 3}, 1.f, -0.125f);
  RefOp op(OpType::Conv);
  op.in(conv_x()).in(conv_w()).in(conv_b()).in(r).out(DType::F32, {1, 2, 3, 3});
  op.attr("ds.residual", int64_t{1}).attr("ds.activation", "Relu");
  ASSERT_TRUE(op.run().ok());
  std::vector<float> want = plain_conv();
  for (size_t i = 0; i < want.size(); ++i) want[i] = std::max(0.f, want[i] + r.data<float>()[i]);
  EXPECT_EQ(op.values<float>(0), want);  // bit-identical to Conv, Add, Relu
}

TEST(RefFused, ConvResidualWithoutBias) {
  Tensor r = iota_f32({1, 2, 3, 3}, 0.5f, 0.5f);
  RefOp op(OpType::Conv);
  op.in(conv_x()).in(conv_w()).absent().in(r).out(DType::F32, {1, 2, 3, 3}).attr("ds.residual", int64_t{1});
  ASSERT_TRUE(op.run().ok());
  RefOp plain(OpType::Conv);
  plain.in(conv_x()).in(conv_w()).out(DType::F32, {1, 2, 3, 3});
  ASSERT_TRUE(plain.run().ok());
  std::vector<float> want = plain.values<float>(0);
  for (size_t i = 0; i < want.size(); ++i) want[i] += r.data<float>()[i];
  EXPECT_EQ(op.values<float>(0), want);
}

struct ActCase {
  const char* name;
  float alpha, beta;
  double (*f)(double, double, double);
};

TEST(RefFused, EveryActivationMatchesItsFormula) {
  const ActCase cases[] = {
      {"Relu", 0, 0, [](double v, double, double) { return v > 0 ? v : 0.0; }},
      {"LeakyRelu", 0.1f, 0, [](double v, double a, double) { return v >= 0 ? v : a * v; }},
      {"Clip", -0.5f, 0.75f, [](double v, double a, double b) { return std::min(std::max(v, a), b); }},
      {"Sigmoid", 0, 0, [](double v, double, double) { return 1 / (1 + std::exp(-v)); }},
      {"Tanh", 0, 0, [](double v, double, double) { return std::tanh(v); }},
      {"HardSwish", 0, 0, [](double v, double, double) { return v * std::clamp(v / 6 + 0.5, 0.0, 1.0); }},
      {"HardSigmoid", 0.3f, 0.4f, [](double v, double a, double b) { return std::clamp(a * v + b, 0.0, 1.0); }},
      {"Gelu", 0, 0, [](double v, double, double) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {"GeluTanh", 0, 0, [](double v, double, double) {
         return 0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v)));
       }},
  };
  for (const ActCase& c : cases) {
    SCOPED_TRACE(c.name);
    for (OpType op_type : {OpType::Conv, OpType::ConvTranspose}) {
      RefOp op(op_type);
      op.in(conv_x()).in(conv_w()).in(conv_b()).out(DType::F32, {1, 2, 3, 3});
      op.attr("ds.activation", c.name).attr("ds.alpha", c.alpha).attr("ds.beta", c.beta);
      ASSERT_TRUE(op.run().ok());
      RefOp plain(op_type);
      plain.in(conv_x()).in(conv_w()).in(conv_b()).out(DType::F32, {1, 2, 3, 3});
      ASSERT_TRUE(plain.run().ok());
      std::vector<float> want = plain.values<float>(0);
      for (float& v : want) v = static_cast<float>(c.f(v, c.alpha, c.beta));
      expect_near_all(op.values<float>(0), want, 1e-6);
    }
  }
}

TEST(RefFused, MatMulBiasAndActivation) {
  Tensor a = iota_f32({2, 2, 3}, -1.f, 0.2f), b = iota_f32({3, 4}, 0.5f, -0.1f);
  Tensor bias = Tensor::from_values<float>({4}, {1.f, -2.f, 0.5f, 0.f});
  RefOp plain(OpType::MatMul);
  plain.in(a).in(b).out(DType::F32, {2, 2, 4});
  ASSERT_TRUE(plain.run().ok());
  RefOp op(OpType::MatMul);
  op.in(a).in(b).in(bias).out(DType::F32, {2, 2, 4}).attr("ds.activation", "Tanh");
  ASSERT_TRUE(op.run().ok());
  std::vector<float> want = plain.values<float>(0);
  for (size_t i = 0; i < want.size(); ++i) want[i] = std::tanh(want[i] + bias.data<float>()[i % 4]);
  expect_near_all(op.values<float>(0), want, 1e-6);
}

TEST(RefFused, GemmActivation) {
  RefOp op(OpType::Gemm);
  op.in(iota_f32({2, 3}, -1.f, 0.5f)).in(iota_f32({3, 2}, -1.f, 0.5f)).out(DType::F32, {2, 2}).attr("ds.activation", "Relu");
  ASSERT_TRUE(op.run().ok());
  // A @ B = [[-1,-.5,0],[.5,1,1.5]] @ [[-1,-.5],[0,.5],[1,1.5]] = [[1, .25], [1, 2.5]]
  expect_near_all(op.values<float>(0), {1.f, 0.25f, 1.f, 2.5f});
}

TEST(RefFused, RejectsBadEpilogueInputs) {
  {
    RefOp op(OpType::Conv);
    op.in(conv_x()).in(conv_w()).in(conv_b()).out(DType::F32, {1, 2, 3, 3}).attr("ds.activation", "Swish");
    Status s = op.run();
    EXPECT_EQ(s.code(), ErrorCode::Unsupported) << s.to_string();
    EXPECT_NE(s.message().find("Swish"), std::string::npos) << s.to_string();
  }
  {
    RefOp op(OpType::Conv);
    op.in(conv_x()).in(conv_w()).in(conv_b()).in(iota_f32({1, 2, 3, 1})).out(DType::F32, {1, 2, 3, 3});
    op.attr("ds.residual", int64_t{1});
    Status s = op.run();
    EXPECT_EQ(s.code(), ErrorCode::InvalidArgument) << s.to_string();
    EXPECT_NE(s.message().find("residual must match the output"), std::string::npos) << s.to_string();
  }
  {
    RefOp op(OpType::Conv);
    op.in(conv_x()).in(conv_w()).in(conv_b()).out(DType::F32, {1, 2, 3, 3}).attr("ds.residual", int64_t{1});
    Status s = op.run();
    EXPECT_EQ(s.code(), ErrorCode::InvalidArgument) << s.to_string();
  }
  {
    RefOp op(OpType::MatMul);
    op.in(iota_f32({2, 3})).in(iota_f32({3, 4})).in(iota_f32({2})).out(DType::F32, {2, 4});
    Status s = op.run();
    EXPECT_EQ(s.code(), ErrorCode::InvalidArgument) << s.to_string();
    EXPECT_NE(s.message().find("bias must be [N]"), std::string::npos) << s.to_string();
  }
}

}  // namespace
}  // namespace deepshark::testing
