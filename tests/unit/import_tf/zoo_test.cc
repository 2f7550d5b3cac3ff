// Larger architectures written by scripts/make_tf_models.py (VGG-16, ResNet-50, MobileNetV2 with
// seeded torchvision weights as NHWC frozen GraphDefs): DeepShark's output matches the torch model
// and OpenCV DNN (an independent TensorFlow reader) within 1e-4 of the output scale. Skipped with a
// message when the generated files are absent:
//   /usr/bin/python3 scripts/make_tf_models.py models build/models/tf
#include <gtest/gtest.h>

#include <filesystem>

#include "base/npy.h"
#include "import/tf/tf_importer.h"
#include "unit/import_tf/tf_test_support.h"

namespace deepshark {
namespace {

using namespace testing;

std::string tf_models_dir() {
  std::string d = generated_models_dir();
  if (d.empty() || !std::filesystem::exists(d + "/tf/resnet50.pb")) return "";
  return d + "/tf";
}

class TfZoo : public ::testing::TestWithParam<std::string> {};

TEST_P(TfZoo, MatchesTorchAndOpenCv) {
  const std::string dir = tf_models_dir();
  if (dir.empty()) GTEST_SKIP() << "generated TF models absent: run /usr/bin/python3 scripts/make_tf_models.py models build/models/tf";
  const std::string name = GetParam();
  auto x = read_npy(dir + "/" + name + ".input.npy");
  auto ref_torch = read_npy(dir + "/" + name + ".ref_torch.npy");
  auto ref_cv = read_npy(dir + "/" + name + ".ref_opencv.npy");
  ASSERT_TRUE(x.ok() && ref_torch.ok() && ref_cv.ok());
  SessionOptions o;
  o.threads = 2;
  auto s = Session::open(dir + "/" + name + ".pb", o);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  auto out = (*s)->run({{"input", *x}});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].name, "output");
  expect_near_references((*out)[0].tensor, {&*ref_torch, &*ref_cv}, 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Models, TfZoo, ::testing::Values("vgg16", "resnet50", "mobilenet_v2"));

}  // namespace
}  // namespace deepshark
