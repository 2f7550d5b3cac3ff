// Conv and ConvTranspose against the reference over swept shapes (odd and prime sizes).
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

TEST(DnnlConv, SweepChannelsSpatialKernelStride) {
  for (int64_t c : {1, 3, 7, 13})
    for (int64_t hw : {1, 5, 17})
      for (int64_t k : {1, 3, 5})
        for (int64_t s : {1, 2}) {
          if (k > hw + 2) continue;
          ConvTester().input(1, c, hw, hw).output_channels(c == 13 ? 8 : 7).kernel(k).stride(s).pad(k / 2).bias(c % 2 == 1).test();
        }
}

TEST(DnnlConv, DilationsAndAsymmetricPads) {
  for (int64_t d : {1, 2})
    for (int64_t k : {3, 7})
      ConvTester().input(2, 5, 31, 17).output_channels(13).kernel(k).dilation(d).pad(1, 2).bias(true).test();
  ConvTester().input(1, 3, 17, 31).output_channels(4).kernel(3, 5).stride(2).pad(0, 1).test();
}

TEST(DnnlConv, GroupsAndDepthwise) {
  for (int64_t c : {2, 6, 64})
    for (int64_t g : {int64_t{2}, c}) {
      ConvTester().input(1, c, 17, 17).output_channels(c).kernel(3).pad(1).group(g).bias(true).test();
      ConvTester().input(1, c, 17, 17).output_channels(c).kernel(3).stride(2).pad(1).group(g).test();
    }
  // Depthwise with a channel multiplier of 2.
  ConvTester().input(1, 7, 13, 13).output_channels(14).kernel(5).pad(2).group(7).test();
}

TEST(DnnlConv, AutoPad) {
  for (const char* a : {"SAME_UPPER", "SAME_LOWER", "VALID"})
    for (int64_t s : {1, 2}) ConvTester().input(1, 3, 17, 16).output_channels(5).kernel(4).stride(s).auto_pad(a).test();
}

TEST(DnnlConv, ResNetLikeLayers) {
  ConvTester().input(1, 64, 31, 31).output_channels(64).kernel(1).bias(true).test();
  ConvTester().input(1, 64, 17, 17).output_channels(64).kernel(3).pad(1).bias(true).test();
  ConvTester().input(1, 3, 31, 31).output_channels(16).kernel(7).stride(2).pad(3).bias(true).test();
}

TEST(DnnlConv, Conv1dAnd3d) {
  OpTester(OpType::Conv).input({1, 3, 17}).constant({5, 3, 3}).constant({5}).output({1, 5, 15}).tolerance(1e-4).describe("1-D").test();
  OpTester(OpType::Conv).input({1, 2, 5, 7, 6}).constant({4, 2, 3, 3, 3}).output({1, 4, 5, 7, 6})
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1, 1, 1}).tolerance(1e-4).describe("3-D").test();
}

TEST(DnnlConv, RuntimeWeightsAreUnsupported) {
  OpTester(OpType::Conv).input({1, 3, 5, 5}).input({4, 3, 3, 3}).output({1, 4, 3, 3}).describe("runtime W").expect_unsupported();
}

TEST(DnnlConv, HugeWindowsAreLeftToTheReference) {
  // A dilation of 70000 with matching padding keeps a 28 x 28 output, but oneDNN's primitive
  // creation would precompute tables over the whole window (fuzz regression
  // dsk_open_run/conv_dilation_16M_brgconv_creation_8GB).
  OpTester(OpType::Conv).input({1, 1, 28, 28}).constant({8, 1, 5, 5}).output({1, 8, 28, 28})
      .attr("dilations", std::vector<int64_t>{1, 70000}).attr("pads", std::vector<int64_t>{2, 140000, 2, 140000})
      .describe("dilation 70000").expect_unsupported();
  OpTester(OpType::MaxPool).input({1, 8, 4, 4}).output({1, 8, 1, 1}).attr("kernel_shape", std::vector<int64_t>{2, 2})
      .attr("strides", std::vector<int64_t>{70000, 70000}).describe("stride 70000").expect_unsupported();
}

TEST(DnnlConvTranspose, Sweep) {
  for (int64_t c : {1, 3, 8})
    for (int64_t k : {1, 3, 4})
      for (int64_t s : {1, 2}) {
        ConvTester().transposed(true).input(1, c, 5, 7).output_channels(6).kernel(k).stride(s).bias(true).test();
        if (k > 1) ConvTester().transposed(true).input(1, c, 5, 7).output_channels(6).kernel(k).stride(s).pad(1).test();
      }
}

TEST(DnnlConvTranspose, GroupsDilationOutputPadding) {
  ConvTester().transposed(true).input(1, 4, 6, 6).output_channels(6).kernel(3).stride(2).pad(1).group(2).test();
  ConvTester().transposed(true).input(1, 3, 5, 5).output_channels(2).kernel(3).dilation(2).test();
  ConvTester().transposed(true).input(1, 3, 5, 5).output_channels(2).kernel(3).stride(2).pad(1).output_padding(1).test();
  ConvTester().transposed(true).input(1, 3, 5, 5).output_channels(2).kernel(4).stride(2).auto_pad("SAME_UPPER").test();
}

}  // namespace
}  // namespace deepshark::testing

namespace deepshark::testing {
namespace {
TEST(DnnlConv, NameCarriesImplementation) {
  OpTester t(OpType::Conv);
  t.input({1, 16, 9, 9}).constant({16, 16, 3, 3}).output({1, 16, 7, 7}).tolerance(1e-4).test();
  EXPECT_EQ(t.kernel_name().rfind("dnnl:convolution(", 0), 0u) << t.kernel_name();
  EXPECT_GT(t.kernel_name().size(), std::string("dnnl:convolution()").size()) << t.kernel_name();
}
}  // namespace
}  // namespace deepshark::testing

namespace deepshark::testing {
namespace {
// Plain activations would run oneDNN's im2col + gemm convolution (~20x slower for depthwise);
// the kernel reorders into a blocked copy in scratch instead, and stays exact.
TEST(DnnlConv, PlainActivationsAvoidGemmConvolution) {
  OpTester dw(OpType::Conv);
  dw.input({1, 64, 17, 17}).constant({64, 1, 3, 3}).constant({64}).output({1, 64, 17, 17})
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1}).attr("group", int64_t{64}).tolerance(1e-4).test();
  EXPECT_EQ(dw.kernel_name().find("gemm"), std::string::npos) << dw.kernel_name();
  EXPECT_NE(dw.kernel_name().find("+reorders"), std::string::npos) << dw.kernel_name();
  OpTester dense(OpType::Conv);
  dense.input({1, 32, 15, 15}).constant({48, 32, 3, 3}).output({1, 48, 15, 15})
      .attr("pads", std::vector<int64_t>{1, 1, 1, 1}).tolerance(1e-4).test();
  EXPECT_EQ(dense.kernel_name().find("gemm"), std::string::npos) << dense.kernel_name();
}
}  // namespace
}  // namespace deepshark::testing
