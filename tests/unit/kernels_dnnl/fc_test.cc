// Gemm and MatMul against the reference: constant weights (inner product, plain and oneDNN's
// layout), runtime weights (matmul), alpha / beta / C, batched broadcasting.
#include <iostream>

#include "kernels/dnnl/dnnl_kernels.h"
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

TEST(DnnlGemm, SweepConstantWeights) {
  for (bool plain : {true, false})
    for (bool trans_b : {false, true})
      for (int64_t m : {1, 3})
        for (int64_t k : {1, 7, 64})
          for (int64_t n : {1, 13, 100})
            GemmTester().m(m).k(k).n(n).trans_b(trans_b).bias(n != 13).plain_weights(plain).test();
}

TEST(DnnlGemm, AlphaBeta) {
  GemmTester().m(2).k(31).n(17).alpha(0.5f).test();
  GemmTester().m(2).k(31).n(17).alpha(0.5f).constant_b(false).test();
  GemmTester().m(2).k(31).n(17).beta(2.5f).bias(true).trans_b(true).test();
  GemmTester().m(1).k(31).n(17).beta(0.25f).bias(true).plain_weights(false).test();
  GemmTester().m(1).k(31).n(17).beta(0.f).bias(true).test();
}

TEST(DnnlGemm, RuntimeB) {
  GemmTester().m(3).k(17).n(5).constant_b(false).test();
  GemmTester().m(3).k(17).n(5).constant_b(false).trans_b(true).bias(true).test();
}

TEST(DnnlGemm, PlainWeightsUseThePlainLayout) {
  for (bool plain : {true, false}) {
    Graph g;
    ValueId x = g.add_value("x", DType::F32, {1, 64}, true);
    Tensor w = Tensor::create(DType::F32, {100, 64}).value();
    fill_uniform(w.view(), 3);
    ValueId wid = g.add_constant("w", std::move(w));
    ValueId y = g.add_value("y", DType::F32, {1, 100}, true);
    Node& n = g.add_node(OpType::Gemm, "fc", {x, wid}, {y});
    n.attrs.set_int("transB", 1);
    KernelConfig cfg;
    EXPECT_TRUE(cfg.plain_fc_weights);  // the default
    cfg.plain_fc_weights = plain;
    auto k = dnnl_backend::make_kernel(g, g.nodes[0], cfg);
    ASSERT_TRUE(k.ok()) << k.status().to_string();
    ASSERT_EQ(k.value()->weight_count(), 1);
    EXPECT_EQ(k.value()->weight_input(0), 1);
    // Plain is exactly the matrix; oneDNN's own layout may pad the outputs to its block.
    if (plain) {
      EXPECT_EQ(k.value()->weight_bytes(0), 100u * 64u * 4u);
    } else {
      EXPECT_GE(k.value()->weight_bytes(0), 100u * 64u * 4u);
    }
    const std::string layout = k.value()->weight_layout(0);
    std::cout << (plain ? "plain: " : "any:   ") << k.value()->name() << " " << layout << "\n";
    if (plain) { EXPECT_NE(layout.find("strides=[64,1];inner_blks=[]"), std::string::npos) << layout; }
  }
}

TEST(DnnlGemm, UnsupportedForms) {
  OpTester(OpType::Gemm).input({4, 3}).constant({4, 5}).output({3, 5}).attr("transA", int64_t{1})
      .describe("transA").expect_unsupported();
  OpTester(OpType::Gemm).input({2, 3}).constant({3, 5}).constant({2, 5}).output({2, 5})
      .describe("full C").expect_unsupported();
  OpTester(OpType::Gemm).input({2, 3}).constant({3, 5}).constant({5}).output({2, 5}).attr("alpha", 0.5f)
      .describe("alpha with C").expect_unsupported();
}

TEST(DnnlMatMul, ConstantWeights) {
  for (const Shape& a : {Shape{1, 7}, Shape{5, 64}, Shape{2, 3, 13}, Shape{2, 1, 4, 13}}) {
    const int64_t k = a.back();
    for (int64_t n : {1, 17}) {
      Shape y = a;
      y.back() = n;
      OpTester(OpType::MatMul).input(a).constant({k, n}).output(y).tolerance(1e-4)
          .describe("A=" + shape_list(a) + " n=" + std::to_string(n)).test();
    }
  }
}

TEST(DnnlMatMul, RuntimeBBroadcast) {
  struct Case { Shape a, b, y; };
  for (const Case& c : {Case{{3, 5}, {5, 7}, {3, 7}}, Case{{2, 3, 5}, {2, 5, 7}, {2, 3, 7}},
                        Case{{2, 3, 5}, {5, 7}, {2, 3, 7}}, Case{{3, 5}, {4, 5, 2}, {4, 3, 2}},
                        Case{{2, 1, 3, 5}, {1, 4, 5, 6}, {2, 4, 3, 6}}, Case{{5}, {5, 7}, {7}},
                        Case{{3, 5}, {5}, {3}}}) {
    OpTester(OpType::MatMul).input(c.a).input(c.b).output(c.y).tolerance(1e-4)
        .describe("A=" + shape_list(c.a) + " B=" + shape_list(c.b)).test();
  }
}

}  // namespace
}  // namespace deepshark::testing
