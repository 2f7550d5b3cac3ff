// Real trained MNIST / Fashion-MNIST models: reference outputs and exact published accuracy.
#include <gtest/gtest.h>

#include <filesystem>

#include "models/model_support.h"

namespace deepshark::testing {
namespace {

TEST(Mnist8, MatchesOnnxTestDataSet) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string dir = shared_models_dir() + "/mnist/onnx/";
  auto in = read_tensor_file(dir + "test_data_set_0/input_0.pb");
  auto want = read_tensor_file(dir + "test_data_set_0/output_0.pb");
  ASSERT_TRUE(in.ok() && want.ok());
  auto s = open_session(dir + "mnist-8.onnx", {});
  ASSERT_TRUE(s);
  auto out = run_one(*s, *in);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LE(max_abs_diff(out[0].tensor.view(), want->view()), 1e-4 * std::max(1.0, max_abs(want->view())));
}

// Runs all 10,000 test images through a 1-image-at-a-time model; returns correct count and
// checks the logits against the reference array [10000, 10].
int mnist_correct(Session& s, const IdxImages& im, const std::vector<uint8_t>& labels, const Tensor* ref,
                  double* max_diff) {
  auto x = Tensor::create(DType::F32, {1, 1, 28, 28});
  EXPECT_TRUE(x.ok());
  int correct = 0;
  *max_diff = 0;
  for (int i = 0; i < im.count; ++i) {
    float* p = x->data<float>();
    for (int k = 0; k < 784; ++k) p[k] = static_cast<float>(im.pixels[static_cast<size_t>(i) * 784 + k]) / 255.0f;
    auto out = s.run({{s.inputs()[0].name, *x}});
    if (!out.ok()) {
      ADD_FAILURE() << out.status().message();
      return -1;
    }
    const float* logits = (*out)[0].tensor.data<float>();
    correct += argmax(logits, 10) == labels[i];
    if (ref) {
      for (int k = 0; k < 10; ++k) {
        *max_diff = std::max(*max_diff, static_cast<double>(std::fabs(logits[k] - ref->data<float>()[i * 10 + k])));
      }
    }
  }
  return correct;
}

TEST(Mnist8, AccuracyIsExactly9890On10kImages) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string root = shared_models_dir() + "/mnist/";
  auto im = read_idx_images(root + "data/t10k-images-idx3-ubyte.gz");
  auto labels = read_idx_labels(root + "data/t10k-labels-idx1-ubyte.gz");
  auto ref = read_npy(root + "onnx/ref_logits_ort.npy");
  ASSERT_TRUE(im.ok() && labels.ok() && ref.ok());
  ASSERT_EQ(im->count, 10000);
  ASSERT_EQ(ref->shape(), (Shape{10000, 10}));
  for (int threads : {1, 2}) {
    SessionOptions opt;
    opt.threads = threads;
    auto s = open_session(root + "onnx/mnist-8.onnx", opt);
    ASSERT_TRUE(s);
    double diff = 0;
    EXPECT_EQ(mnist_correct(*s, *im, *labels, &*ref, &diff), 9890) << "threads " << threads;
    EXPECT_LE(diff, 1e-4) << "max |logit - ORT logit|, threads " << threads;
  }
}

TEST(FashionMnist, AccuracyIsExactly9015On10kImages) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string data = "/usr/share/datasets/fashion-mnist/";
  if (!std::filesystem::exists(data + "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "Debian package dataset-fashion-mnist is not installed (scripts/deps.sh installs it)";
  }
  auto im = read_idx_images(data + "t10k-images-idx3-ubyte.gz");
  auto labels = read_idx_labels(data + "t10k-labels-idx1-ubyte.gz");
  auto ref = read_npy(shared_models_dir() + "/fashion-mnist/ref_logsoftmax_ort.npy");
  ASSERT_TRUE(im.ok() && labels.ok() && ref.ok());
  ASSERT_EQ(ref->shape(), (Shape{10000, 10}));
  constexpr int kBatch = 100;
  SessionOptions opt;
  opt.threads = 2;
  opt.input_shapes["input"] = {kBatch, 1, 28, 28};
  auto s = open_session(shared_models_dir() + "/fashion-mnist/fashion_mnist.onnx", opt);
  ASSERT_TRUE(s);
  auto x = Tensor::create(DType::F32, {kBatch, 1, 28, 28});
  ASSERT_TRUE(x.ok());
  int correct = 0;
  double diff = 0;
  for (int b = 0; b < 10000 / kBatch; ++b) {
    for (int k = 0; k < kBatch * 784; ++k) {
      x->data<float>()[k] = static_cast<float>(im->pixels[static_cast<size_t>(b) * kBatch * 784 + k]) / 255.0f;
    }
    auto out = s->run({{"input", *x}});
    ASSERT_TRUE(out.ok()) << out.status().message();
    ASSERT_EQ((*out)[0].tensor.shape(), (Shape{kBatch, 10}));
    for (int i = 0; i < kBatch; ++i) {
      const float* row = (*out)[0].tensor.data<float>() + i * 10;
      correct += argmax(row, 10) == (*labels)[b * kBatch + i];
      for (int k = 0; k < 10; ++k) {
        diff = std::max(diff, static_cast<double>(std::fabs(row[k] - ref->data<float>()[(b * kBatch + i) * 10 + k])));
      }
    }
  }
  EXPECT_EQ(correct, 9015);
  EXPECT_LE(diff, 1e-4);
}

}  // namespace
}  // namespace deepshark::testing
