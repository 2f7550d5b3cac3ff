// UltraFace RFB-320 and slim-320 from Caffe: the same outputs as their ONNX twins within 1e-4 and
// as OpenCV DNN's reference (its .npz is unpacked into .npy files under the build dir at test time).
#include <gtest/gtest.h>

#include <cstdlib>

#include "support/test_support.h"
#include "unit/import_caffe/caffe_test_util.h"

namespace deepshark::caffe_test {
namespace {

// Unpacks <npz> into <dir>/<key>.npy with Debian's python3; false when that is not possible.
bool unpack_npz(const std::string& npz, const std::string& dir) {
  std::string cmd = "mkdir -p '" + dir + "' && /usr/bin/python3 -c \"import numpy as np, sys; z = np.load(sys.argv[1]); "
                    "[np.save(sys.argv[2] + '/' + k + '.npy', z[k]) for k in z.files]\" '" + npz + "' '" + dir + "' 2>/dev/null";
  return std::system(cmd.c_str()) == 0;
}

class CaffeUltraface : public ::testing::TestWithParam<std::string> {};

TEST_P(CaffeUltraface, MatchesOnnxTwinAndOpenCv) {
  const std::string name = GetParam();
  const std::string caffe = ultraface_dir() + "/caffe/" + name;
  const std::string ref_dir = std::string(DS_BINARY_DIR) + "/caffe_refs/" + name;
  if (!unpack_npz(caffe + ".caffemodel.imgs1_ref_opencv.npz", ref_dir)) GTEST_SKIP() << "cannot unpack the OpenCV reference";
  Result<Tensor> input = read_npy(ref_dir + "/input.npy");
  ASSERT_TRUE(input.ok()) << input.status().message();

  auto cs = open_caffe(caffe + ".prototxt", caffe + ".caffemodel", "");
  auto os = open_model(ultraface_dir() + "/onnx/version-" + name + "_without_postprocessing.onnx");
  ASSERT_TRUE(cs && os);
  std::vector<NamedTensor> c = run1(*cs, *input);
  std::vector<NamedTensor> o = run1(*os, *input);
  ASSERT_EQ(c.size(), 2u);
  ASSERT_EQ(o.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    SCOPED_TRACE(c[i].name);
    Result<Tensor> ref = read_npy(ref_dir + "/" + c[i].name + ".npy");
    ASSERT_TRUE(ref.ok()) << ref.status().message();
    ASSERT_EQ(c[i].tensor.shape(), ref->shape());
    // The ONNX twin lists its outputs in another order: match by name.
    const NamedTensor& twin = o[0].name == c[i].name ? o[0] : o[1];
    ASSERT_EQ(twin.name, c[i].name);
    ASSERT_EQ(c[i].tensor.shape(), twin.tensor.shape());
    EXPECT_LE(testing::max_abs_diff(c[i].tensor.view(), twin.tensor.view()), 1e-4);
    EXPECT_LE(testing::max_abs_diff(c[i].tensor.view(), ref->view()), 1e-4);
  }
  EXPECT_EQ(c[0].name, "boxes");
  EXPECT_EQ(c[1].name, "scores");
}

INSTANTIATE_TEST_SUITE_P(Models, CaffeUltraface, ::testing::Values("RFB-320", "slim-320"),
                         [](const auto& info) { std::string s = info.param; for (char& ch : s) if (ch == '-') ch = '_'; return s; });

}  // namespace
}  // namespace deepshark::caffe_test
