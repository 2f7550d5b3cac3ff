// The two Caffe LeNets on the 10,000 MNIST test images: exact published accuracy, and every
// per-image softmax within 1e-5 of OpenCV DNN's.
#include <gtest/gtest.h>

#include "unit/import_caffe/caffe_test_util.h"

namespace deepshark::caffe_test {
namespace {

struct MnistRun {
  int correct = 0;
  double max_ref_diff = 0;
};

// `transform(pixel)` gives the network input for one pixel.
template <typename F>
MnistRun run_mnist(Session& s, const Mnist& m, const Tensor& ref, F transform) {
  MnistRun r;
  const int px = m.rows * m.cols;
  Tensor x = std::move(Tensor::create(DType::F32, {1, 1, m.rows, m.cols})).value();
  for (int i = 0; i < m.count; ++i) {
    for (int j = 0; j < px; ++j) x.data<float>()[j] = transform(m.pixels[static_cast<size_t>(i) * px + j]);
    std::vector<NamedTensor> out = run1(s, x);
    if (out.size() != 1 || out[0].tensor.numel() != 10) {
      ADD_FAILURE() << "bad output for image " << i;
      return r;
    }
    const float* p = out[0].tensor.data<float>();
    int best = 0;
    for (int k = 1; k < 10; ++k) best = p[k] > p[best] ? k : best;
    r.correct += best == m.labels[static_cast<size_t>(i)];
    for (int k = 0; k < 10; ++k) {
      r.max_ref_diff = std::max(r.max_ref_diff, std::abs(double(p[k]) - ref.data<float>()[i * 10 + k]));
    }
  }
  return r;
}

TEST(CaffeMnist, LenetDeployGives9904Percent) {
  const std::string dir = mnist_dir() + "/caffe/";
  Mnist m = load_mnist_test_set();
  ASSERT_EQ(m.count, 10000) << "MNIST test set missing under " << mnist_dir();
  Result<Tensor> ref = read_npy(dir + "mnist_lenet.caffemodel.ref_prob_opencv.npy");
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  ASSERT_EQ(ref->numel(), 100000);
  // The deploy file declares batch 64, a placeholder: run one image at a time.
  CaffeImportOptions opt;
  opt.input_shapes["data"] = {1, 1, 28, 28};
  auto s = open_caffe(dir + "deploy.prototxt", dir + "mnist_lenet.caffemodel", "", opt);
  ASSERT_TRUE(s);
  MnistRun r = run_mnist(*s, m, *ref, [](uint8_t v) { return float(v) * 0.00390625f; });
  EXPECT_EQ(r.correct, 9904);
  EXPECT_LE(r.max_ref_diff, 1e-5);
}

TEST(CaffeMnist, MeanFileModelGives9914Percent) {
  const std::string dir = mnist_dir() + "/caffe/";
  Mnist m = load_mnist_test_set();
  ASSERT_EQ(m.count, 10000);
  Result<Tensor> ref = read_npy(dir + "mnist.caffemodel.ref_prob_opencv.npy");
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  // Opened through the public API as `deepshark run` does: the prototxt scales by 0.0125 itself.
  SessionOptions so;
  so.weights_path = dir + "mnist.caffemodel";
  so.mean_path = dir + "mnist_mean.binaryproto";
  auto opened = Session::open(dir + "mnist.prototxt", so);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  MnistRun r = run_mnist(**opened, m, *ref, [](uint8_t v) { return 255.f - float(v); });
  EXPECT_EQ(r.correct, 9914);
  EXPECT_LE(r.max_ref_diff, 1e-5);
}

TEST(CaffeMnist, WeightsAreRequiredForLayersWithBlobs) {
  const std::string dir = mnist_dir() + "/caffe/";
  Result<Graph> g = import_caffe(dir + "deploy.prototxt", "", "");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), ErrorCode::InvalidModel);
  EXPECT_NE(g.status().message().find("layer 'conv1'"), std::string::npos) << g.status().message();
  EXPECT_NE(g.status().message().find(".caffemodel"), std::string::npos) << g.status().message();
}

}  // namespace
}  // namespace deepshark::caffe_test
