// The Kernel contract of oneDNN kernels: bad run() arguments are errors (never crashes), slots
// name the input they replace, and ops without an exact primitive are Unsupported.
#include "kernels/dnnl/dnnl_kernels.h"
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

struct ConvGraph {
  Graph g;
  ConvGraph() {
    ValueId x = g.add_value("x", DType::F32, {1, 8, 9, 9}, true);
    Tensor w = Tensor::create(DType::F32, {8, 1, 3, 3}).value();
    fill_uniform(w.view(), 5);
    ValueId wid = g.add_constant("w", std::move(w));
    ValueId y = g.add_value("y", DType::F32, {1, 8, 9, 9}, true);
    Node& n = g.add_node(OpType::Conv, "dw", {x, wid}, {y});
    n.attrs.set_int("group", 8);
    n.attrs.set_ints("pads", {1, 1, 1, 1});
  }
};

TEST(DnnlKernelContract, RunRejectsBadArguments) {
  ConvGraph c;
  auto k = dnnl_backend::make_kernel(c.g, c.g.nodes[0], KernelConfig{});
  ASSERT_TRUE(k.ok()) << k.status().to_string();
  Kernel& kernel = *k.value();
  ASSERT_EQ(kernel.weight_count(), 1);
  EXPECT_EQ(kernel.weight_input(0), 1);
  Buffer wbuf = Buffer::allocate(default_allocator(), kernel.weight_bytes(0), MemoryClass::Weights).value();
  ASSERT_TRUE(kernel.pack_weight(c.g, 0, wbuf.data()).ok());
  EXPECT_EQ(kernel.pack_weight(c.g, 3, wbuf.data()).code(), ErrorCode::InvalidArgument);
  Buffer scratch;
  if (kernel.scratch_bytes() > 0)
    scratch = Buffer::allocate(default_allocator(), kernel.scratch_bytes(), MemoryClass::Scratch).value();

  Tensor x = Tensor::create(DType::F32, {1, 8, 9, 9}).value();
  Tensor y = Tensor::create(DType::F32, {1, 8, 9, 9}).value();
  Tensor wrong = Tensor::create(DType::F32, {1, 8, 7, 7}).value();
  const std::byte* wptr = wbuf.data();
  std::vector<TensorView> in{x.view(), TensorView{DType::F32, {8, 1, 3, 3}, nullptr}};
  std::vector<TensorView> out{y.view()};
  EXPECT_TRUE(kernel.run(in, out, {&wptr, 1}, scratch.data()).ok());
  // Missing weight pointers, a wrong output shape, a missing input.
  EXPECT_EQ(kernel.run(in, out, {}, scratch.data()).code(), ErrorCode::InvalidArgument);
  std::vector<TensorView> bad_out{wrong.view()};
  EXPECT_EQ(kernel.run(in, bad_out, {&wptr, 1}, scratch.data()).code(), ErrorCode::InvalidArgument);
  std::vector<TensorView> no_in{TensorView{}, in[1]};
  EXPECT_EQ(kernel.run(no_in, out, {&wptr, 1}, scratch.data()).code(), ErrorCode::InvalidArgument);
  if (kernel.scratch_bytes() > 0) {
    EXPECT_EQ(kernel.run(in, out, {&wptr, 1}, nullptr).code(), ErrorCode::InvalidArgument);
  }
  // Still usable after the errors.
  EXPECT_TRUE(kernel.run(in, out, {&wptr, 1}, scratch.data()).ok());
}

TEST(DnnlKernelContract, UnsupportedInputs) {
  // Ops without a oneDNN kernel, non-F32 data, unknown shapes.
  OpTester(OpType::Slice).input({2, 3}).output({2, 3}).describe("Slice").expect_unsupported();
  {
    Graph g;
    ValueId x = g.add_value("x", DType::I64, {4}, true);
    ValueId y = g.add_value("y", DType::I64, {4}, true);
    g.add_node(OpType::Relu, "r", {x}, {y});
    auto k = dnnl_backend::make_kernel(g, g.nodes[0], KernelConfig{});
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.status().code(), ErrorCode::Unsupported);
  }
  {
    Graph g;
    ValueId x = g.add_value("x", DType::F32, {-1, 4}, false);
    ValueId y = g.add_value("y", DType::F32, {-1, 4}, false);
    g.add_node(OpType::Relu, "r", {x}, {y});
    auto k = dnnl_backend::make_kernel(g, g.nodes[0], KernelConfig{});
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.status().code(), ErrorCode::Unsupported);
  }
  OpTester(OpType::BatchNormalization).input({1, 3, 4, 4}).constant({3}).constant({3}).constant({3}).constant({3})
      .output({1, 3, 4, 4}).output({3}).describe("training outputs").expect_unsupported();
}

}  // namespace
}  // namespace deepshark::testing
