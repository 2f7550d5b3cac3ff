// Concat and Slice views (runtime/lifetimes): the slices of a sliced node write straight into
// their place in the Concat's output, and the slices of a fused-residual convolution read their
// channel range of the residual in place, so a sliced graph holds no second copy and runs no
// copy — with the bits of the unsliced graph.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/dnnl/dnnl_kernels.h"
#include "pack/slice.h"
#include "runtime/executor.h"
#include "runtime/kernel_factory.h"
#include "runtime/layout_assign.h"
#include "runtime/lifetimes.h"
#include "support/small_model.h"
#include "transform/prepare.h"

namespace deepshark::testing {
namespace {

Graph prepared(uint64_t slice_limit) {
  Graph g = small_model();
  Status s = prepare_graph(g, {});
  EXPECT_TRUE(s.ok()) << s.message();
  if (slice_limit > 0) {
    auto r = slice_graph(g, slice_limit);
    EXPECT_TRUE(r.ok()) << r.status().message();
  }
  return g;
}

TEST(ConcatView, SlicesAreWrittenInPlace) {
  Graph g = prepared(20 << 10);
  // Expected offsets: each slice starts where the previous ones end in the Concat's output.
  ValueLifetimes lt = compute_lifetimes(g);
  int concats = 0;
  for (const Node& n : g.nodes) {
    if (n.op != OpType::Concat) continue;
    ++concats;
    uint64_t at = 0;
    for (ValueId in : n.inputs) {
      EXPECT_EQ(lt.alias_root[in], n.outputs[0]) << g.value(in).name;
      EXPECT_EQ(lt.alias_offset[in], at) << g.value(in).name;
      at += static_cast<uint64_t>(numel(g.value(in).shape)) * 4;
    }
    EXPECT_EQ(at, static_cast<uint64_t>(numel(g.value(n.outputs[0]).shape)) * 4);
  }
  EXPECT_GE(concats, 2) << "conv2 and the fully connected layers should be sliced at 20 KiB";
  EXPECT_EQ(lt.concat_views, concats);
}

// x -> Relu = a, x -> Sigmoid = b, c = Concat(a, b) along channels; `extra_reader`: b is also
// read by another Relu (a second output).
Graph two_way_concat(int64_t batch, bool extra_reader) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {batch, 4, 2, 2}, true);
  g.inputs.push_back(x);
  ValueId a = g.add_value("a", DType::F32, {batch, 4, 2, 2}, true), b = g.add_value("b", DType::F32, {batch, 4, 2, 2}, true);
  g.add_node(OpType::Relu, "ra", {x}, {a});
  g.add_node(OpType::Sigmoid, "sb", {x}, {b});
  ValueId c = g.add_value("c", DType::F32, {batch, 8, 2, 2}, true);
  g.add_node(OpType::Concat, "cat", {a, b}, {c}).attrs.set_int("axis", 1);
  g.outputs = {c};
  if (extra_reader) {
    ValueId d = g.add_value("d", DType::F32, {batch, 4, 2, 2}, true);
    g.add_node(OpType::Relu, "rb", {b}, {d});
    g.outputs.push_back(d);
  }
  return g;
}

TEST(ConcatView, NotWhenASliceIsReadElsewhereOrTheBatchIsNotOne) {
  EXPECT_EQ(compute_lifetimes(two_way_concat(1, false)).concat_views, 1);
  EXPECT_EQ(compute_lifetimes(two_way_concat(1, true)).concat_views, 0);
  EXPECT_EQ(compute_lifetimes(two_way_concat(2, false)).concat_views, 0);  // channel ranges not contiguous
}

