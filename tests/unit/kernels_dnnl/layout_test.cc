// Blocked activation layouts (ActLayout::Blocked): kernels reading and writing nChw16c / nChw8c
// operands as they are, against the reference on plain tensors (the tester reorders the
// operands into and out of the blocked layout).
#include <cstdlib>

#include "kernels/dnnl/dnnl_common.h"
#include "kernels/dnnl/dnnl_kernels.h"
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

KernelConfig layouts(std::vector<ActLayout> in, std::vector<ActLayout> out) {
  KernelConfig c;
  c.input_layouts = std::move(in);
  c.output_layouts = std::move(out);
  return c;
}

constexpr ActLayout P = ActLayout::Plain, B = ActLayout::Blocked;

TEST(DnnlLayout, ConvEveryInOutCombination) {
  struct Case { int64_t c, m, k, s, g; };
  // Channel counts off the block (3, 24) exercise the padded channels.
  for (const Case& c : {Case{16, 32, 3, 1, 1}, Case{3, 16, 3, 2, 1}, Case{24, 24, 3, 1, 24}, Case{32, 24, 1, 1, 1},
                        Case{64, 64, 3, 2, 64}, Case{24, 40, 5, 1, 1}})
    for (ActLayout li : {P, B})
      for (ActLayout lo : {P, B}) {
        const int64_t h = 11, pad = c.k / 2, oh = (h + 2 * pad - c.k) / c.s + 1;
        OpTester t(OpType::Conv);
        t.input({1, c.c, h, h}).constant({c.m, c.c / c.g, c.k, c.k}).constant({c.m}).output({1, c.m, oh, oh});
        t.attr("kernel_shape", std::vector<int64_t>{c.k, c.k}).attr("strides", std::vector<int64_t>{c.s, c.s});
        t.attr("pads", std::vector<int64_t>{pad, pad, pad, pad}).attr("group", c.g);
        t.config(layouts({li, P, P}, {lo})).tolerance(1e-5);
        t.describe("c=" + std::to_string(c.c) + " m=" + std::to_string(c.m) + " k=" + std::to_string(c.k) +
                   " g=" + std::to_string(c.g) + " in=" + std::to_string(int(li)) + " out=" + std::to_string(int(lo)));
        t.test();
        if (li == B && lo == B) {
          EXPECT_EQ(t.kernel_name().find("reorders"), std::string::npos) << t.kernel_name();
          EXPECT_EQ(t.kernel_name().find("gemm"), std::string::npos) << t.kernel_name();
        }
      }
}

TEST(DnnlLayout, PoolingAndBatchNorm) {
  for (ActLayout li : {P, B})
    for (ActLayout lo : {P, B}) {
      OpTester(OpType::MaxPool).input({1, 24, 9, 9}).output({1, 24, 4, 4})
          .attr("kernel_shape", std::vector<int64_t>{3, 3}).attr("strides", std::vector<int64_t>{2, 2})
          .config(layouts({li}, {lo})).tolerance(0).test();
      OpTester(OpType::GlobalAveragePool).input({2, 32, 7, 7}).output({2, 32, 1, 1})
          .config(layouts({li}, {lo})).tolerance(1e-6).test();
      OpTester(OpType::BatchNormalization).input({1, 20, 5, 5}).constant({20}).constant({20}).constant({20})
          .constant({20}, 0.5f, 2.f).output({1, 20, 5, 5}).config(layouts({li}, {lo})).tolerance(1e-5).test();
    }
}

TEST(DnnlLayout, EltwiseAndBinary) {
  for (ActLayout li : {P, B})
    for (ActLayout lo : {P, B}) {
      for (OpType op : {OpType::Relu, OpType::Sigmoid, OpType::HardSwish, OpType::Gelu})
        OpTester(op).input({1, 24, 6, 6}, -3, 3).output({1, 24, 6, 6}).config(layouts({li}, {lo}))
            .tolerance(1e-6).describe(op_name(op)).test();
      OpTester(OpType::Add).input({1, 24, 6, 6}).input({1, 24, 6, 6}).output({1, 24, 6, 6})
          .config(layouts({li, li}, {lo})).tolerance(1e-6).describe("same shape").test();
      OpTester(OpType::Mul).input({1, 24, 6, 6}).input({1, 24, 1, 1}).output({1, 24, 6, 6})
          .config(layouts({li, li}, {lo})).tolerance(1e-6).describe("per-channel activation").test();
      OpTester(OpType::Mul).input({1, 32, 6, 6}).constant({32, 1, 1}).output({1, 32, 6, 6})
          .config(layouts({li, P}, {lo})).tolerance(1e-6).describe("per-channel constant").test();
    }
  // Mixed: one blocked, one plain operand.
  OpTester(OpType::Add).input({1, 16, 5, 5}).input({1, 16, 5, 5}).output({1, 16, 5, 5})
      .config(layouts({B, P}, {B})).tolerance(1e-6).test();
}

