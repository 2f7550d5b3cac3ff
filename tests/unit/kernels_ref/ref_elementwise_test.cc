// Hand-computed activations, unary math, broadcasting binary ops, comparisons and Where.
#include <cmath>
#include <limits>

#include "ref_test_util.h"

namespace deepshark::testing {
namespace {

std::vector<float> unary(OpType op, std::vector<float> x, RefOp* configured = nullptr) {
  RefOp local(op);
  RefOp& r = configured ? *configured : local;
  const int64_t n = static_cast<int64_t>(x.size());
  r.in<float>({n}, x).out(DType::F32, {n});
  Status s = r.run();
  EXPECT_TRUE(s.ok()) << s.message();
  return s.ok() ? r.values<float>(0) : std::vector<float>{};
}

TEST(RefUnary, Activations) {
  expect_near_all(unary(OpType::Relu, {-2, 0, 3}), {0, 0, 3});
  expect_near_all(unary(OpType::LeakyRelu, {-2, 3}), {-0.02f, 3});
  RefOp leaky(OpType::LeakyRelu);
  leaky.attr("alpha", 0.5f);
  expect_near_all(unary(OpType::LeakyRelu, {-2, 3}, &leaky), {-1, 3});
  expect_near_all(unary(OpType::Elu, {-1, 2}), {std::exp(-1.f) - 1.f, 2});
  expect_near_all(unary(OpType::Sigmoid, {0}), {0.5f});
  expect_near_all(unary(OpType::Tanh, {0}), {0});
  // HardSigmoid defaults alpha 0.2, beta 0.5: 0.2*x+0.5 clipped to [0,1].
  expect_near_all(unary(OpType::HardSigmoid, {-5, 0, 1, 5}), {0, 0.5f, 0.7f, 1});
  RefOp hs(OpType::HardSigmoid);
  hs.attr("alpha", 1.f / 6.f).attr("beta", 0.5f);
  expect_near_all(unary(OpType::HardSigmoid, {3}, &hs), {1});
  // HardSwish x*clip(x/6+0.5): -4 -> 0, 0 -> 0, 1 -> 1*(2/3), 4 -> 4.
  expect_near_all(unary(OpType::HardSwish, {-4, 0, 1, 4}), {0, 0, 2.f / 3.f, 4});
  expect_near_all(unary(OpType::Softplus, {0, 100}), {std::log(2.f), 100});
}

TEST(RefUnary, Math) {
  expect_near_all(unary(OpType::Erf, {0, 10}), {0, 1});
  expect_near_all(unary(OpType::Exp, {0, 1}), {1, std::exp(1.f)});
  expect_near_all(unary(OpType::Log, {1, std::exp(2.f)}), {0, 2});
  expect_near_all(unary(OpType::Sqrt, {4, 9}), {2, 3});
  expect_near_all(unary(OpType::Reciprocal, {4, -0.5f}), {0.25f, -2});
  expect_near_all(unary(OpType::Neg, {4, -0.5f}), {-4, 0.5f});
  expect_near_all(unary(OpType::Abs, {-4, 0.5f}), {4, 0.5f});
  expect_near_all(unary(OpType::Floor, {-1.5f, 1.5f}), {-2, 1});
  expect_near_all(unary(OpType::Ceil, {-1.5f, 1.5f}), {-1, 2});
}

TEST(RefUnary, IntegerNegAbsAndBoolNot) {
  RefOp neg(OpType::Neg);
  neg.in<int64_t>({2}, {5, std::numeric_limits<int64_t>::min()}).out(DType::I64, {2});
  ASSERT_TRUE(neg.run().ok());
  EXPECT_EQ(neg.values<int64_t>(0), (std::vector<int64_t>{-5, std::numeric_limits<int64_t>::min()}));
  RefOp n(OpType::Not);
  n.in<bool>({2}, {true, false}).out(DType::Bool, {2});
  ASSERT_TRUE(n.run().ok());
  EXPECT_EQ(n.values<uint8_t>(0), (std::vector<uint8_t>{0, 1}));
  RefOp bad(OpType::Sigmoid);
  bad.in<int64_t>({1}, {1}).out(DType::I64, {1});
  EXPECT_EQ(bad.run().code(), ErrorCode::Unsupported);
}

TEST(RefUnary, ClipWithAbsentBounds) {
  RefOp both(OpType::Clip);
  both.in<float>({4}, {-2, 0, 1, 9}).in<float>({}, {-1}).in<float>({}, {2}).out(DType::F32, {4});
  ASSERT_TRUE(both.run().ok());
  expect_near_all(both.values<float>(0), {-1, 0, 1, 2});
  RefOp max_only(OpType::Clip);
  max_only.in<float>({3}, {-20, 0, 9}).absent().in<float>({}, {2}).out(DType::F32, {3});
  ASSERT_TRUE(max_only.run().ok());
  expect_near_all(max_only.values<float>(0), {-20, 0, 2});
  RefOp none(OpType::Clip);
  none.in<float>({2}, {-1e30f, 1e30f}).out(DType::F32, {2});
  ASSERT_TRUE(none.run().ok());
  expect_near_all(none.values<float>(0), {-1e30f, 1e30f});
  RefOp ints(OpType::Clip);
  ints.in<int64_t>({3}, {-5, 3, 50}).in<int64_t>({}, {0}).in<int64_t>({}, {10}).out(DType::I64, {3});
  ASSERT_TRUE(ints.run().ok());
  EXPECT_EQ(ints.values<int64_t>(0), (std::vector<int64_t>{0, 3, 10}));
}

TEST(RefUnary, PReluBroadcastsSlopeOverChannels) {
  RefOp op(OpType::PRelu);
  op.in<float>({1, 2, 2}, {-1, 2, -3, 4}).in<float>({2, 1}, {0.5f, 2}).out(DType::F32, {1, 2, 2});
  ASSERT_TRUE(op.run().ok());
  expect_near_all(op.values<float>(0), {-0.5f, 2, -6, 4});
  RefOp bad(OpType::PRelu);  // slope (3) does not broadcast to (.., 2)
  bad.in<float>({1, 2}, {-1, 2}).in<float>({3}, {1, 2, 3}).out(DType::F32, {1, 2});
  EXPECT_EQ(bad.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefBinary, BroadcastingEdgeCases) {
  // (2,1) + (3) -> (2,3)
  RefOp add(OpType::Add);
  add.in<float>({2, 1}, {10, 20}).in<float>({3}, {1, 2, 3}).out(DType::F32, {2, 3});
  ASSERT_TRUE(add.run().ok());
  expect_near_all(add.values<float>(0), {11, 12, 13, 21, 22, 23});
  // scalar - (2) and (2) / scalar
  RefOp sub(OpType::Sub);
  sub.in<float>({}, {1}).in<float>({2}, {3, 4}).out(DType::F32, {2});
  ASSERT_TRUE(sub.run().ok());
  expect_near_all(sub.values<float>(0), {-2, -3});
  // zero-size dim broadcast with 1 -> empty output
  RefOp empty(OpType::Mul);
  empty.in(Tensor::create(DType::F32, {0, 3}).value()).in<float>({1, 3}, {1, 2, 3}).out(DType::F32, {0, 3});
  EXPECT_TRUE(empty.run().ok());
  // incompatible
  RefOp bad(OpType::Add);
  bad.in<float>({2}, {1, 2}).in<float>({3}, {1, 2, 3}).out(DType::F32, {3});
  EXPECT_EQ(bad.run().code(), ErrorCode::InvalidArgument);
  // wrong declared output shape
  RefOp wrong(OpType::Add);
  wrong.in<float>({2}, {1, 2}).in<float>({1}, {1}).out(DType::F32, {1});
  EXPECT_EQ(wrong.run().code(), ErrorCode::InvalidArgument);
}

TEST(RefBinary, IntegerArithmeticAndDivisionByZero) {
  RefOp div(OpType::Div);
  div.in<int64_t>({3}, {7, -7, 9}).in<int64_t>({3}, {2, 2, -3}).out(DType::I64, {3});
  ASSERT_TRUE(div.run().ok());
  EXPECT_EQ(div.values<int64_t>(0), (std::vector<int64_t>{3, -3, -3}));  // truncation toward zero
  RefOp zero(OpType::Div);
  zero.in<int32_t>({2}, {1, 2}).in<int32_t>({2}, {1, 0}).out(DType::I32, {2});
  Status s = zero.run();
  EXPECT_EQ(s.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(s.message().find("division by zero"), std::string::npos) << s.message();
  RefOp minus_one(OpType::Div);  // INT64_MIN / -1 must not trap
  minus_one.in<int64_t>({1}, {std::numeric_limits<int64_t>::min()}).in<int64_t>({1}, {-1}).out(DType::I64, {1});
  EXPECT_TRUE(minus_one.run().ok());
  RefOp mul(OpType::Mul);
  mul.in<int64_t>({2}, {6, std::numeric_limits<int64_t>::max()}).in<int64_t>({1}, {7}).out(DType::I64, {2});
  ASSERT_TRUE(mul.run().ok());  // overflow wraps instead of being undefined
  EXPECT_EQ(mul.values<int64_t>(0)[0], 42);
  RefOp fdiv(OpType::Div);  // float division by zero is IEEE
  fdiv.in<float>({1}, {1}).in<float>({1}, {0}).out(DType::F32, {1});
  ASSERT_TRUE(fdiv.run().ok());
  EXPECT_TRUE(std::isinf(fdiv.values<float>(0)[0]));
  RefOp mixed(OpType::Add);
  mixed.in<float>({1}, {1}).in<int64_t>({1}, {1}).out(DType::F32, {1});
  EXPECT_EQ(mixed.run().code(), ErrorCode::Unsupported);
}

TEST(RefBinary, VariadicMinMaxSumAndPow) {
  RefOp sum(OpType::Sum);
  sum.in<float>({2}, {1, 2}).in<float>({1}, {10}).in<float>({2, 1}, {100, 200}).out(DType::F32, {2, 2});
  ASSERT_TRUE(sum.run().ok());
  expect_near_all(sum.values<float>(0), {111, 112, 211, 212});
  RefOp mn(OpType::Min);
  mn.in<float>({3}, {1, 5, 3}).in<float>({3}, {4, 2, 6}).in<float>({}, {2.5f}).out(DType::F32, {3});
  ASSERT_TRUE(mn.run().ok());
  expect_near_all(mn.values<float>(0), {1, 2, 2.5f});
  RefOp mx(OpType::Max);
  mx.in<int32_t>({2}, {1, 5}).in<int32_t>({2}, {4, 2}).out(DType::I32, {2});
  ASSERT_TRUE(mx.run().ok());
  EXPECT_EQ(mx.values<int32_t>(0), (std::vector<int32_t>{4, 5}));
  RefOp pw(OpType::Pow);
  pw.in<float>({3}, {2, 9, 4}).in<float>({3}, {3, 0.5f, -1}).out(DType::F32, {3});
  ASSERT_TRUE(pw.run().ok());
  expect_near_all(pw.values<float>(0), {8, 3, 0.25f});
  RefOp pi(OpType::Pow);  // float base, integer exponent
  pi.in<float>({2}, {2, 3}).in<int64_t>({}, {2}).out(DType::F32, {2});
  ASSERT_TRUE(pi.run().ok());
  expect_near_all(pi.values<float>(0), {4, 9});
}

TEST(RefBinary, ComparisonsAndWhere) {
  RefOp eq(OpType::Equal);
  eq.in<int64_t>({3}, {1, 2, 3}).in<int64_t>({}, {2}).out(DType::Bool, {3});
  ASSERT_TRUE(eq.run().ok());
  EXPECT_EQ(eq.values<uint8_t>(0), (std::vector<uint8_t>{0, 1, 0}));
  RefOp lt(OpType::Less);
  lt.in<float>({2, 1}, {1, 3}).in<float>({2}, {2, 4}).out(DType::Bool, {2, 2});
  ASSERT_TRUE(lt.run().ok());
  EXPECT_EQ(lt.values<uint8_t>(0), (std::vector<uint8_t>{1, 1, 0, 1}));
  RefOp gt(OpType::Greater);
  gt.in<float>({2}, {1, 3}).in<float>({2}, {2, 2}).out(DType::Bool, {2});
  ASSERT_TRUE(gt.run().ok());
  EXPECT_EQ(gt.values<uint8_t>(0), (std::vector<uint8_t>{0, 1}));
  RefOp where(OpType::Where);
  where.in<bool>({2, 1}, {true, false}).in<int64_t>({2}, {1, 2}).in<int64_t>({}, {-1}).out(DType::I64, {2, 2});
  ASSERT_TRUE(where.run().ok());
  EXPECT_EQ(where.values<int64_t>(0), (std::vector<int64_t>{1, 2, -1, -1}));
}

}  // namespace
}  // namespace deepshark::testing
