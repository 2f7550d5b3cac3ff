// Attributes of the graph fusion pass as oneDNN post-ops (ds.activation, ds.residual on Conv;
// activation on Gemm / MatMul; MatMul's bias input), against the reference kernels, which apply
// the same epilogue.
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

struct Act {
  std::string name;
  float alpha, beta;
  bool has_params;
};

const std::vector<Act>& activations() {
  static const std::vector<Act> a = {{"Relu", 0, 0, false},        {"LeakyRelu", 0.1f, 0, true},
                                     {"Clip", 0.f, 6.f, true},      {"Clip", -0.5f, 0.5f, true},
                                     {"Sigmoid", 0, 0, false},      {"Tanh", 0, 0, false},
                                     {"HardSwish", 0, 0, false},    {"HardSigmoid", 0.2f, 0.5f, true},
                                     {"Gelu", 0, 0, false},         {"GeluTanh", 0, 0, false}};
  return a;
}

void set_act(OpTester& t, const Act& a) {
  t.attr("ds.activation", a.name);
  if (a.has_params) t.attr("ds.alpha", a.alpha).attr("ds.beta", a.beta);
}

TEST(DnnlFused, ConvActivationResidualLayouts) {
  for (const Act& a : activations())
    for (bool residual : {false, true})
      for (bool bias : {false, true})
        for (ActLayout l : {ActLayout::Plain, ActLayout::Blocked}) {
          OpTester t(OpType::Conv);
          t.input({1, 16, 8, 8}, -2, 2).constant({32, 16, 3, 3}, -0.3f, 0.3f);
          if (bias) t.constant({32}); else t.absent_input();
          if (residual) t.input({1, 32, 8, 8}, -2, 2).attr("ds.residual", int64_t{1});
          t.output({1, 32, 8, 8}).attr("kernel_shape", std::vector<int64_t>{3, 3})
              .attr("pads", std::vector<int64_t>{1, 1, 1, 1});
          set_act(t, a);
          KernelConfig c;
          c.input_layouts = {l, ActLayout::Plain, ActLayout::Plain, l};
          c.output_layouts = {l};
          t.config(c).tolerance(2e-5).describe(a.name + " residual=" + std::to_string(residual) +
                                               " bias=" + std::to_string(bias) + " blocked=" + std::to_string(int(l)));
          t.test();
        }
}

TEST(DnnlFused, Conv1x1PlainResidual) {
  OpTester(OpType::Conv).input({1, 24, 7, 7}).constant({40, 24, 1, 1}).constant({40}).input({1, 40, 7, 7})
      .output({1, 40, 7, 7}).attr("ds.residual", int64_t{1}).attr("ds.activation", std::string("Relu"))
      .tolerance(1e-5).test();
}

TEST(DnnlFused, GemmAndMatMulActivation) {
  for (const Act& a : activations()) {
    for (bool plain : {true, false}) {
      OpTester t(OpType::Gemm);
      KernelConfig c;
      c.plain_fc_weights = plain;
      t.input({4, 33}).constant({33, 20}).constant({20}).output({4, 20}).config(c);
      set_act(t, a);
      t.tolerance(1e-5).describe(a.name).test();
    }
    OpTester m(OpType::MatMul);
    m.input({2, 3, 33}).constant({33, 20}).constant({20}).output({2, 3, 20});
    set_act(m, a);
    m.tolerance(1e-5).describe("matmul " + a.name).test();
  }
}

TEST(DnnlFused, MatMulBias) {
  OpTester(OpType::MatMul).input({2, 5, 16}).constant({16, 9}).constant({9}).output({2, 5, 9}).tolerance(1e-5).test();
  // Runtime B: matmul primitive with a broadcast bias.
  OpTester(OpType::MatMul).input({2, 5, 16}).input({2, 16, 9}).constant({9}).output({2, 5, 9}).tolerance(1e-5).test();
  OpTester(OpType::MatMul).input({2, 5, 16}).constant({16, 9}).constant({5}).output({2, 5, 9})
      .describe("bias of the wrong length").expect_unsupported();
}

TEST(DnnlFused, Refusals) {
  OpTester(OpType::Conv).input({1, 4, 5, 5}).constant({4, 4, 1, 1}).output({1, 4, 5, 5})
      .attr("ds.activation", std::string("Swish")).describe("unknown activation").expect_unsupported();
  OpTester(OpType::Conv).input({1, 4, 5, 5}).constant({4, 4, 1, 1}).absent_input().input({1, 4, 4, 4})
      .output({1, 4, 5, 5}).attr("ds.residual", int64_t{1}).describe("residual shape").expect_unsupported();
}

}  // namespace
}  // namespace deepshark::testing