TEST(DnnlLayout, ConcatAlongChannels) {
  const int64_t blk = dnnl_backend::activation_block();
  for (ActLayout l : {P, B})
    OpTester(OpType::Concat).input({1, blk, 5, 5}).input({1, 2 * blk, 5, 5}).output({1, 3 * blk, 5, 5})
        .attr("axis", int64_t{1}).config(layouts({l, l}, {l})).tolerance(0).test();
  // Plain concat on any axis.
  OpTester(OpType::Concat).input({2, 3, 5}).input({2, 4, 5}).output({2, 7, 5}).attr("axis", int64_t{-2})
      .tolerance(0).test();
}

TEST(DnnlLayout, SliceIsAReorderOfItsInputsSubMemory) {
  // Channel ranges (strided in nhwc; whole blocks in nChw16c / nChw8c), a spatial range with a
  // negative start, and two axes at once: the same values as the reference Slice.
  const int64_t blk = std::max(dnnl_backend::activation_block(), 4);
  OpTester(OpType::Slice).input({1, 4 * blk, 5, 7}).constant_i64({1}, {blk}).constant_i64({1}, {3 * blk})
      .constant_i64({1}, {1}).output({1, 2 * blk, 5, 7}).config(layouts({B}, {B})).tolerance(0)
      .describe("channel range").test();
  OpTester(OpType::Slice).input({1, 2 * blk, 5, 7}).constant_i64({1}, {-3}).constant_i64({1}, {100})
      .constant_i64({1}, {2}).output({1, 2 * blk, 3, 7}).config(layouts({B}, {B})).tolerance(0)
      .describe("rows -3..end").test();
  OpTester(OpType::Slice).input({1, 2 * blk, 5, 7}).constant_i64({2}, {0, 1}).constant_i64({2}, {blk, 6})
      .constant_i64({2}, {1, 3}).output({1, blk, 5, 5}).config(layouts({B}, {P})).tolerance(0)
      .describe("channels and columns, plain out").test();
  // Plain: an inner-axis range (ViT's query / key / value split of [197, 1, 2304]).
  OpTester(OpType::Slice).input({197, 1, 2304}).constant_i64({1}, {768}).constant_i64({1}, {1536})
      .constant_i64({1}, {-1}).output({197, 1, 768}).tolerance(0).describe("plain inner range").test();
  // Steps other than 1 are the reference kernel's.
  OpTester(OpType::Slice).input({1, 8, 6}).constant_i64({1}, {0}).constant_i64({1}, {6}).constant_i64({1}, {2})
      .constant_i64({1}, {2}).output({1, 8, 3}).describe("step 2").expect_unsupported();
}

TEST(DnnlLayout, BlockFollowsTheFormat) {
  using dnnl_backend::ActivationFormat;
  const int b = dnnl_backend::activation_block();
  switch (dnnl_backend::activation_format()) {
    case ActivationFormat::nChw16c: EXPECT_EQ(b, 16); break;
    case ActivationFormat::nChw8c: EXPECT_EQ(b, 8); break;
    case ActivationFormat::nhwc: EXPECT_EQ(b, 1); break;
  }
  // What a Blocked activation is in oneDNN's terms.
  const dnnl::memory::desc md = dnnl_backend::act_desc({1, 24, 5, 7}, ActLayout::Blocked);
  const auto* st = md.data.format_desc.blocking.strides;
  if (b == 1) {  // nhwc: channels innermost, no padding
    EXPECT_EQ(md.data.format_desc.blocking.inner_nblks, 0);
    EXPECT_EQ(st[1], 1);
    EXPECT_EQ(st[3], 24);
    EXPECT_EQ(st[2], 24 * 7);
    EXPECT_EQ(md.get_size(), 24u * 5 * 7 * 4);
  } else {
    EXPECT_EQ(md.data.format_desc.blocking.inner_nblks, 1);
    EXPECT_EQ(md.data.format_desc.blocking.inner_blks[0], b);
    EXPECT_EQ(md.get_size(), static_cast<size_t>((24 + b - 1) / b * b) * 5 * 7 * 4);
  }
  if (!std::getenv("DS_ACTIVATION_LAYOUT")) {  // the default follows the ISA
    const bool avx512 = dnnl::get_effective_cpu_isa() >= dnnl::cpu_isa::avx512_core &&
                        dnnl::get_effective_cpu_isa() <= dnnl::cpu_isa::avx512_core_amx;
    EXPECT_EQ(dnnl_backend::activation_format() == ActivationFormat::nhwc, avx512);
  }
}

}  // namespace
}  // namespace deepshark::testing
