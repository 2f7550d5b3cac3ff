// Layer semantics on tiny inline nets: Caffe's ceil pooling with padding counted, BatchNorm's
// scale factor folded with a following Scale, the legacy V1 form, in-place SSA names.
#include <gtest/gtest.h>

#include "unit/import_caffe/caffe_test_util.h"

namespace deepshark::caffe_test {
namespace {

std::vector<float> run_text(const std::string& text, const Tensor& x, Shape* out_shape = nullptr, std::string* out_name = nullptr) {
  Result<Graph> g = import_caffe_bytes(text, "", "", "inline");
  EXPECT_TRUE(g.ok()) << g.status().message();
  if (!g.ok()) return {};
  auto s = Session::create(std::move(g).value(), SessionOptions{});
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return {};
  std::vector<NamedTensor> out = run1(**s, x);
  if (out.empty()) return {};
  if (out_shape) *out_shape = out[0].tensor.shape();
  if (out_name) *out_name = out[0].name;
  const float* p = out[0].tensor.data<float>();
  return std::vector<float>(p, p + out[0].tensor.numel());
}

Tensor iota(Shape shape) {
  Tensor t = std::move(Tensor::create(DType::F32, shape)).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = float(i + 1);
  return t;
}

TEST(CaffeLayers, AveragePoolingRoundsUpAndCountsPadding) {
  // 1x1x3x3, kernel 2, stride 2, pad 1: Caffe gives ceil((3+2-2)/2)+1 = 3, clipped to 2 because
  // the last window would start in the padding; the divisor counts padded positions (4 each).
  const std::string net = R"(input: "data" input_shape { dim: 1 dim: 1 dim: 3 dim: 3 }
layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
        pooling_param { pool: AVE kernel_size: 2 stride: 2 pad: 1 } })";
  Shape shape;
  std::vector<float> y = run_text(net, iota({1, 1, 3, 3}), &shape);
  ASSERT_EQ(shape, (Shape{1, 1, 2, 2}));
  // windows: {1}, {2,3}, {4,7}, {5,6,8,9} over 4 padded positions each
  EXPECT_FLOAT_EQ(y[0], 1.f / 4);
  EXPECT_FLOAT_EQ(y[1], 5.f / 4);
  EXPECT_FLOAT_EQ(y[2], 11.f / 4);
  EXPECT_FLOAT_EQ(y[3], 28.f / 4);
}

TEST(CaffeLayers, BatchNormDividesByScaleFactorAndFoldsScale) {
  const std::string net = R"(input: "data" input_shape { dim: 1 dim: 2 dim: 1 dim: 1 }
layer { name: "bn" type: "BatchNorm" bottom: "data" top: "data" batch_norm_param { eps: 0 }
        blobs { shape { dim: 2 } data: 2 data: 4 }
        blobs { shape { dim: 2 } data: 8 data: 32 }
        blobs { shape { dim: 1 } data: 2 } }
layer { name: "sc" type: "Scale" bottom: "data" top: "data" scale_param { bias_term: true }
        blobs { shape { dim: 2 } data: 3 data: 5 }
        blobs { shape { dim: 2 } data: 1 data: -1 } })";
  // mean = (1, 2), var = (4, 16): y = (x - mean) / sqrt(var) * gamma + beta
  std::string name;
  std::vector<float> y = run_text(net, iota({1, 2, 1, 1}), nullptr, &name);
  ASSERT_EQ(y.size(), 2u);
  EXPECT_FLOAT_EQ(y[0], (1.f - 1.f) / 2.f * 3.f + 1.f);
  EXPECT_FLOAT_EQ(y[1], (2.f - 2.f) / 4.f * 5.f - 1.f);
  EXPECT_EQ(name, "data:1");  // in place on an input (which keeps its name); BN+Scale is one node
}

TEST(CaffeLayers, LegacyV1LayersAndInPlaceNames) {
  const std::string net = R"(input: "data" input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 4
layers { name: "p" type: POWER bottom: "data" top: "y" power_param { power: 2 scale: 2 shift: 1 } }
layers { name: "r" type: RELU bottom: "y" top: "y" relu_param { negative_slope: 0.5 } })";
  Tensor x = iota({1, 1, 1, 4});
  x.data<float>()[0] = -3;  // (1 - 6)^2 = 25
  std::string name;
  std::vector<float> y = run_text(net, x, nullptr, &name);
  ASSERT_EQ(y.size(), 4u);
  EXPECT_FLOAT_EQ(y[0], 25.f);
  EXPECT_FLOAT_EQ(y[1], 25.f);
  EXPECT_FLOAT_EQ(y[3], 81.f);
  EXPECT_EQ(name, "y");
}

}  // namespace
}  // namespace deepshark::caffe_test
