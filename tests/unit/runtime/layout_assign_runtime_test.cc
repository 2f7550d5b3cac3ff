// runtime/layout_assign on small graphs, and the executor running with its plan against the
// reference-only executor.
#include "kernels/dnnl/dnnl_kernels.h"
#include "runtime/executor.h"
#include "runtime/layout_assign.h"
#include "support/test_support.h"

namespace deepshark::testing {
namespace {

ValueId conv(Graph& g, ValueId x, int64_t c, int64_t m, int64_t hw, const std::string& name) {
  Tensor w = Tensor::create(DType::F32, {m, c, 3, 3}).value();
  fill_uniform(w.view(), static_cast<uint32_t>(m * 31 + c), -0.2f, 0.2f);
  ValueId wv = g.add_constant(name + ".w", std::move(w));
  ValueId y = g.add_value(name + ".y", DType::F32, {1, m, hw, hw}, true);
  Node& n = g.add_node(OpType::Conv, name, {x, wv}, {y});
  n.attrs.set_ints("kernel_shape", {3, 3});
  n.attrs.set_ints("pads", {1, 1, 1, 1});
  return y;
}

// x -> Conv -> Relu -> Conv -> (+ residual Conv output) -> Flatten -> y
Graph small_cnn() {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {1, 3, 8, 8}, true);
  g.inputs.push_back(x);
  ValueId a = conv(g, x, 3, 32, 8, "c1");
  ValueId r = g.add_value("r", DType::F32, {1, 32, 8, 8}, true);
  g.add_node(OpType::Relu, "relu", {a}, {r});
  ValueId b = conv(g, r, 32, 32, 8, "c2");
  ValueId s = g.add_value("s", DType::F32, {1, 32, 8, 8}, true);
  g.add_node(OpType::Add, "add", {b, a}, {s});
  ValueId f = g.add_value("f", DType::F32, {1, 32 * 64}, true);
  Node& fl = g.add_node(OpType::Flatten, "flatten", {s}, {f});
  fl.attrs.set_int("axis", 1);
  g.outputs.push_back(f);
  return g;
}

TEST(LayoutAssign, BlocksActivationsBetweenOneDnnOps) {
  Graph g = small_cnn();
  KernelConfig base;
  LayoutPlan plan = assign_layouts(g, base, true);
  auto id = [&](const std::string& name) {
    for (size_t v = 0; v < g.values.size(); ++v)
      if (g.values[v].name == name) return static_cast<ValueId>(v);
    return kNoValue;
  };
  EXPECT_EQ(plan.value_layout[id("x")], ActLayout::Plain);         // graph input
  EXPECT_EQ(plan.value_layout[id("c1.y")], ActLayout::Blocked);
  EXPECT_EQ(plan.value_layout[id("r")], ActLayout::Blocked);
  EXPECT_EQ(plan.value_layout[id("c2.y")], ActLayout::Blocked);
  EXPECT_EQ(plan.value_layout[id("s")], ActLayout::Plain);         // read by Flatten
  EXPECT_EQ(plan.value_layout[id("f")], ActLayout::Plain);
  EXPECT_EQ(plan.blocked_values, 3);
  // 32 channels: whole blocks of 8 and 16, no padding in nhwc.
  const int64_t padded = (32 + plan.block - 1) / plan.block * plan.block;
  EXPECT_EQ(padded, 32);
  EXPECT_EQ(plan_value_bytes(g, plan)[id("r")], static_cast<uint64_t>(padded * 64 * 4));
  KernelConfig c = node_kernel_config(g, plan, base, 3);  // the Add
  EXPECT_EQ(c.input_layout(0), ActLayout::Blocked);
  EXPECT_EQ(c.input_layout(1), ActLayout::Blocked);
  EXPECT_EQ(c.output_layout(0), ActLayout::Plain);
  // Deterministic, and nothing is blocked without oneDNN.
  EXPECT_EQ(assign_layouts(g, base, true).value_layout, plan.value_layout);
  EXPECT_EQ(assign_layouts(g, base, false).blocked_values, 0);
}

TEST(LayoutAssign, PaddedChannelCountsStayPlain) {
  // 8 channels would be padded to a 16-channel block (oneDNN then runs its slow reference
  // convolution: mnist-8 took 16 ms instead of 0.2 ms). Such values stay plain.
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {1, 3, 8, 8}, true);
  g.inputs.push_back(x);
  ValueId a = conv(g, x, 3, 8, 8, "c1");
  ValueId r = g.add_value("r", DType::F32, {1, 8, 8, 8}, true);
  g.add_node(OpType::Relu, "relu", {a}, {r});
  ValueId b = conv(g, r, 8, 32, 8, "c2");
  ValueId q = g.add_value("q", DType::F32, {1, 32, 8, 8}, true);
  g.add_node(OpType::Relu, "relu2", {b}, {q});
  ValueId y = conv(g, q, 32, 32, 8, "c3");
  g.outputs.push_back(y);
  KernelConfig base;
  LayoutPlan plan = assign_layouts(g, base, true);
  if (plan.channels_last) {  // nhwc pads nothing: every value between oneDNN kernels is Blocked
    EXPECT_EQ(plan.value_layout[a], ActLayout::Blocked);
    EXPECT_EQ(plan.value_layout[r], ActLayout::Blocked);
    EXPECT_EQ(plan.value_layout[b], ActLayout::Blocked);
    EXPECT_EQ(plan.value_layout[q], ActLayout::Blocked);
    return;
  }
  if (plan.block != 16) GTEST_SKIP() << "blocks of " << plan.block << " channels on this CPU";
  EXPECT_EQ(plan.value_layout[a], ActLayout::Plain);
  EXPECT_EQ(plan.value_layout[r], ActLayout::Plain);
  EXPECT_EQ(plan.value_layout[b], ActLayout::Blocked);
  EXPECT_EQ(plan.value_layout[q], ActLayout::Blocked);
}

TEST(LayoutAssign, ExecutorMatchesTheReference) {
  Tensor x = Tensor::create(DType::F32, {1, 3, 8, 8}).value();
  fill_uniform(x.view(), 5);
  std::vector<TensorView> in{x.view()};
  std::vector<std::vector<Tensor>> outs;
  for (bool dnnl : {true, false}) {
    CountingAllocator alloc;
    ExecutorOptions o;
    o.use_dnnl = dnnl;
    auto ex = Executor::create(small_cnn(), o, alloc);
    ASSERT_TRUE(ex.ok()) << ex.status().to_string();
    EXPECT_EQ(ex.value()->summary().blocked_values, dnnl ? 3 : 0);
    auto r1 = ex.value()->run(in);
    ASSERT_TRUE(r1.ok()) << r1.status().to_string();
    auto r2 = ex.value()->run(in);
    ASSERT_TRUE(r2.ok());
    EXPECT_TRUE(bit_identical(r1.value()[0].view(), r2.value()[0].view()));
    outs.push_back(std::move(r1).value());
  }
  EXPECT_LE(max_abs_diff(outs[0][0].view(), outs[1][0].view()), 1e-5 * std::max(1.0, max_abs(outs[1][0].view())));
}

}  // namespace
}  // namespace deepshark::testing
