// Op-level tests: small NHWC GraphDefs built in memory, run through import + prepare + session,
// against naive NHWC loops written here (TensorFlow semantics: SAME pads the odd pixel at the end,
// SAME average pooling divides by the pixels inside the image).
#include <gtest/gtest.h>

#include <cmath>

#include "import/tf/tf_importer.h"
#include "unit/import_tf/tf_test_support.h"

namespace deepshark {
namespace {

using namespace testing;

std::vector<float> seq(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

struct Conv {
  int n = 1, h = 0, w = 0, c = 0, kh = 0, kw = 0, m = 0;  // m: out channels (or multiplier)
  int stride = 1, dil = 1;
  bool same = false, depthwise = false;
};

int out_size(int in, int k, int s, int d, bool same) {
  const int ek = (k - 1) * d + 1;
  return same ? (in + s - 1) / s : (in - ek) / s + 1;
}

// NHWC input, HWIO (or H,W,C,M) filter, TF padding.
std::vector<float> naive_conv(const Conv& p, const std::vector<float>& x, const std::vector<float>& f) {
  const int oh = out_size(p.h, p.kh, p.stride, p.dil, p.same), ow = out_size(p.w, p.kw, p.stride, p.dil, p.same);
  const int ek_h = (p.kh - 1) * p.dil + 1, ek_w = (p.kw - 1) * p.dil + 1;
  const int pt = p.same ? std::max((oh - 1) * p.stride + ek_h - p.h, 0) / 2 : 0;
  const int pl = p.same ? std::max((ow - 1) * p.stride + ek_w - p.w, 0) / 2 : 0;
  const int oc = p.depthwise ? p.c * p.m : p.m;
  std::vector<float> y(static_cast<size_t>(p.n * oh * ow * oc), 0.f);
  for (int b = 0; b < p.n; ++b)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < ow; ++j)
        for (int o = 0; o < oc; ++o) {
          double acc = 0;
          for (int u = 0; u < p.kh; ++u)
            for (int v = 0; v < p.kw; ++v) {
              const int yy = i * p.stride + u * p.dil - pt, xx = j * p.stride + v * p.dil - pl;
              if (yy < 0 || yy >= p.h || xx < 0 || xx >= p.w) continue;
              if (p.depthwise) {
                const int ci = o / p.m, mi = o % p.m;
                acc += x[((b * p.h + yy) * p.w + xx) * p.c + ci] * f[((u * p.kw + v) * p.c + ci) * p.m + mi];
              } else {
                for (int ci = 0; ci < p.c; ++ci) acc += x[((b * p.h + yy) * p.w + xx) * p.c + ci] * f[((u * p.kw + v) * p.c + ci) * p.m + o];
              }
            }
          y[((b * oh + i) * ow + j) * oc + o] = static_cast<float>(acc);
        }
  return y;
}

tf::GraphDef conv_graph(const Conv& p, const std::vector<float>& f, const std::string& extra = "") {
  tf::GraphDef g;
  add_node(g, "x", "Placeholder", {});
  add_const(g, "f", float_tensor({p.kh, p.kw, p.c, p.m}, f));
  tf::NodeDef* n = add_node(g, "y", p.depthwise ? "DepthwiseConv2dNative" : "Conv2D", {"x", "f"});
  set_ints(n, "strides", {1, p.stride, p.stride, 1});
  set_ints(n, "dilations", {1, p.dil, p.dil, 1});
  set_string(n, "padding", p.same ? "SAME" : "VALID");
  return g;
}

Tensor run_one_input(const tf::GraphDef& gd, const Shape& shape, const std::vector<float>& x, bool dnnl = true) {
  auto g = import_tf_bytes(serialize(gd), "test");
  EXPECT_TRUE(g.ok()) << g.status().to_string();
  if (!g.ok()) return {};
  Tensor in = Tensor::from_values<float>(shape, x);
  auto out = run_graph(std::move(*g), {{"x", shape}}, {{"x", in}}, dnnl);
  return out.empty() ? Tensor() : out[0].tensor;
}

double max_diff(const Tensor& t, const std::vector<float>& ref) {
  EXPECT_EQ(static_cast<size_t>(t.numel()), ref.size());
  if (static_cast<size_t>(t.numel()) != ref.size()) return 1e9;
  double m = 0;
  for (size_t i = 0; i < ref.size(); ++i) m = std::max(m, static_cast<double>(std::fabs(t.data<float>()[i] - ref[i])));
  return m;
}

TEST(TfOps, ConvSweepMatchesNaiveNhwc) {
  for (bool dw : {false, true})
    for (bool same : {false, true})
      for (int stride : {1, 2})
        for (int dil : {1, 2})
          for (bool dnnl : {false, true}) {
            Conv p;
            p.n = 2, p.h = 7, p.w = 6, p.c = 3, p.kh = 3, p.kw = 2, p.m = dw ? 2 : 5;
            p.stride = stride, p.dil = dil, p.same = same, p.depthwise = dw;
            if (dil > 1 && stride > 1) continue;  // TF refuses both > 1
            auto x = seq(static_cast<size_t>(p.n * p.h * p.w * p.c), 1), f = seq(static_cast<size_t>(p.kh * p.kw * p.c * p.m), 2);
            Tensor y = run_one_input(conv_graph(p, f), {p.n, p.h, p.w, p.c}, x, dnnl);
            EXPECT_LE(max_diff(y, naive_conv(p, x, f)), 1e-5)
                << "dw=" << dw << " same=" << same << " stride=" << stride << " dil=" << dil << " dnnl=" << dnnl;
          }
}

TEST(TfOps, BiasRelu6AndOutputsComeBackNhwc) {
  Conv p;
  p.h = 5, p.w = 5, p.c = 2, p.kh = 3, p.kw = 3, p.m = 3, p.same = true;
  auto x = seq(50, 3), f = seq(54, 4);
  tf::GraphDef g = conv_graph(p, f);
  g.mutable_node(2)->set_name("conv");
  add_const(g, "b", float_tensor({3}, {4.f, -0.5f, 0.25f}));
  add_node(g, "ba", "BiasAdd", {"conv", "b"});
  add_node(g, "y", "Relu6", {"ba"});
  Tensor y = run_one_input(g, {1, 5, 5, 2}, x);
  EXPECT_EQ(y.shape(), (Shape{1, 5, 5, 3}));
  std::vector<float> ref = naive_conv(p, x, f);
  for (size_t i = 0; i < ref.size(); ++i) ref[i] = std::min(6.f, std::max(0.f, ref[i] + std::vector<float>{4.f, -0.5f, 0.25f}[i % 3]));
  EXPECT_LE(max_diff(y, ref), 1e-5);
}

TEST(TfOps, AvgPoolSameExcludesPadding) {
  tf::GraphDef g;
  add_node(g, "x", "Placeholder", {});
  tf::NodeDef* n = add_node(g, "y", "AvgPool", {"x"});
  set_ints(n, "ksize", {1, 3, 3, 1});
  set_ints(n, "strides", {1, 2, 2, 1});
  set_string(n, "padding", "SAME");
  auto x = seq(50, 5);  // [1,5,5,2]
  Tensor y = run_one_input(g, {1, 5, 5, 2}, x);
  ASSERT_EQ(y.shape(), (Shape{1, 3, 3, 2}));
  std::vector<float> ref;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int c = 0; c < 2; ++c) {
        double s = 0;
        int cnt = 0;
        for (int u = 0; u < 3; ++u)
          for (int v = 0; v < 3; ++v) {
            int yy = 2 * i + u - 1, xx = 2 * j + v - 1;
            if (yy < 0 || yy >= 5 || xx < 0 || xx >= 5) continue;
            s += x[(yy * 5 + xx) * 2 + c];
            ++cnt;
          }
        ref.push_back(static_cast<float>(s / cnt));
      }
  EXPECT_LE(max_diff(y, ref), 1e-6);
}

TEST(TfOps, SpaceToBatchConvBatchToSpaceIsADilatedConv) {
  Conv p;
  p.h = 9, p.w = 8, p.c = 2, p.kh = 3, p.kw = 3, p.m = 4, p.dil = 2, p.same = true;
  auto x = seq(144, 6), f = seq(72, 7);
  tf::GraphDef g;
  add_node(g, "x", "Placeholder", {});
  add_const(g, "f", float_tensor({3, 3, 2, 4}, f));
  add_const(g, "block", int_tensor({2}, {2, 2}));
  // TF's atrous conv: pad 2 each side, plus extra bottom/right to make sizes divisible by 2.
  add_const(g, "pads", int_tensor({2, 2}, {2, 3, 2, 2}));
  add_const(g, "crops", int_tensor({2, 2}, {0, 1, 0, 0}));
  add_node(g, "s2b", "SpaceToBatchND", {"x", "block", "pads"});
  tf::NodeDef* n = add_node(g, "conv", "Conv2D", {"s2b", "f"});
  set_ints(n, "strides", {1, 1, 1, 1});
  set_string(n, "padding", "VALID");
  add_node(g, "y", "BatchToSpaceND", {"conv", "block", "crops"});
  auto imported = import_tf_bytes(serialize(g), "dilated");
  ASSERT_TRUE(imported.ok()) << imported.status().to_string();
  int convs = 0;
  for (const Node& nd : imported->nodes) {
    if (nd.op != OpType::Conv) continue;
    ++convs;
    EXPECT_EQ(nd.attrs.get_ints("dilations"), (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(nd.attrs.get_ints("pads"), (std::vector<int64_t>{2, 2, 2, 2}));
  }
  EXPECT_EQ(convs, 1);
  Tensor y = run_one_input(g, {1, 9, 8, 2}, x);
  EXPECT_LE(max_diff(y, naive_conv(p, x, f)), 1e-5);
  // A second BatchToSpaceND on the same convolution would read the rewritten node: refused.
  add_node(g, "y2", "BatchToSpaceND", {"conv", "block", "crops"});
  auto twice = import_tf_bytes(serialize(g), "dilated");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), ErrorCode::Unsupported);
  EXPECT_NE(twice.status().message().find("BatchToSpaceND is supported only after a convolution on SpaceToBatchND"), std::string::npos) << twice.status().message();
}

TEST(TfOps, FlattenThroughShapeArithmeticAndMeanSoftmax) {
  tf::GraphDef g;
  add_node(g, "x", "Placeholder", {});
  add_node(g, "r", "Relu", {"x"});
  add_node(g, "shape", "Shape", {"r"});
  add_const(g, "b0", int_tensor({1}, {0}));
  add_const(g, "b1", int_tensor({1}, {1}));
  tf::NodeDef* ss = add_node(g, "batch", "StridedSlice", {"shape", "b0", "b1", "b1"});
  (*ss->mutable_attr())["shrink_axis_mask"].set_i(1);
  add_const(g, "minus1", int_tensor({}, {-1}));
  add_node(g, "pack", "Pack", {"batch", "minus1"});
  add_node(g, "flat", "Reshape", {"r", "pack"});
  add_const(g, "axes", int_tensor({1}, {1}));
  add_node(g, "mean", "Mean", {"flat", "axes"});
  add_const(g, "two", float_tensor({}, {2.f}));
  add_node(g, "scaled", "Mul", {"mean", "two"});
  add_node(g, "y", "Identity", {"scaled"});
  auto x = seq(2 * 3 * 4 * 5, 8);
  Tensor y = run_one_input(g, {2, 3, 4, 5}, x);
  std::vector<float> ref;
  for (int b = 0; b < 2; ++b) {
    double s = 0;
    for (int i = 0; i < 60; ++i) s += std::max(0.f, x[b * 60 + i]);
    ref.push_back(static_cast<float>(2 * s / 60));
  }
  EXPECT_EQ(y.shape(), (Shape{2}));
  EXPECT_LE(max_diff(y, ref), 1e-5);
}

TEST(TfOps, ReductionsAndConcatRemapAxesOnNchwValues) {
  // conv (-> NCHW inside) then ConcatV2 on axis 3 (channels) and Mean over H,W without keep_dims.
  Conv p;
  p.h = 4, p.w = 3, p.c = 2, p.kh = 1, p.kw = 1, p.m = 3;
  auto x = seq(24, 9), f = seq(6, 10);
  tf::GraphDef g = conv_graph(p, f);
  g.mutable_node(2)->set_name("conv");
  add_node(g, "relu", "Relu", {"conv"});
  add_const(g, "axis", int_tensor({}, {3}));
  tf::NodeDef* cat = add_node(g, "cat", "ConcatV2", {"conv", "relu", "axis"});
  (*cat->mutable_attr())["N"].set_i(2);
  add_const(g, "hw", int_tensor({2}, {1, 2}));
  add_node(g, "gap", "Mean", {"cat", "hw"});
  add_node(g, "y", "Softmax", {"gap"});
  Tensor y = run_one_input(g, {1, 4, 3, 2}, x);
  ASSERT_EQ(y.shape(), (Shape{1, 6}));
  std::vector<float> c = naive_conv(p, x, f);  // [1,4,3,3]
  std::vector<double> m(6, 0);
  for (int i = 0; i < 12; ++i)
    for (int k = 0; k < 3; ++k) {
      m[k] += c[i * 3 + k] / 12.0;
      m[3 + k] += std::max(0.f, c[i * 3 + k]) / 12.0;
    }
  double z = 0;
  for (double v : m) z += std::exp(v);
  std::vector<float> ref;
  for (double v : m) ref.push_back(static_cast<float>(std::exp(v) / z));
  EXPECT_LE(max_diff(y, ref), 1e-6);
  // Only the input goes to NCHW: Concat and the reduction stay NCHW with remapped axes.
  auto imported = import_tf_bytes(serialize(g), "t");
  ASSERT_TRUE(imported.ok());
  int transposes = 0;
  for (const Node& n : imported->nodes) transposes += n.op == OpType::Transpose;
  EXPECT_EQ(transposes, 1);
}

TEST(TfOps, DequantizeQuint8FoldsToFloatConstants) {
  for (const char* mode : {"MIN_COMBINED", "MIN_FIRST"}) {
    tf::GraphDef g;
    add_node(g, "x", "Placeholder", {});
    tf::TensorProto q;
    q.set_dtype(tf::DT_QUINT8);
    q.mutable_tensor_shape()->add_dim()->set_size(3);
    q.set_tensor_content(std::string("\x00\x80\xff", 3));
    add_const(g, "q", q);
    add_const(g, "lo", float_tensor({}, {-1.f}));
    add_const(g, "hi", float_tensor({}, {2.f}));
    tf::NodeDef* d = add_node(g, "deq", "Dequantize", {"q", "lo", "hi"});
    set_string(d, "mode", mode);
    (*d->mutable_attr())["T"].set_type(tf::DT_QUINT8);
    add_node(g, "y", "Add", {"x", "deq"});
    Tensor y = run_one_input(g, {3}, {0.f, 0.f, 0.f});
    // quint8: both modes give min + q * (max - min) / 255 (MIN_FIRST rounds min to a step: -1 is one).
    const float step = 3.f / 255.f;
    EXPECT_LE(max_diff(y, {-1.f, -1.f + 128 * step, 2.f}), 1e-5) << mode;
  }
}

TEST(TfOps, UnsupportedOpAndTrainingBatchNormAreNamed) {
  tf::GraphDef g;
  add_node(g, "x", "Placeholder", {});
  add_node(g, "y", "Erfinv", {"x"});
  auto r = import_tf_bytes(serialize(g), "m.pb");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::Unsupported);
  EXPECT_EQ(r.status().message(), "failed to import model 'm.pb': failed to import node 'y': unsupported op type 'Erfinv'");
  tf::GraphDef b;
  add_node(b, "x", "Placeholder", {});
  for (const char* n : {"s", "o", "m", "v"}) add_const(b, n, float_tensor({1}, {1.f}));
  tf::NodeDef* bn = add_node(b, "bn", "FusedBatchNormV3", {"x", "s", "o", "m", "v"});
  (*bn->mutable_attr())["is_training"].set_b(true);
  r = import_tf_bytes(serialize(b), "m.pb");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("failed to import node 'bn': is_training must be false"), std::string::npos);
}

}  // namespace
}  // namespace deepshark
