// Larger architectures written by scripts/make_caffe_models.py (VGG-16, ResNet-50 and MobileNetV2
// with seeded torchvision weights as .prototxt + .caffemodel): DeepShark's in-memory output matches
// the torch model and OpenCV DNN (an independent Caffe reader) within 1e-4 of the output scale.
// Skipped with a message when the generated files are absent:
//   /usr/bin/python3 scripts/make_caffe_models.py build/models/caffe
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "base/npy.h"
#include "deepshark/deepshark.h"
#include "support/test_support.h"

namespace deepshark {
namespace {

using namespace testing;

class CaffeLarge : public ::testing::TestWithParam<std::string> {};

TEST_P(CaffeLarge, MatchesTorchAndOpenCv) {
  const std::string name = GetParam();
  const std::string gen = generated_models_dir();
  const std::string stem = gen + "/caffe/" + name;
  if (gen.empty() || !std::filesystem::exists(stem + ".caffemodel") || !std::filesystem::exists(stem + ".ref_opencv.npy")) {
    GTEST_SKIP() << name << " (Caffe) was not generated: run /usr/bin/python3 scripts/make_caffe_models.py build/models/caffe";
  }
  auto x = read_npy(stem + ".input.npy");
  auto ref_torch = read_npy(stem + ".ref_torch.npy");
  auto ref_cv = read_npy(stem + ".ref_opencv.npy");
  ASSERT_TRUE(x.ok() && ref_torch.ok() && ref_cv.ok());
  SessionOptions o;
  o.threads = 2;
  o.weights_path = stem + ".caffemodel";
  auto s = Session::open(stem + ".prototxt", o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  auto out = (*s)->run({{"data", *x}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 1u);
  expect_near_references((*out)[0].tensor, {&*ref_torch, &*ref_cv}, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, CaffeLarge, ::testing::Values("vgg16", "resnet50", "mobilenet_v2"));

}  // namespace
}  // namespace deepshark
