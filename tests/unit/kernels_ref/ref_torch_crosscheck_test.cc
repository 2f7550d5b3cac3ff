// Cross-checks against cases generated once by PyTorch (data/make_ref_cases.py; parameter
// layouts are documented there). Tolerance: 1e-5 relative to the output's scale.
#include <filesystem>

#include "ref_test_util.h"
#include "support/test_support.h"

namespace deepshark::testing {
namespace {

std::string data_path(const std::string& name, const std::string& part) {
  return source_dir() + "/tests/unit/kernels_ref/data/" + name + "_" + part + ".npy";
}

Tensor load(const std::string& name, const std::string& part) {
  auto t = read_npy(data_path(name, part));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : Tensor();
}

std::vector<int64_t> params(const std::string& name) {
  Tensor p = load(name, "p");
  return std::vector<int64_t>(p.data<int64_t>(), p.data<int64_t>() + p.numel());
}

void expect_matches(RefOp& op, const Tensor& want, const std::string& name) {
  Status s = op.run();
  ASSERT_TRUE(s.ok()) << name << ": " << s.message();
  const double scale = std::max(1.0, max_abs(want.view()));
  EXPECT_LE(max_abs_diff(op.result(0).view(), want.view()), 1e-5 * scale) << "case " << name;
}

TEST(RefTorchCrossCheck, Conv) {
  for (const char* name : {"conv_basic", "conv_groups_asym", "conv_depthwise_dil", "conv_prime"}) {
    SCOPED_TRACE(name);
    auto p = params(name);
    ASSERT_EQ(p.size(), 9u);
    Tensor y = load(name, "y");
    RefOp op(OpType::Conv);
    op.in(load(name, "x")).in(load(name, "w")).in(load(name, "b")).out(DType::F32, y.shape());
    op.attr("group", p[0]).attr("strides", std::vector<int64_t>{p[1], p[2]});
    op.attr("dilations", std::vector<int64_t>{p[3], p[4]});
    op.attr("pads", std::vector<int64_t>{p[5], p[6], p[7], p[8]});
    expect_matches(op, y, name);
  }
}

TEST(RefTorchCrossCheck, ConvTranspose) {
  for (const char* name : {"convt_groups", "convt_mixed", "convt_prime"}) {
    SCOPED_TRACE(name);
    auto p = params(name);
    ASSERT_EQ(p.size(), 9u);
    Tensor y = load(name, "y");
    RefOp op(OpType::ConvTranspose);
    op.in(load(name, "x")).in(load(name, "w")).in(load(name, "b")).out(DType::F32, y.shape());
    op.attr("group", p[0]).attr("strides", std::vector<int64_t>{p[1], p[2]});
    op.attr("dilations", std::vector<int64_t>{p[3], p[4]});
    op.attr("pads", std::vector<int64_t>{p[5], p[6], p[5], p[6]});
    op.attr("output_padding", std::vector<int64_t>{p[7], p[8]});
    expect_matches(op, y, name);
  }
}

TEST(RefTorchCrossCheck, MaxPool) {
  for (const char* name : {"maxpool_basic", "maxpool_dil_ceil", "maxpool_ceil"}) {
    SCOPED_TRACE(name);
    auto p = params(name);
    ASSERT_EQ(p.size(), 9u);
    Tensor y = load(name, "y");
    RefOp op(OpType::MaxPool);
    op.in(load(name, "x")).out(DType::F32, y.shape());
    op.attr("kernel_shape", std::vector<int64_t>{p[0], p[1]}).attr("strides", std::vector<int64_t>{p[2], p[3]});
    op.attr("dilations", std::vector<int64_t>{p[4], p[5]});
    op.attr("pads", std::vector<int64_t>{p[6], p[7], p[6], p[7]}).attr("ceil_mode", p[8]);
    expect_matches(op, y, name);
  }
}

TEST(RefTorchCrossCheck, AveragePool) {
  for (const char* name : {"avgpool_incl_pad", "avgpool_ceil_excl", "avgpool_ceil_incl"}) {
    SCOPED_TRACE(name);
    auto p = params(name);
    ASSERT_EQ(p.size(), 8u);
    Tensor y = load(name, "y");
    RefOp op(OpType::AveragePool);
    op.in(load(name, "x")).out(DType::F32, y.shape());
    op.attr("kernel_shape", std::vector<int64_t>{p[0], p[1]}).attr("strides", std::vector<int64_t>{p[2], p[3]});
    op.attr("pads", std::vector<int64_t>{p[4], p[5], p[4], p[5]}).attr("ceil_mode", p[6]);
    op.attr("count_include_pad", p[7]);
    expect_matches(op, y, name);
  }
}

TEST(RefTorchCrossCheck, LayerNormalization) {
  for (const char* name : {"layernorm_last", "layernorm_two_axes"}) {
    SCOPED_TRACE(name);
    auto p = params(name);
    ASSERT_EQ(p.size(), 1u);
    Tensor y = load(name, "y");
    RefOp op(OpType::LayerNormalization);
    op.in(load(name, "x")).in(load(name, "w")).in(load(name, "b")).out(DType::F32, y.shape());
    op.attr("axis", p[0]).attr("epsilon", 1e-5f);
    expect_matches(op, y, name);
  }
}

TEST(RefTorchCrossCheck, Resize) {
  const char* kModes[] = {"nearest", "linear"};
  const char* kCtm[] = {"asymmetric", "half_pixel", "align_corners", "pytorch_half_pixel"};
  const char* kNearest[] = {"floor", "round_prefer_ceil"};
  for (const char* name : {"resize_nearest_up", "resize_nearest_exact_down", "resize_linear_up",
                           "resize_linear_down", "resize_linear_align"}) {
    SCOPED_TRACE(name);
    auto p = params(name);
    ASSERT_EQ(p.size(), 5u);
    Tensor x = load(name, "x");
    Tensor y = load(name, "y");
    RefOp op(OpType::Resize);
    Shape sizes = {x.shape()[0], x.shape()[1], p[3], p[4]};
    op.in(x).absent().absent().in<int64_t>({4}, sizes).out(DType::F32, y.shape());
    op.attr("mode", kModes[p[0]]).attr("coordinate_transformation_mode", kCtm[p[1]]);
    op.attr("nearest_mode", kNearest[p[2]]);
    expect_matches(op, y, name);
  }
}

TEST(RefTorchCrossCheck, DataStaysSmall) {
  uint64_t total = 0;
  for (auto& e : std::filesystem::directory_iterator(source_dir() + "/tests/unit/kernels_ref/data"))
    total += e.file_size();
  EXPECT_LT(total, 200u * 1024u);
}

}  // namespace
}  // namespace deepshark::testing
