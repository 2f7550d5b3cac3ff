// Broken Caffe files (tests/corpus/caffe): each gives its own precise error, never a crash.
#include <gtest/gtest.h>

#include "support/test_support.h"
#include "unit/import_caffe/caffe_test_util.h"

namespace deepshark::caffe_test {
namespace {

struct Case {
  const char* prototxt;
  const char* caffemodel;  // "" for none; "lenet" for the shared LeNet prototxt
  ErrorCode code;
  const char* message_part;
};

class CaffeCorpus : public ::testing::TestWithParam<Case> {};

TEST_P(CaffeCorpus, GivesSpecificError) {
  const Case& c = GetParam();
  const std::string dir = testing::source_dir() + "/tests/corpus/caffe/";
  std::string proto = dir + c.prototxt;
  if (std::string(c.prototxt) == "lenet") proto = mnist_dir() + "/caffe/deploy.prototxt";
  const std::string weights = *c.caffemodel ? dir + c.caffemodel : "";
  Result<Graph> g = import_caffe(proto, weights, "");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), c.code) << g.status().message();
  EXPECT_NE(g.status().message().find(c.message_part), std::string::npos) << g.status().message();
  EXPECT_EQ(g.status().message().rfind("failed to ", 0), 0u) << g.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Files, CaffeCorpus,
    ::testing::Values(
        Case{"missing_bottom.prototxt", "", ErrorCode::InvalidModel, "layer 'relu': bottom 'nothere' is produced by no layer"},
        Case{"cycle.prototxt", "", ErrorCode::InvalidModel, "layer 'a': bottom 'b' is only produced by a later layer 'b'"},
        Case{"absurd_dims.prototxt", "", ErrorCode::InvalidModel, "absurd shape"},
        Case{"unknown_layer.prototxt", "", ErrorCode::Unsupported, "layer 'roi': unsupported layer type 'ROIPooling'"},
        Case{"duplicate_top.prototxt", "", ErrorCode::InvalidModel, "layer 'r2': top 'x' is already produced"},
        Case{"wrong_blob_size.prototxt", "", ErrorCode::InvalidModel, "layer 'conv': blob 0 blob data does not match its shape"},
        Case{"syntax_error.prototxt", "", ErrorCode::InvalidModel, "not a valid Caffe prototxt"},
        Case{"lenet", "truncated.caffemodel", ErrorCode::InvalidModel, "not a valid caffemodel"}));

TEST(CaffeLayerReport, ListsEveryTypeWithoutStoppingAtTheFirstUnsupported) {
  const std::string dir = testing::source_dir() + "/tests/corpus/caffe/";
  Result<std::vector<CaffeLayerUse>> r = caffe_layer_report(dir + "unknown_layer.prototxt");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].type, "ROIPooling");
  EXPECT_FALSE((*r)[0].supported);
  r = caffe_layer_report(ultraface_dir() + "/caffe/RFB-320.prototxt");
  ASSERT_TRUE(r.ok()) << r.status().message();
  int convs = 0;
  for (const CaffeLayerUse& u : *r) {
    EXPECT_TRUE(u.supported) << u.type;
    if (u.type == "Convolution") convs = u.count;
  }
  EXPECT_EQ(convs, 52);
}

}  // namespace
}  // namespace deepshark::caffe_test
