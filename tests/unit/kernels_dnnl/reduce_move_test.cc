// Pow with a constant exponent, Gelu, ReduceMean / ReduceSum / ReduceMax and Transpose against
// the reference.
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

TEST(DnnlPow, ConstantExponent) {
  for (float p : {2.f, 3.f, 0.5f, 1.f, -1.f})
    OpTester(OpType::Pow).input({2, 7, 33}, 0.1f, 3.f).constant_values({}, {p}).output({2, 7, 33})
        .tolerance(p == 2.f || p == 1.f ? 0 : 2e-6).describe("p=" + std::to_string(p)).test();
  OpTester(OpType::Pow).input({2, 3}).input({}).output({2, 3}).describe("runtime exponent").expect_unsupported();
  OpTester(OpType::Pow).input({2, 3}).constant({3}).output({2, 3}).describe("vector exponent").expect_unsupported();
}

TEST(DnnlGelu, BothForms) {
  for (const char* approx : {"none", "tanh"})
    OpTester(OpType::Gelu).input({3, 128}, -5, 5).output({3, 128}).attr("approximate", std::string(approx))
        .tolerance(2e-6).describe(approx).test();
  OpTester(OpType::Gelu).input({3}).output({3}).attr("approximate", std::string("cubic")).expect_unsupported();
}

TEST(DnnlReduce, TrailingAndOtherAxes) {
  struct Case { Shape x; std::vector<int64_t> axes; int64_t keep; Shape y; };
  for (OpType op : {OpType::ReduceMean, OpType::ReduceMax})
    for (const Case& c : {Case{{2, 128, 768}, {-1}, 1, {2, 128, 1}}, Case{{2, 128, 768}, {2}, 0, {2, 128}},
                          Case{{1, 32, 7, 7}, {2, 3}, 1, {1, 32, 1, 1}}, Case{{4, 5, 6}, {0}, 1, {1, 5, 6}},
                          Case{{4, 5}, {}, 0, {}}})
      OpTester(op).input(c.x).output(c.y).attr("axes", c.axes).attr("keepdims", c.keep).tolerance(1e-6)
          .describe(shape_list(c.x) + " -> " + shape_list(c.y)).test();
  // ReduceSum (opset 13): axes as a constant input.
  OpTester(OpType::ReduceSum).input({3, 64}).constant_i64({1}, {-1}).output({3, 1}).tolerance(1e-6).test();
  OpTester(OpType::ReduceSum).input({2, 3, 64}).constant_i64({2}, {0, 2}).output({1, 3, 1}).tolerance(1e-6).test();
  OpTester(OpType::ReduceMin).input({3, 64}).output({3, 1}).attr("axes", std::vector<int64_t>{1})
      .describe("ReduceMin").expect_unsupported();
}

TEST(DnnlTranspose, Permutations) {
  struct Case { Shape x; std::vector<int64_t> perm; Shape y; };
  for (const Case& c : {Case{{2, 128, 12, 64}, {0, 2, 1, 3}, {2, 12, 128, 64}},
                        Case{{1, 12, 128, 64}, {0, 1, 3, 2}, {1, 12, 64, 128}}, Case{{3, 5}, {}, {5, 3}},
                        Case{{2, 3, 4}, {2, 0, 1}, {4, 2, 3}}})
    OpTester(OpType::Transpose).input(c.x).output(c.y).attr("perm", c.perm).tolerance(0)
        .describe(shape_list(c.x)).test();
}

}  // namespace
}  // namespace deepshark::testing