TEST(SliceView, ChannelRangeOfAnN1TensorIsAView) {
  auto graph = [](Shape shape, int64_t begin, int64_t end, int64_t step) {
    Graph g;
    ValueId x = g.add_value("x", DType::F32, shape, true);
    g.inputs.push_back(x);
    ValueId a = g.add_value("a", DType::F32, shape, true);
    g.add_node(OpType::Relu, "r", {x}, {a});
    auto ints = [&](const char* name, int64_t v) {
      Tensor t = Tensor::create(DType::I64, {1}).value();
      t.data<int64_t>()[0] = v;
      return g.add_constant(name, std::move(t));
    };
    Shape os = shape;
    os[1] = (end - begin + step - 1) / step;
    ValueId y = g.add_value("y", DType::F32, os, true);
    g.add_node(OpType::Slice, "s", {a, ints("b", begin), ints("e", end), ints("axes", 1), ints("steps", step)}, {y});
    ValueId z = g.add_value("z", DType::F32, os, true);
    g.add_node(OpType::Sigmoid, "sig", {y}, {z});
    g.outputs = {z};
    return g;
  };
  Graph g = graph({1, 8, 3, 3}, 2, 6, 1);
  ValueLifetimes lt = compute_lifetimes(g);
  EXPECT_EQ(lt.slice_views, 1);
  const ValueId y = g.nodes[1].outputs[0];
  EXPECT_EQ(lt.alias_root[y], g.nodes[0].outputs[0]);
  EXPECT_EQ(lt.alias_offset[y], 2u * 9 * 4);
  EXPECT_EQ(compute_lifetimes(graph({2, 8, 3, 3}, 2, 6, 1)).slice_views, 0);  // batch 2
  EXPECT_EQ(compute_lifetimes(graph({1, 8, 3, 3}, 2, 6, 2)).slice_views, 0);  // step 2
  // The view runs: same values as the reference Slice. With oneDNN on an AVX-512 CPU the
  // activations are nhwc, where a channel range is strided: a oneDNN reorder copies it instead.
  const bool nhwc = dnnl_backend::activation_format() == dnnl_backend::ActivationFormat::nhwc;
  for (bool dnnl : {true, false}) {
    Tensor x = random_tensor({1, 8, 3, 3}, 5, 1.0f);
    TensorView in = x.view();
    CountingAllocator alloc;
    ExecutorOptions o;
    o.use_dnnl = dnnl;
    auto ex = Executor::create(graph({1, 8, 3, 3}, 2, 6, 1), o, alloc);
    ASSERT_TRUE(ex.ok()) << ex.status().message();
    EXPECT_EQ((*ex)->summary().slice_views, dnnl && nhwc ? 0 : 1);
    auto out = (*ex)->run({&in, 1});
    ASSERT_TRUE(out.ok()) << out.status().message();
    for (int64_t c = 0; c < 4; ++c)
      for (int64_t k = 0; k < 9; ++k) {
        const float v = std::max(0.f, x.data<float>()[(c + 2) * 9 + k]);
        EXPECT_NEAR(out.value()[0].data<float>()[c * 9 + k], 1.f / (1.f + std::exp(-v)), 1e-6);
      }
  }
}

TEST(ConcatView, ChannelsLastOnlyWhenTheRangeIsContiguous) {
  // All values Blocked: nChw4c-like blocks keep a channel range contiguous at N = 1; nhwc does
  // only when the spatial size is 1x1 (channels innermost).
  for (int64_t hw : {2, 1}) {
    Graph g;
    ValueId x = g.add_value("x", DType::F32, {1, 4, hw, hw}, true);
    g.inputs.push_back(x);
    ValueId a = g.add_value("a", DType::F32, {1, 4, hw, hw}, true), b = g.add_value("b", DType::F32, {1, 4, hw, hw}, true);
    g.add_node(OpType::Relu, "ra", {x}, {a});
    g.add_node(OpType::Sigmoid, "sb", {x}, {b});
    ValueId c = g.add_value("c", DType::F32, {1, 8, hw, hw}, true);
    g.add_node(OpType::Concat, "cat", {a, b}, {c}).attrs.set_int("axis", 1);
    ValueId d = g.add_value("d", DType::F32, {1, 4, hw, hw}, true);
    auto ints = [&](const char* name, int64_t v) {
      Tensor t = Tensor::create(DType::I64, {1}).value();
      t.data<int64_t>()[0] = v;
      return g.add_constant(name, std::move(t));
    };
    g.add_node(OpType::Slice, "s", {c, ints("b", 4), ints("e", 8), ints("axes", 1)}, {d});
    ValueId z = g.add_value("z", DType::F32, {1, 4, hw, hw}, true);
    g.add_node(OpType::Tanh, "t", {d}, {z});
    g.outputs = {z};
    for (bool channels_last : {false, true}) {
      LifetimeOptions o;
      o.value_layout.assign(g.values.size(), ActLayout::Blocked);
      o.block = channels_last ? 1 : 4;
      o.channels_last = channels_last;
      ValueLifetimes lt = compute_lifetimes(g, o);
      const int want = !channels_last || hw == 1 ? 1 : 0;
      EXPECT_EQ(lt.concat_views, want) << "hw " << hw << " channels_last " << channels_last;
      EXPECT_EQ(lt.slice_views, want) << "hw " << hw << " channels_last " << channels_last;
      if (want) EXPECT_EQ(lt.alias_offset[d], 4u * hw * hw * 4);
    }
  }
}

