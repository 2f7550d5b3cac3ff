// A small hand-built model for pack, stream and replan tests: convolutions (one with a residual),
// pooling, fully connected layers with bias — enough pieces to slice, stream and re-plan.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <string>
#include <vector>

#include "base/tensor.h"
#include "graph/graph.h"
#include "pack/pack.h"
#include "runtime/executor.h"
#include "support/test_support.h"
#include "transform/prepare.h"

namespace deepshark::testing {

inline Tensor random_tensor(Shape shape, uint32_t seed, float scale = 0.1f) {
  auto t = Tensor::create(DType::F32, std::move(shape));
  DS_CHECK(t.ok());
  fill_uniform(t->view(), seed, -scale, scale);
  return std::move(t).value();
}

// x[1,8,12,12] -> Conv(8->64, 3x3) -> Relu -> Conv(64->96, 3x3) = c2 -> Conv(96->96, 1x1) + c2 -> Relu
//   -> GlobalAveragePool -> Flatten -> Gemm(96 -> 300) -> Relu -> MatMul(300 -> 50) + bias
// Prepared, the fusion pass turns Conv+Relu, Conv+Add+Relu (residual) and MatMul+Add (bias) into
// single nodes, so slicing is tested on the fused forms too.
inline Graph small_model() {
  Graph g;
  g.name = "small";
  ValueId x = g.add_value("x", DType::F32, {1, 8, 12, 12}, true);
  g.inputs.push_back(x);
  auto v = [&](const char* n) { return g.add_value(n); };
  ValueId c1 = v("c1"), r1 = v("r1"), c2 = v("c2"), c3 = v("c3"), s3 = v("s3"), r3 = v("r3"), p = v("p"),
          f = v("f"), fc = v("fc"), r2 = v("r2"), m = v("m"), y = v("y");
  Node& conv1 = g.add_node(OpType::Conv, "conv1",
                           {x, g.add_constant("w1", random_tensor({64, 8, 3, 3}, 1)),
                            g.add_constant("b1", random_tensor({64}, 2))},
                           {c1});
  conv1.attrs.set_ints("pads", {1, 1, 1, 1});
  g.add_node(OpType::Relu, "relu1", {c1}, {r1});
  g.add_node(OpType::Conv, "conv2",
             {r1, g.add_constant("w2", random_tensor({96, 64, 3, 3}, 3)), g.add_constant("b2", random_tensor({96}, 4))},
             {c2});
  g.add_node(OpType::Conv, "conv3",
             {c2, g.add_constant("w5", random_tensor({96, 96, 1, 1}, 8)), g.add_constant("b5", random_tensor({96}, 9))},
             {c3});
  g.add_node(OpType::Add, "residual", {c3, c2}, {s3});
  g.add_node(OpType::Relu, "relu3", {s3}, {r3});
  g.add_node(OpType::GlobalAveragePool, "gap", {r3}, {p});
  g.add_node(OpType::Flatten, "flatten", {p}, {f});
  Node& gemm = g.add_node(OpType::Gemm, "fc1",
                          {f, g.add_constant("w3", random_tensor({300, 96}, 5)), g.add_constant("b3", random_tensor({300}, 6))},
                          {fc});
  gemm.attrs.set_int("transB", 1);
  g.add_node(OpType::Relu, "relu2", {fc}, {r2});
  g.add_node(OpType::MatMul, "fc2", {r2, g.add_constant("w4", random_tensor({300, 50}, 7))}, {m});
  g.add_node(OpType::Add, "fc2_bias", {m, g.add_constant("b4", random_tensor({50}, 10))}, {y});
  g.outputs.push_back(y);
  return g;
}

// small_model() prepared (shapes inferred, fusions applied), as pack and sessions see it.
inline Graph prepared_small_model() {
  Graph g = small_model();
  Status s = prepare_graph(g, {});
  EXPECT_TRUE(s.ok()) << s.message();
  return g;
}

// The in-memory executor's outputs for one input (2 threads); empty after a failure (reported).
inline std::vector<Tensor> run_in_memory(Graph g, const Tensor& x) {
  CountingAllocator alloc;
  auto ex = Executor::create(std::move(g), {.threads = 2}, alloc);
  EXPECT_TRUE(ex.ok()) << ex.status().message();
  if (!ex.ok()) return {};
  TensorView in = x.view();
  auto out = (*ex)->run({&in, 1});
  EXPECT_TRUE(out.ok()) << out.status().message();
  return out.ok() ? std::move(out).value() : std::vector<Tensor>{};
}

// prepared_small_model() packed at 2 threads with slices of at most slice_limit_bytes, into
// TempDir()/<stem>_<pid>.dsk (one file per process: ctest -j runs a fixture's tests in parallel
// processes); *path is set to it.
inline Result<PackReport> pack_small_model(const std::string& stem, uint64_t slice_limit_bytes, std::string* path) {
  *path = ::testing::TempDir() + "/" + stem + "_" + std::to_string(::getpid()) + ".dsk";
  PackGraphOptions po;
  po.threads = 2;
  po.slice_limit_bytes = slice_limit_bytes;
  return pack_graph(prepared_small_model(), *path, po);
}

}  // namespace deepshark::testing
