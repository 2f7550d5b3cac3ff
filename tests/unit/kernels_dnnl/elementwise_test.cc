// Eltwise activations and broadcasting binary ops against the reference.
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

TEST(DnnlEltwise, Activations) {
  struct Case { OpType op; float lo, hi; };
  for (const Case& c : {Case{OpType::Relu, -2, 2}, Case{OpType::LeakyRelu, -2, 2}, Case{OpType::Elu, -2, 2},
                        Case{OpType::Sigmoid, -6, 6}, Case{OpType::Tanh, -3, 3}, Case{OpType::HardSwish, -5, 5},
                        Case{OpType::Exp, -3, 3}, Case{OpType::Log, 0.01f, 10}, Case{OpType::Sqrt, 0, 10},
                        Case{OpType::Abs, -2, 2}})
    for (const Shape& s : {Shape{1}, Shape{7}, Shape{2, 13, 5}, Shape{1, 64, 17, 17}})
      // oneDNN's vectorised log is a few ulp off (2.3e-6 at |y| ~ 2.3).
      OpTester(c.op).input(s, c.lo, c.hi).output(s).tolerance(c.op == OpType::Log ? 2e-6 : 1e-6)
          .expect_nonzero(s.size() > 1).describe(shape_list(s)).test();
}

TEST(DnnlEltwise, Attributes) {
  OpTester(OpType::LeakyRelu).input({3, 31}, -2, 2).output({3, 31}).attr("alpha", 0.2f).tolerance(1e-6).test();
  OpTester(OpType::Elu).input({3, 31}, -2, 2).output({3, 31}).attr("alpha", 0.5f).tolerance(1e-6).test();
}

TEST(DnnlEltwise, Clip) {
  OpTester(OpType::Clip).input({2, 17}, -8, 8).constant_values({}, {0.f}).constant_values({}, {6.f})
      .output({2, 17}).tolerance(0).describe("relu6").test();
  OpTester(OpType::Clip).input({2, 17}, -2, 2).constant_values({}, {-0.5f}).output({2, 17}).tolerance(0)
      .describe("min only").test();
  OpTester(OpType::Clip).input({2, 17}, -2, 2).absent_input().constant_values({}, {0.5f}).output({2, 17})
      .tolerance(0).describe("max only").test();
  OpTester(OpType::Clip).input({2, 17}, -2, 2).input({}).output({2, 17}).describe("runtime min")
      .expect_unsupported();
}

TEST(DnnlEltwise, NoExactPrimitive) {
  for (OpType op : {OpType::HardSigmoid, OpType::Erf, OpType::Softplus, OpType::Neg})
    OpTester(op).input({2, 3}).output({2, 3}).describe(op_name(op)).expect_unsupported();
}

TEST(DnnlBinary, Broadcasting) {
  struct Case { Shape a, b; };
  for (OpType op : {OpType::Add, OpType::Sub, OpType::Mul, OpType::Div, OpType::Max, OpType::Min})
    for (const Case& c : {Case{{2, 3, 5}, {2, 3, 5}}, Case{{2, 3, 5}, {5}}, Case{{1, 64, 7, 7}, {1, 64, 1, 1}},
                          Case{{2, 13, 3}, {13, 1}}, Case{{7}, {}}, Case{{2, 3, 5}, {1, 1, 1}}})
      OpTester(op).input(c.a).input(c.b, 0.5f, 2.f).output(c.a).tolerance(1e-6)
          .describe(shape_list(c.a) + " op " + shape_list(c.b)).test();
}

TEST(DnnlBinary, SmallFirstOperand) {
  // Commutative ops swap the operands; Sub / Div cannot and fall back.
  OpTester(OpType::Add).input({5}).input({2, 3, 5}).output({2, 3, 5}).tolerance(1e-6).test();
  OpTester(OpType::Mul).input({3, 1}).constant({2, 3, 5}).output({2, 3, 5}).tolerance(1e-6).test();
  OpTester(OpType::Sub).input({5}).input({2, 3, 5}).output({2, 3, 5}).describe("sub").expect_unsupported();
  OpTester(OpType::Add).input({3, 1}).input({1, 5}).output({3, 5}).describe("both broadcast").expect_unsupported();
}

}  // namespace
}  // namespace deepshark::testing