// y[1, T, N] = x[1, T, K] * W (+ b, then Gelu-free Relu): sliced along N with T > 1 rows, each
// slice writes its column range of y row by row (KernelConfig::output_row_stride), and the
// Concat needs no copy, with the unsliced node's bits.
// With `gemm`: Gemm on [t, 24] with B stored transposed (transB) and, with `bias`, C scaled by
// beta = 0.5 (a bias weight slot).
Graph fc_rows(int64_t t, bool bias, bool gemm = false) {
  Graph g;
  const Shape xs = gemm ? Shape{t, 24} : Shape{1, t, 24}, ys = gemm ? Shape{t, 80} : Shape{1, t, 80};
  ValueId x = g.add_value("x", DType::F32, xs, true);
  g.inputs.push_back(x);
  ValueId y = g.add_value("y", DType::F32, ys, true);
  std::vector<ValueId> in{x, g.add_constant("w", random_tensor(gemm ? Shape{80, 24} : Shape{24, 80}, 7, 0.2f))};
  if (bias) in.push_back(g.add_constant("b", random_tensor({80}, 8, 0.5f)));
  Node& fc = g.add_node(gemm ? OpType::Gemm : OpType::MatMul, "fc", in, {y});
  if (gemm) {
    fc.attrs.set_int("transB", 1);
    fc.attrs.set_float("beta", 0.5f);
  }
  ValueId z = g.add_value("z", DType::F32, ys, true);
  g.add_node(OpType::Relu, "relu", {y}, {z});
  g.outputs = {z};
  return g;
}

