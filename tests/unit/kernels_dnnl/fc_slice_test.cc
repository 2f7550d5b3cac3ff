// The packer slices fully connected weights along the outputs (N) when they exceed 8 MiB, and a
// streamed run of the sliced node must give the unsliced node's bits. Checks that for the layout
// the kernels use by default (KernelConfig::plain_fc_weights): slices of 512 and 1024 outputs,
// concatenated, equal the whole node bit for bit, at GPT-2 shapes.
#include <cstring>

#include "kernels/dnnl/dnnl_kernels.h"
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

// Y[M, N] of MatMul(X[M, K], W[:, n0:n0+n]) (+ bias) on the oneDNN kernel.
std::vector<float> run_fc(const Tensor& x, const Tensor& w, const Tensor* bias, int64_t n0, int64_t n,
                          const KernelConfig& config) {
  const int64_t M = x.shape()[0], K = x.shape()[1], N = w.shape()[1];
  Graph g;
  ValueId xv = g.add_value("x", DType::F32, {M, K}, true);
  Tensor ws = Tensor::create(DType::F32, {K, n}).value();
  for (int64_t k = 0; k < K; ++k)
    std::memcpy(ws.data<float>() + k * n, w.data<float>() + k * N + n0, n * sizeof(float));
  std::vector<ValueId> ins{xv, g.add_constant("w", std::move(ws))};
  if (bias) ins.push_back(g.add_constant("b", Tensor::from_values<float>({n}, std::vector<float>(
                                                   bias->data<float>() + n0, bias->data<float>() + n0 + n))));
  ValueId yv = g.add_value("y", DType::F32, {M, n}, true);
  g.add_node(OpType::MatMul, "fc", ins, {yv});
  auto made = dnnl_backend::make_kernel(g, g.nodes[0], config);
  EXPECT_TRUE(made.ok()) << made.status().to_string();
  if (!made.ok()) return {};
  auto& k = *made.value();
  std::vector<std::vector<std::byte>> slots;
  std::vector<const std::byte*> ptrs;
  for (int s = 0; s < k.weight_count(); ++s) {
    slots.emplace_back(k.weight_bytes(s) + 64);
    EXPECT_TRUE(k.pack_weight(g, s, slots.back().data()).ok());
    ptrs.push_back(slots.back().data());
  }
  std::vector<std::byte> scratch(k.scratch_bytes() + 64);
  std::vector<TensorView> in{x.view(), TensorView{DType::F32, {K, n}, nullptr}};
  if (bias) in.push_back(TensorView{DType::F32, {n}, nullptr});
  for (int s = 0; s < k.weight_count(); ++s) in[k.weight_input(s)].data = nullptr;
  // Inputs not claimed by a slot (the bias) are read from the graph.
  for (size_t i = 1; i < in.size(); ++i) {
    bool claimed = false;
    for (int s = 0; s < k.weight_count(); ++s) claimed |= k.weight_input(s) == static_cast<int>(i);
    if (!claimed) in[i].data = const_cast<std::byte*>(g.value(ins[i]).constant->raw());
  }
  std::vector<float> y(static_cast<size_t>(M * n));
  std::vector<TensorView> out{TensorView{DType::F32, {M, n}, y.data()}};
  Status st = k.run(in, out, ptrs, scratch.data());
  EXPECT_TRUE(st.ok()) << st.to_string();
  return y;
}

TEST(DnnlFcSlicing, PlainWeightsAreBitIdenticalWhenSliced) {
  struct Case { int64_t m, k, n; };
  for (int threads : {1, 2})
    for (const Case& c : {Case{128, 768, 2304}, Case{128, 3072, 768}, Case{1, 768, 2048}}) {
      dnnl_backend::set_threads(threads);
      KernelConfig config;
      config.threads = threads;
      ASSERT_TRUE(config.plain_fc_weights);
      Tensor x = Tensor::create(DType::F32, {c.m, c.k}).value();
      Tensor w = Tensor::create(DType::F32, {c.k, c.n}).value();
      Tensor b = Tensor::create(DType::F32, {c.n}).value();
      fill_uniform(x.view(), 11);
      fill_uniform(w.view(), 12, -0.1f, 0.1f);
      fill_uniform(b.view(), 13);
      const std::vector<float> whole = run_fc(x, w, &b, 0, c.n, config);
      for (int64_t slice : {512, 1024}) {
        std::vector<float> joined(whole.size());
        for (int64_t n0 = 0; n0 < c.n; n0 += slice) {
          const int64_t n = std::min(slice, c.n - n0);
          const std::vector<float> part = run_fc(x, w, &b, n0, n, config);
          ASSERT_EQ(part.size(), static_cast<size_t>(c.m * n));
          for (int64_t r = 0; r < c.m; ++r)
            std::memcpy(joined.data() + r * c.n + n0, part.data() + r * n, n * sizeof(float));
        }
        EXPECT_EQ(std::memcmp(joined.data(), whole.data(), whole.size() * sizeof(float)), 0)
            << "threads " << threads << " [" << c.m << "x" << c.k << "]x[" << c.k << "x" << c.n << "] slices of "
            << slice;
      }
    }
  dnnl_backend::set_threads(1);
}

}  // namespace
}  // namespace deepshark::testing
