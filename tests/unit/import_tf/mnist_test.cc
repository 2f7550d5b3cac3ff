// The LeNet-5 frozen GraphDef from ../shared/models/mnist/tf: exactly 99.23 % top-1 on the 10,000
// test images, logits within 1e-5 of the float64 NumPy forward pass and of OpenCV DNN.
#include <gtest/gtest.h>

#include <cmath>

#include "base/npy.h"
#include "import/tf/tf_importer.h"
#include "unit/import_tf/tf_test_support.h"

namespace deepshark {
namespace {

using namespace testing;

struct MnistRun {
  int correct = 0;
  double max_diff_f64 = 0, max_diff_cv = 0;
};

MnistRun run_mnist(bool use_dnnl, int limit) {
  MnistRun r;
  const std::string dir = shared_models_dir() + "/mnist";
  std::vector<int> idims, ldims;
  std::vector<uint8_t> pixels = read_idx_gz(dir + "/data/t10k-images-idx3-ubyte.gz", 2051, &idims);
  std::vector<uint8_t> labels = read_idx_gz(dir + "/data/t10k-labels-idx1-ubyte.gz", 2049, &ldims);
  EXPECT_EQ(pixels.size(), 10000u * 28 * 28);
  EXPECT_EQ(labels.size(), 10000u);
  if (pixels.size() != 10000u * 28 * 28 || labels.size() != 10000u) return r;
  auto ref64 = read_npy(dir + "/tf/ref_logits_numpy_f64.npy");
  auto refcv = read_npy(dir + "/tf/ref_logits_opencv.npy");
  EXPECT_TRUE(ref64.ok() && refcv.ok());
  if (!ref64.ok() || !refcv.ok()) return r;
  EXPECT_EQ(ref64->dtype(), DType::F64);
  EXPECT_EQ(refcv->dtype(), DType::F32);

  const int batch = 500;
  SessionOptions o;
  o.input_shapes = {{"in", {batch, 28, 28, 1}}};
  o.use_dnnl = use_dnnl;
  auto s = Session::open(dir + "/tf/lenet5_mnist_frozen.pb", o);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  if (!s.ok()) return r;
  EXPECT_EQ((*s)->outputs().size(), 1u);
  EXPECT_EQ((*s)->outputs()[0].name, "out");
  auto input = Tensor::create(DType::F32, {batch, 28, 28, 1});
  for (int b0 = 0; b0 < limit; b0 += batch) {
    float* x = input->data<float>();
    for (int i = 0; i < batch * 784; ++i) x[i] = static_cast<float>(pixels[static_cast<size_t>(b0) * 784 + i]) / 255.f;
    auto out = (*s)->run({{"in", *input}});
    EXPECT_TRUE(out.ok()) << out.status().to_string();
    if (!out.ok()) return r;
    const Tensor& y = (*out)[0].tensor;
    EXPECT_EQ(y.shape(), (Shape{batch, 10}));
    const float* p = y.data<float>();
    for (int b = 0; b < batch; ++b) {
      const int img = b0 + b;
      int best = 0;
      for (int k = 0; k < 10; ++k) {
        if (p[b * 10 + k] > p[b * 10 + best]) best = k;
        r.max_diff_f64 = std::max(r.max_diff_f64, std::fabs(p[b * 10 + k] - ref64->data<double>()[img * 10 + k]));
        r.max_diff_cv = std::max(r.max_diff_cv, static_cast<double>(std::fabs(p[b * 10 + k] - refcv->data<float>()[img * 10 + k])));
      }
      r.correct += best == labels[static_cast<size_t>(img)];
    }
  }
  return r;
}

TEST(TfMnist, LeNet5Gives9923PercentAndMatchesReferences) {
  DS_REQUIRE_SHARED_MODELS();
  MnistRun r = run_mnist(/*use_dnnl=*/true, 10000);
  EXPECT_EQ(r.correct, 9923) << "top-1 " << r.correct / 100.0 << " %";
  EXPECT_LE(r.max_diff_f64, 1e-5);
  EXPECT_LE(r.max_diff_cv, 1e-5);
}

TEST(TfMnist, ReferenceKernelsAgree) {
  DS_REQUIRE_SHARED_MODELS();
  MnistRun r = run_mnist(/*use_dnnl=*/false, 1000);
  EXPECT_LE(r.max_diff_f64, 1e-5);
  EXPECT_LE(r.max_diff_cv, 1e-5);
}

TEST(TfMnist, GraphHasNhwcBoundaryTransposesOnly) {
  DS_REQUIRE_SHARED_MODELS();
  auto g = import_tf(shared_models_dir() + "/mnist/tf/lenet5_mnist_frozen.pb");
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  int transposes = 0, convs = 0;
  for (const Node& n : g->nodes) {
    transposes += n.op == OpType::Transpose;
    convs += n.op == OpType::Conv;
  }
  // One into NCHW at the input, one back to NHWC before the Reshape: none around each op.
  EXPECT_EQ(transposes, 2);
  EXPECT_EQ(convs, 2);
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->value(g->inputs[0]).name, "in");
  EXPECT_FALSE(g->value(g->inputs[0]).shape_known);
}

}  // namespace
}  // namespace deepshark