TEST(ConcatView, RowsOfSlicedFullyConnectedLayersAreWrittenInPlace) {
  for (int64_t t : {5, 1}) {
    for (int variant = 0; variant < 4; ++variant) {
      const bool bias = variant & 1, gemm = variant & 2;
      Tensor x = random_tensor(gemm ? Shape{t, 24} : Shape{1, t, 24}, 9, 1.0f);
      TensorView in = x.view();
      std::vector<std::vector<Tensor>> outs;
      for (uint64_t limit : {uint64_t{0}, uint64_t{2} << 10}) {
        Graph g = fc_rows(t, bias, gemm);
        ASSERT_TRUE(prepare_graph(g, {}).ok());
        if (limit) {
          auto r = slice_graph(g, limit);
          ASSERT_TRUE(r.ok()) << r.status().message();
          ASSERT_FALSE(r->nodes.empty());
        }
        CountingAllocator alloc;
        auto ex = Executor::create(std::move(g), {.threads = 2}, alloc);
        ASSERT_TRUE(ex.ok()) << ex.status().message();
        if (limit) {
          EXPECT_EQ((*ex)->summary().concat_views, 1) << "t " << t;
          EXPECT_EQ((*ex)->summary().strided_concat_views, t > 1 ? 1 : 0) << "t " << t;
        }
        auto out = (*ex)->run({&in, 1});
        ASSERT_TRUE(out.ok()) << out.status().message();
        outs.push_back(std::move(out).value());
      }
      EXPECT_GT(max_abs(outs[0][0].view()), 0.0);
      EXPECT_TRUE(bit_identical(outs[0][0].view(), outs[1][0].view()))
          << "t " << t << " bias " << bias << " gemm " << gemm << " max diff "
          << max_abs_diff(outs[0][0].view(), outs[1][0].view());
    }
  }
  // The views' geometry: column offsets and the full row as the stride.
  Graph g = fc_rows(5, false);
  ASSERT_TRUE(prepare_graph(g, {}).ok());
  ASSERT_TRUE(slice_graph(g, 2 << 10).ok());
  const LayoutPlan plan = assign_layouts(g, KernelConfig{}, true);
  ValueLifetimes lt = compute_lifetimes(g, layout_lifetime_options(g, plan));
  EXPECT_EQ(lt.strided_concat_views, 1);
  uint64_t column = 0;
  for (const Node& n : g.nodes) {
    if (n.op != OpType::Concat) continue;
    for (ValueId v : n.inputs) {
      EXPECT_EQ(lt.alias_root[v], n.outputs[0]);
      EXPECT_EQ(lt.alias_offset[v], column * 4);
      EXPECT_EQ(lt.alias_row_stride[v], 80);
      column += static_cast<uint64_t>(g.value(v).shape.back());
    }
  }
  EXPECT_EQ(column, 80u);
  // Without oneDNN (reference kernels write dense rows) the Concat copies.
  EXPECT_EQ(compute_lifetimes(g, layout_lifetime_options(g, assign_layouts(g, KernelConfig{}, false))).strided_concat_views, 0);
  // A slice whose oneDNN kernel cannot write strided rows is an error, never the reference kernel
  // writing dense rows over its neighbours' columns.
  for (const Node& n : g.nodes) {
    if (n.op != OpType::MatMul) continue;
    KernelConfig c;
    c.output_row_stride = 80;
    c.plain_fc_weights = false;  // the strided path needs plain weights
    auto k = make_node_kernel(g, n, c, /*use_dnnl=*/true);
    ASSERT_FALSE(k.ok());
    EXPECT_NE(k.status().message().find("with a row-strided output"), std::string::npos) << k.status().message();
    break;
  }
}

TEST(ConcatView, SlicedGraphGivesTheUnslicedBits) {
  Tensor x = random_tensor({1, 8, 12, 12}, 99, 1.0f);
  TensorView in = x.view();
  std::vector<std::vector<Tensor>> outs;
  std::vector<ExecutorSummary> sums;
  for (uint64_t limit : {uint64_t{0}, uint64_t{20} << 10}) {
    CountingAllocator alloc;
    auto ex = Executor::create(prepared(limit), {.threads = 2}, alloc);
    ASSERT_TRUE(ex.ok()) << ex.status().message();
    sums.push_back((*ex)->summary());
    auto out = (*ex)->run({&in, 1});
    ASSERT_TRUE(out.ok()) << out.status().message();
    outs.push_back(std::move(out).value());
  }
  EXPECT_EQ(sums[0].concat_views, 0);
  // In nhwc (dnnl_backend::activation_format()) a channel range of a spatial tensor is strided:
  // conv2's slices are concatenated by a copy; the fully connected ones stay views.
  const bool nhwc = dnnl_backend::activation_format() == dnnl_backend::ActivationFormat::nhwc;
  EXPECT_GE(sums[1].concat_views, nhwc ? 2 : 3);
  // conv3's fused residual is sliced too: each slice reads its channel range as a view (a
  // oneDNN reorder copies it in nhwc).
  EXPECT_EQ(sums[0].slice_views, 0);
  EXPECT_GE(sums[1].slice_views, nhwc ? 0 : 2);
  EXPECT_GT(max_abs(outs[0][0].view()), 0.0);
  EXPECT_TRUE(bit_identical(outs[0][0].view(), outs[1][0].view()))
      << "max diff " << max_abs_diff(outs[0][0].view(), outs[1][0].view());
}

}  // namespace
}  // namespace deepshark::testing
