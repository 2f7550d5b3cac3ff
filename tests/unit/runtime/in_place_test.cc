// In-place fused residuals (runtime/lifetimes + Kernel::may_share_output): a convolution whose
// residual input dies at that node writes its output over the residual — no copy, no second
// tensor — and gives the same bits as the run that keeps the residual alive.
#include <gtest/gtest.h>

#include "runtime/executor.h"
#include "runtime/lifetimes.h"
#include "support/test_support.h"

namespace deepshark::testing {
namespace {

ValueId conv(Graph& g, ValueId x, int64_t c, int64_t m, const std::string& name, ValueId residual = kNoValue) {
  Tensor w = Tensor::create(DType::F32, {m, c, 3, 3}).value();
  fill_uniform(w.view(), static_cast<uint32_t>(m * 31 + c + name.size()), -0.2f, 0.2f);
  ValueId wv = g.add_constant(name + ".w", std::move(w));
  ValueId y = g.add_value(name + ".y", DType::F32, {1, m, 8, 8}, true);
  std::vector<ValueId> in{x, wv};
  if (residual != kNoValue) in.insert(in.end(), {kNoValue, residual});
  Node& n = g.add_node(OpType::Conv, name, in, {y});
  n.attrs.set_ints("kernel_shape", {3, 3});
  n.attrs.set_ints("pads", {1, 1, 1, 1});
  if (residual != kNoValue) n.attrs.set_int("ds.residual", 1);
  return y;
}

// x -> c0 -> a -> c1 -> b -> c2 (+ residual a) -> y -> Relu -> out;  z = Relu(a) is a second output, read
// before c2 (a dies at c2: in place) or after it (a outlives c2: no sharing).
Graph residual_graph(bool relu_after) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {1, 16, 8, 8}, true);
  g.inputs.push_back(x);
  ValueId a = conv(g, x, 16, 32, "c0");
  ValueId z = g.add_value("z", DType::F32, {1, 32, 8, 8}, true);
  if (!relu_after) g.add_node(OpType::Relu, "relu", {a}, {z});
  ValueId b = conv(g, a, 32, 32, "c1");
  ValueId y = conv(g, b, 32, 32, "c2", a);
  if (relu_after) g.add_node(OpType::Relu, "relu", {a}, {z});
  // y is read by one more oneDNN op, so it is blocked like a (graph outputs are plain).
  ValueId out = g.add_value("out", DType::F32, {1, 32, 8, 8}, true);
  g.add_node(OpType::Relu, "relu_out", {y}, {out});
  g.outputs = {out, z};
  return g;
}

LifetimeOptions sharing(std::vector<int> shared, std::vector<uint64_t> bytes = {}) {
  LifetimeOptions o;
  o.shared_input = std::move(shared);
  o.value_bytes = std::move(bytes);
  return o;
}

int node_index(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i) if (g.nodes[i].name == name) return static_cast<int>(i);
  return -1;
}

TEST(InPlace, LifetimesShareTheDyingResidual) {
  Graph g = residual_graph(false);
  const int c2 = node_index(g, "c2");
  std::vector<int> shared(g.nodes.size(), -1);
  shared[c2] = 3;
  const ValueId a = g.nodes[node_index(g, "c0")].outputs[0];
  const ValueId y = g.nodes[c2].outputs[0];
  ValueLifetimes lt = compute_lifetimes(g, sharing(shared));
  EXPECT_EQ(lt.in_place_nodes, 1);
  EXPECT_EQ(lt.alias_root[y], a);
  // a's request now lives until relu_out reads y; y has no request of its own.
  for (size_t r = 0; r < lt.requests.size(); ++r) {
    EXPECT_NE(lt.request_value[r], y);
    if (lt.request_value[r] == a) {
      EXPECT_EQ(lt.requests[r].last, node_index(g, "relu_out"));
    }
  }
  // Without the kernel's permission nothing is shared.
  ValueLifetimes none = compute_lifetimes(g);
  EXPECT_EQ(none.in_place_nodes, 0);
  EXPECT_EQ(none.alias_root[y], y);
  // Different byte sizes (e.g. layouts) are never shared.
  std::vector<uint64_t> bytes(g.values.size(), 0);
  for (size_t v = 0; v < g.values.size(); ++v) bytes[v] = static_cast<uint64_t>(numel(g.values[v].shape)) * 4;
  bytes[a] += 64;
  EXPECT_EQ(compute_lifetimes(g, sharing(shared, bytes)).in_place_nodes, 0);
}

TEST(InPlace, NeverWhenTheResidualIsReadLaterOrIsAGraphInput) {
  Graph later = residual_graph(true);  // z = Relu(a) after c2
  std::vector<int> shared(later.nodes.size(), -1);
  shared[node_index(later, "c2")] = 3;
  EXPECT_EQ(compute_lifetimes(later, sharing(shared)).in_place_nodes, 0);

  // x -> [c0 ->] a -> c1 -> b -> c2 (+ residual): the residual is the graph input x (the
  // caller's memory is never written), or c1's own input a (conv(a) + a reads it twice).
  for (bool residual_is_input : {true, false}) {
    Graph g;
    ValueId x = g.add_value("x", DType::F32, {1, 32, 8, 8}, true);
    g.inputs.push_back(x);
    ValueId a = residual_is_input ? x : conv(g, x, 32, 32, "c0");
    ValueId b = residual_is_input ? conv(g, a, 32, 32, "c1") : a;
    g.outputs = {conv(g, b, 32, 32, "c2", a)};
    std::vector<int> shared_c2(g.nodes.size(), -1);
    shared_c2[node_index(g, "c2")] = 3;
    EXPECT_EQ(compute_lifetimes(g, sharing(shared_c2)).in_place_nodes, 0) << residual_is_input;
  }
}

TEST(InPlace, ExecutorGivesTheSameBitsInPlace) {
  Tensor x = Tensor::create(DType::F32, {1, 16, 8, 8}).value();
  fill_uniform(x.view(), 3);
  std::vector<TensorView> in{x.view()};
  std::vector<std::vector<Tensor>> outs;
  std::vector<ExecutorSummary> sums;
  for (bool relu_after : {true, false}) {
    CountingAllocator alloc;
    auto ex = Executor::create(residual_graph(relu_after), {.threads = 2}, alloc);
    ASSERT_TRUE(ex.ok()) << ex.status().to_string();
    sums.push_back((*ex)->summary());
    auto out = (*ex)->run(in);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    auto again = (*ex)->run(in);  // the residual's storage is rewritten each run: still the same
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(bit_identical(out.value()[0].view(), again.value()[0].view()));
    outs.push_back(std::move(out).value());
  }
  ASSERT_EQ(sums[0].dnnl_nodes, 5) << "the residual conv should run on oneDNN";
  EXPECT_EQ(sums[0].in_place_nodes, 0);
  EXPECT_EQ(sums[1].in_place_nodes, 1);
  EXPECT_LE(sums[1].arena_bytes, sums[0].arena_bytes);
  EXPECT_GT(max_abs(outs[0][0].view()), 0.0);
  EXPECT_TRUE(bit_identical(outs[0][0].view(), outs[1][0].view()))
      << "max diff " << max_abs_diff(outs[0][0].view(), outs[1][0].view());
  EXPECT_TRUE(bit_identical(outs[0][1].view(), outs[1][1].view()));
}

}  // namespace
}  // namespace deepshark::testing
