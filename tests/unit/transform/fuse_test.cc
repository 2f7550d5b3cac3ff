// fuse_graph: each fusion on a small hand-built graph (node counts and attributes after), the
// fused graph computing the same numbers as the unfused one through the reference kernels, and
// the cases that must stay unfused.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "graph/graph.h"
#include "kernels/ref/ref_kernels.h"
#include "support/test_support.h"
#include "transform/fuse.h"
#include "transform/prepare.h"

namespace deepshark {
namespace {

using testing::fill_uniform;

Tensor random_tensor(Shape s, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  Tensor t = std::move(Tensor::create(DType::F32, std::move(s))).value();
  fill_uniform(t.view(), seed, lo, hi);
  return t;
}

Tensor scalar(float v) { return Tensor::from_values<float>({}, {v}); }

// Runs every node with the reference kernels; returns the graph outputs.
std::vector<Tensor> evaluate(const Graph& g, const std::map<std::string, Tensor>& inputs) {
  std::vector<std::optional<Tensor>> vals(g.values.size());
  for (ValueId id : g.inputs) vals[id] = inputs.at(g.value(id).name);
  for (size_t i = 0; i < g.values.size(); ++i) {
    if (g.values[i].is_constant()) vals[i] = *g.values[i].constant;
  }
  for (const Node& n : g.nodes) {
    std::vector<TensorView> in, out;
    for (ValueId v : n.inputs) in.push_back(v == kNoValue ? TensorView{} : vals[v]->view());
    for (ValueId v : n.outputs) {
      vals[v] = std::move(Tensor::create(g.value(v).dtype, g.value(v).shape)).value();
      out.push_back(vals[v]->view());
    }
    Status s = ref::run_node(g, n, in, out);
    EXPECT_TRUE(s.ok()) << n.name << ": " << s.to_string();
  }
  std::vector<Tensor> r;
  for (ValueId o : g.outputs) r.push_back(*vals[o]);
  return r;
}

int count(const Graph& g, OpType op) {
  int k = 0;
  for (const Node& n : g.nodes) k += n.op == op;
  return k;
}

const Node& only(const Graph& g, OpType op) {
  for (const Node& n : g.nodes) {
    if (n.op == op) return n;
  }
  ADD_FAILURE() << "no " << op_name(op) << " node";
  return g.nodes.front();
}

struct Fused {
  Graph unfused, fused;
  FuseReport report;
};

// Prepares two copies of `g` (without and with fusion), checks both verify, and compares their
// outputs on seeded random inputs within 1e-5 relative.
Fused prepare_and_compare(const Graph& g) {
  Fused f{g, g, {}};
  PrepareOptions off;
  off.fuse = false;
  Status s = prepare_graph(f.unfused, off);
  EXPECT_TRUE(s.ok()) << s.to_string();
  PrepareOptions on;
  on.fuse_report = &f.report;
  s = prepare_graph(f.fused, on);
  EXPECT_TRUE(s.ok()) << s.to_string();
  EXPECT_TRUE(f.fused.verify().ok());
  if (!s.ok()) return f;
  std::map<std::string, Tensor> inputs;
  uint32_t seed = 7;
  for (ValueId id : f.unfused.inputs) inputs[f.unfused.value(id).name] = random_tensor(f.unfused.value(id).shape, seed++, -2.f, 2.f);
  std::vector<Tensor> a = evaluate(f.unfused, inputs), b = evaluate(f.fused, inputs);
  EXPECT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    EXPECT_EQ(a[i].shape(), b[i].shape());
    if (a[i].shape() != b[i].shape()) continue;
    double tol = 1e-5 * std::max(1.0, testing::max_abs(a[i].view()));
    EXPECT_LE(testing::max_abs_diff(a[i].view(), b[i].view()), tol) << "output " << i;
  }
  return f;
}

// ---- graph builders -----------------------------------------------------------------------

struct Builder {
  Graph g;
  uint32_t seed = 100;
  ValueId input(const std::string& name, Shape s) {
    ValueId v = g.add_value(name, DType::F32, std::move(s), true);
    g.inputs.push_back(v);
    return v;
  }
  ValueId weight(const std::string& name, Shape s, float lo = -0.5f, float hi = 0.5f) {
    return g.add_constant(name, random_tensor(std::move(s), seed++, lo, hi));
  }
  ValueId konst(const std::string& name, Tensor t) { return g.add_constant(name, std::move(t)); }
  ValueId node(OpType op, const std::string& name, std::vector<ValueId> in, Attributes at = {}) {
    ValueId y = g.add_value(name + "_out");
    g.add_node(op, name, std::move(in), {y}).attrs = std::move(at);
    return y;
  }
  // Conv 3x3 pad 1 from c_in to c_out channels.
  ValueId conv(const std::string& name, ValueId x, int64_t c_in, int64_t c_out, bool bias = true) {
    Attributes at;
    at.set_ints("pads", {1, 1, 1, 1});
    std::vector<ValueId> in{x, weight(name + ".w", {c_out, c_in, 3, 3})};
    if (bias) in.push_back(weight(name + ".b", {c_out}));
    return node(OpType::Conv, name, in, at);
  }
  void output(ValueId v) { g.outputs.push_back(v); }
};

// ---- 1. activations ------------------------------------------------------------------------

struct ActCase {
  OpType op;
  const char* fused_name;
};

class ActivationFusion : public ::testing::TestWithParam<ActCase> {};

ValueId add_activation(Builder& b, OpType op, ValueId x) {
  Attributes at;
  if (op == OpType::LeakyRelu) at.set_float("alpha", 0.1f);
  if (op == OpType::HardSigmoid) {
    at.set_float("alpha", 0.3f);
    at.set_float("beta", 0.4f);
  }
  if (op == OpType::Clip) return b.node(op, "act", {x, b.konst("lo", scalar(-0.2f)), b.konst("hi", scalar(0.5f))});
  return b.node(op, "act", {x}, at);
}

TEST_P(ActivationFusion, ConvGemmMatMulConvTranspose) {
  const ActCase p = GetParam();
  for (OpType producer : {OpType::Conv, OpType::ConvTranspose, OpType::Gemm, OpType::MatMul}) {
    SCOPED_TRACE(op_name(producer));
    Builder b;
    ValueId y;
    if (producer == OpType::Conv) {
      y = b.conv("mm", b.input("x", {1, 3, 7, 7}), 3, 4);
    } else if (producer == OpType::ConvTranspose) {
      Attributes at;
      at.set_ints("strides", {2, 2});
      y = b.node(producer, "mm", {b.input("x", {1, 3, 5, 5}), b.weight("w", {3, 2, 3, 3}), b.weight("bias", {2})}, at);
    } else if (producer == OpType::Gemm) {
      Attributes at;
      at.set_int("transB", 1);
      y = b.node(producer, "mm", {b.input("x", {3, 6}), b.weight("w", {5, 6}), b.weight("c", {5})}, at);
    } else {
      y = b.node(producer, "mm", {b.input("x", {2, 3, 6}), b.weight("w", {6, 5})});
    }
    b.output(add_activation(b, p.op, y));
    Fused f = prepare_and_compare(b.g);
    ASSERT_EQ(f.fused.nodes.size(), 1u);
    const Node& n = f.fused.nodes[0];
    EXPECT_EQ(n.op, producer);
    EXPECT_EQ(n.name, "mm");
    EXPECT_EQ(n.attrs.get_string("ds.activation", ""), p.fused_name);
    EXPECT_EQ(n.outputs[0], b.g.outputs[0]);
    EXPECT_EQ(f.report.activation, 1);
    EXPECT_EQ(f.report.total(), 1);
    if (p.op == OpType::LeakyRelu) {
      EXPECT_FLOAT_EQ(n.attrs.get_float("ds.alpha", 0), 0.1f);
    }
    if (p.op == OpType::Clip) {
      EXPECT_FLOAT_EQ(n.attrs.get_float("ds.alpha", 0), -0.2f);
      EXPECT_FLOAT_EQ(n.attrs.get_float("ds.beta", 0), 0.5f);
    }
    if (p.op == OpType::HardSigmoid) {
      EXPECT_FLOAT_EQ(n.attrs.get_float("ds.alpha", 0), 0.3f);
      EXPECT_FLOAT_EQ(n.attrs.get_float("ds.beta", 0), 0.4f);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Ops, ActivationFusion,
                         ::testing::Values(ActCase{OpType::Relu, "Relu"}, ActCase{OpType::LeakyRelu, "LeakyRelu"},
                                           ActCase{OpType::Clip, "Clip"}, ActCase{OpType::Sigmoid, "Sigmoid"},
                                           ActCase{OpType::Tanh, "Tanh"}, ActCase{OpType::HardSwish, "HardSwish"},
                                           ActCase{OpType::HardSigmoid, "HardSigmoid"}, ActCase{OpType::Gelu, "Gelu"}),
                         [](const auto& info) { return std::string(op_name(info.param.op)); });

TEST(Fuse, GeluTanhAndClipWithoutMax) {
  Builder b;
  Attributes at;
  at.set_string("approximate", "tanh");
  ValueId y = b.node(OpType::Gelu, "gelu", {b.node(OpType::MatMul, "mm", {b.input("x", {4, 6}), b.weight("w", {6, 3})})}, at);
  ValueId z = b.node(OpType::Clip, "clip", {b.conv("conv", b.input("x2", {1, 2, 4, 4}), 2, 2), b.konst("lo", scalar(0.f))});
  b.output(y);
  b.output(z);
  Fused f = prepare_and_compare(b.g);
  ASSERT_EQ(f.fused.nodes.size(), 2u);
  EXPECT_EQ(only(f.fused, OpType::MatMul).attrs.get_string("ds.activation", ""), "GeluTanh");
  const Node& conv = only(f.fused, OpType::Conv);
  EXPECT_EQ(conv.attrs.get_string("ds.activation", ""), "Clip");
  EXPECT_EQ(conv.attrs.get_float("ds.alpha", 1), 0.f);
  EXPECT_TRUE(std::isinf(conv.attrs.get_float("ds.beta", 0)));
}

// ---- 2. residual ---------------------------------------------------------------------------

TEST(Fuse, ConvAddReluBecomesOneConv) {
  Builder b;
  ValueId x = b.input("x", {1, 4, 5, 5});
  ValueId c = b.conv("conv", x, 4, 4);
  b.output(b.node(OpType::Relu, "relu", {b.node(OpType::Add, "add", {c, x})}));
  Fused f = prepare_and_compare(b.g);
  ASSERT_EQ(f.fused.nodes.size(), 1u);
  const Node& n = f.fused.nodes[0];
  EXPECT_EQ(n.op, OpType::Conv);
  EXPECT_EQ(n.attrs.get_int("ds.residual", 0), 1);
  EXPECT_EQ(n.attrs.get_string("ds.activation", ""), "Relu");
  ASSERT_EQ(n.inputs.size(), 4u);
  EXPECT_EQ(n.inputs[3], x);
  EXPECT_EQ(f.report.residual, 1);
  EXPECT_EQ(f.report.activation, 1);
}

TEST(Fuse, ResidualWithoutBiasAndProducedLater) {
  // Add(conv_a(x), conv_b(x)): conv_b comes after conv_a, so the fused conv_a must move to the
  // Add's slot to read conv_b's output. Neither conv has a bias.
  Builder b;
  ValueId x = b.input("x", {1, 3, 6, 6});
  ValueId a = b.conv("conv_a", x, 3, 5, false);
  ValueId r = b.conv("conv_b", x, 3, 5, false);
  b.output(b.node(OpType::Add, "add", {r, a}));
  Fused f = prepare_and_compare(b.g);
  ASSERT_EQ(f.fused.nodes.size(), 2u);
  EXPECT_EQ(f.fused.nodes[0].name, "conv_b");
  const Node& n = f.fused.nodes[1];
  EXPECT_EQ(n.name, "conv_a");
  ASSERT_EQ(n.inputs.size(), 4u);
  EXPECT_EQ(n.inputs[2], kNoValue);
  EXPECT_EQ(n.inputs[3], r);
  EXPECT_EQ(f.report.residual, 1);
}

TEST(Fuse, ResidualNeedsSameShapeRuntimeTensor) {
  Builder b;
  ValueId x = b.input("x", {1, 4, 5, 5});
  ValueId ch = b.input("per_channel", {1, 4, 1, 1});  // broadcasts: not a residual
  b.output(b.node(OpType::Add, "add", {b.conv("conv", x, 4, 4), ch}));
  ValueId y = b.conv("conv2", x, 4, 4);
  b.output(b.node(OpType::Add, "add2", {y, b.weight("const", {1, 4, 5, 5})}));  // constant: not a residual
  Fused f = prepare_and_compare(b.g);
  EXPECT_EQ(count(f.fused, OpType::Add), 2);
  EXPECT_EQ(f.report.residual, 0);
}

// ---- 3. MatMul bias ------------------------------------------------------------------------

TEST(Fuse, MatMulAddBecomesBias) {
  for (Shape bias_shape : {Shape{5}, Shape{1, 1, 5}}) {
    for (bool bias_first : {false, true}) {
      Builder b;
      ValueId mm = b.node(OpType::MatMul, "fc", {b.input("x", {2, 3, 8}), b.weight("w", {8, 5})});
      ValueId c = b.weight("bias", bias_shape);
      b.output(b.node(OpType::Add, "add", bias_first ? std::vector<ValueId>{c, mm} : std::vector<ValueId>{mm, c}));
      Fused f = prepare_and_compare(b.g);
      ASSERT_EQ(f.fused.nodes.size(), 1u);
      const Node& n = f.fused.nodes[0];
      ASSERT_EQ(n.inputs.size(), 3u);
      EXPECT_EQ(f.fused.value(n.inputs[2]).shape, Shape{5});
      EXPECT_EQ(f.report.matmul_bias, 1);
    }
  }
}

TEST(Fuse, MatMulBiasNotAlongLastAxisStays) {
  Builder b;
  ValueId mm = b.node(OpType::MatMul, "fc", {b.input("x", {2, 3, 8}), b.weight("w", {8, 5})});
  b.output(b.node(OpType::Add, "add", {mm, b.weight("bias", {3, 1})}));
  ValueId mm2 = b.node(OpType::MatMul, "fc2", {b.input("x2", {3, 8}), b.input("w2", {8, 5})});  // runtime B
  b.output(b.node(OpType::Add, "add2", {mm2, b.weight("bias2", {5})}));
  Fused f = prepare_and_compare(b.g);
  EXPECT_EQ(count(f.fused, OpType::Add), 2);
  EXPECT_EQ(f.report.matmul_bias, 0);
}

// ---- 4. GELU -------------------------------------------------------------------------------

enum class GeluForm { XTimesPThenHalf, HalfXFirst, PHalfThenX, MulBySqrtHalf, Swapped };

// MatMul -> Add(bias) -> erf GELU in the given form.
Graph gelu_graph(GeluForm form, float sqrt2 = 1.4142135f) {
  Builder b;
  ValueId h = b.node(OpType::Add, "fc_add", {b.node(OpType::MatMul, "fc", {b.input("x", {2, 4, 6}), b.weight("w", {6, 7})}),
                                             b.weight("bias", {7})});
  ValueId t = form == GeluForm::MulBySqrtHalf ? b.node(OpType::Mul, "scale", {b.konst("rs2", scalar(0.70710678f)), h})
                                              : b.node(OpType::Div, "scale", {h, b.konst("s2", scalar(sqrt2))});
  ValueId e = b.node(OpType::Erf, "erf", {t});
  ValueId one = b.konst("one", scalar(1.f)), half = b.konst("half", scalar(0.5f));
  ValueId p = form == GeluForm::Swapped ? b.node(OpType::Add, "plus1", {one, e}) : b.node(OpType::Add, "plus1", {e, one});
  ValueId y;
  switch (form) {
    case GeluForm::HalfXFirst:
      y = b.node(OpType::Mul, "m2", {b.node(OpType::Mul, "m1", {h, half}), p});
      break;
    case GeluForm::PHalfThenX:
      y = b.node(OpType::Mul, "m2", {h, b.node(OpType::Mul, "m1", {p, half})});
      break;
    case GeluForm::Swapped:
      y = b.node(OpType::Mul, "m2", {half, b.node(OpType::Mul, "m1", {p, h})});
      break;
    default:
      y = b.node(OpType::Mul, "m2", {b.node(OpType::Mul, "m1", {h, p}), half});
  }
  b.output(y);
  return std::move(b.g);
}

TEST(Fuse, GeluPatternsBecomeMatMulWithGelu) {
  for (GeluForm form : {GeluForm::XTimesPThenHalf, GeluForm::HalfXFirst, GeluForm::PHalfThenX, GeluForm::MulBySqrtHalf,
                        GeluForm::Swapped}) {
    SCOPED_TRACE(static_cast<int>(form));
    Fused f = prepare_and_compare(gelu_graph(form));
    ASSERT_EQ(f.fused.nodes.size(), 1u);
    const Node& n = f.fused.nodes[0];
    EXPECT_EQ(n.op, OpType::MatMul);
    EXPECT_EQ(n.inputs.size(), 3u);
    EXPECT_EQ(n.attrs.get_string("ds.activation", ""), "Gelu");
    EXPECT_EQ(f.report.gelu, 1);
    EXPECT_EQ(f.report.matmul_bias, 1);
    EXPECT_EQ(f.report.activation, 1);
  }
}

TEST(Fuse, GeluWithWrongConstantStays) {
  Fused f = prepare_and_compare(gelu_graph(GeluForm::XTimesPThenHalf, 1.5f));
  EXPECT_EQ(count(f.fused, OpType::Erf), 1);
  EXPECT_EQ(count(f.fused, OpType::Gelu), 0);
  EXPECT_EQ(f.report.gelu, 0);
  Fused g = prepare_and_compare(gelu_graph(GeluForm::XTimesPThenHalf, 1.4142165f));  // off by 2e-6 relative
  EXPECT_EQ(g.report.gelu, 0);
}

TEST(Fuse, GeluWithErfReadTwiceStays) {
  Graph g = gelu_graph(GeluForm::XTimesPThenHalf);
  g.outputs.push_back(g.find_value("erf_out"));
  Fused f = prepare_and_compare(g);
  EXPECT_EQ(f.report.gelu, 0);
  EXPECT_EQ(count(f.fused, OpType::Erf), 1);
}

// ---- 5. LayerNorm --------------------------------------------------------------------------

Graph layer_norm_graph(bool axes_as_input, int64_t axis = -1, Shape gamma_shape = {8}) {
  Builder b;
  ValueId x = b.input("x", {2, 3, 8});
  auto mean = [&](const std::string& name, ValueId v) {
    Attributes at;
    if (axes_as_input) return b.node(OpType::ReduceMean, name, {v, b.konst(name + ".axes", Tensor::from_values<int64_t>({1}, {axis}))});
    at.set_ints("axes", {axis});
    return b.node(OpType::ReduceMean, name, {v}, at);
  };
  ValueId d = b.node(OpType::Sub, "sub", {x, mean("mean", x)});
  ValueId v = mean("var", b.node(OpType::Pow, "pow", {d, b.konst("two", scalar(2.f))}));
  ValueId s = b.node(OpType::Sqrt, "sqrt", {b.node(OpType::Add, "add_eps", {v, b.konst("eps", scalar(1e-5f))})});
  ValueId n = b.node(OpType::Div, "div", {d, s});
  ValueId y = b.node(OpType::Add, "add_beta", {b.node(OpType::Mul, "mul", {n, b.weight("gamma", gamma_shape, 0.5f, 1.5f)}),
                                              b.weight("beta", gamma_shape)});
  b.output(y);
  return std::move(b.g);
}

TEST(Fuse, DecomposedLayerNormBecomesOneNode) {
  for (bool axes_as_input : {true, false}) {
    for (Shape gs : {Shape{8}, Shape{1, 1, 8}}) {
      Fused f = prepare_and_compare(layer_norm_graph(axes_as_input, -1, gs));
      ASSERT_EQ(f.fused.nodes.size(), 1u);
      const Node& n = f.fused.nodes[0];
      EXPECT_EQ(n.op, OpType::LayerNormalization);
      EXPECT_EQ(n.attrs.get_int("axis", 0), -1);
      EXPECT_FLOAT_EQ(n.attrs.get_float("epsilon", 0), 1e-5f);
      ASSERT_EQ(n.inputs.size(), 3u);
      EXPECT_EQ(f.fused.value(n.inputs[1]).shape, Shape{8});
      EXPECT_EQ(f.report.layer_norm, 1);
    }
  }
  Fused last = prepare_and_compare(layer_norm_graph(true, 2));  // axis 2 == last of rank 3
  EXPECT_EQ(last.report.layer_norm, 1);
}

TEST(Fuse, LayerNormOverOtherAxisStays) {
  Fused f = prepare_and_compare(layer_norm_graph(true, 1, {3, 1}));
  EXPECT_EQ(f.report.layer_norm, 0);
  EXPECT_EQ(count(f.fused, OpType::ReduceMean), 2);
}

// ---- 6. BatchNormalization -----------------------------------------------------------------

TEST(Fuse, BatchNormFoldsIntoConvThenRelu) {
  for (bool bias : {true, false}) {
    Builder b;
    ValueId c = b.conv("conv", b.input("x", {1, 3, 6, 6}), 3, 4, bias);
    Attributes at;
    at.set_float("epsilon", 1e-3f);
    ValueId bn = b.node(OpType::BatchNormalization, "bn",
                        {c, b.weight("scale", {4}, 0.5f, 2.f), b.weight("shift", {4}), b.weight("mean", {4}),
                         b.weight("var", {4}, 0.1f, 2.f)}, at);
    b.output(b.node(OpType::Relu, "relu", {bn}));
    Fused f = prepare_and_compare(b.g);
    ASSERT_EQ(f.fused.nodes.size(), 1u);
    const Node& n = f.fused.nodes[0];
    EXPECT_EQ(n.op, OpType::Conv);
    EXPECT_EQ(n.attrs.get_string("ds.activation", ""), "Relu");
    ASSERT_EQ(n.inputs.size(), 3u);
    EXPECT_TRUE(f.fused.value(n.inputs[2]).is_constant());
    EXPECT_EQ(f.report.batch_norm, 1);
    EXPECT_EQ(f.report.to_string(), "fused 1 batch_norm, 0 gelu, 0 layer_norm, 0 matmul_bias, 0 residual, 1 activation");
  }
}

// ---- negative cases ------------------------------------------------------------------------

TEST(Fuse, IntermediateWithTwoConsumersStays) {
  Builder b;
  ValueId c = b.conv("conv", b.input("x", {1, 2, 4, 4}), 2, 2);
  b.output(b.node(OpType::Relu, "relu", {c}));
  b.output(b.node(OpType::Sigmoid, "sig", {c}));
  Fused f = prepare_and_compare(b.g);
  EXPECT_EQ(f.fused.nodes.size(), 3u);
  EXPECT_EQ(f.report.total(), 0);
  EXPECT_FALSE(only(f.fused, OpType::Conv).attrs.has("ds.activation"));
}

TEST(Fuse, IntermediateThatIsAGraphOutputStays) {
  Builder b;
  ValueId c = b.conv("conv", b.input("x", {1, 2, 4, 4}), 2, 2);
  b.output(b.node(OpType::Relu, "relu", {c}));
  b.output(c);
  Fused f = prepare_and_compare(b.g);
  EXPECT_EQ(f.fused.nodes.size(), 2u);
  EXPECT_EQ(f.report.total(), 0);
}

TEST(Fuse, ClipWithRuntimeBoundStays) {
  Builder b;
  ValueId c = b.conv("conv", b.input("x", {1, 2, 4, 4}), 2, 2);
  ValueId lo = b.input("lo", {});
  b.output(b.node(OpType::Clip, "clip", {c, lo, b.konst("hi", scalar(6.f))}));
  Fused f = prepare_and_compare(b.g);
  EXPECT_EQ(f.fused.nodes.size(), 2u);
  EXPECT_EQ(f.report.activation, 0);
}

TEST(Fuse, BatchNormAfterConvWithTwoConsumersStays) {
  Builder b;
  ValueId c = b.conv("conv", b.input("x", {1, 2, 4, 4}), 2, 2);
  b.output(b.node(OpType::BatchNormalization, "bn",
                  {c, b.weight("s", {2}, 0.5f, 1.f), b.weight("o", {2}), b.weight("m", {2}), b.weight("v", {2}, 0.5f, 1.f)}));
  b.output(b.node(OpType::Relu, "relu", {c}));
  Fused f = prepare_and_compare(b.g);
  EXPECT_EQ(f.report.batch_norm, 0);
  EXPECT_EQ(count(f.fused, OpType::BatchNormalization), 1);
}

TEST(Fuse, OffSwitchAndDeterminism) {
  Graph a = gelu_graph(GeluForm::HalfXFirst), b = a, c = a;
  PrepareOptions off;
  off.fuse = false;
  FuseReport r;
  r.gelu = 9;
  off.fuse_report = &r;
  ASSERT_TRUE(prepare_graph(a, off).ok());
  EXPECT_EQ(r.total(), 0);
  EXPECT_EQ(count(a, OpType::Erf), 1);
  ASSERT_TRUE(prepare_graph(b, {}).ok());
  ASSERT_TRUE(prepare_graph(c, {}).ok());
  ASSERT_EQ(b.nodes.size(), c.nodes.size());
  for (size_t i = 0; i < b.nodes.size(); ++i) {
    EXPECT_EQ(b.nodes[i].name, c.nodes[i].name);
    EXPECT_EQ(b.nodes[i].inputs, c.nodes[i].inputs);
    EXPECT_EQ(b.nodes[i].attrs.all().size(), c.nodes[i].attrs.all().size());
  }
}

}  // namespace
}  // namespace deepshark
