// The corrupt-file corpus (tests/corpus/tf, written by scripts/make_tf_models.py corpus): every
// file gives its specific error code and message, never a crash. Every .pb file in the folder must
// be in the table, so a new corpus file cannot be forgotten.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "import/tf/tf_importer.h"
#include "support/test_support.h"
#include "unit/import_tf/tf_test_support.h"

namespace deepshark {
namespace {

namespace fs = std::filesystem;

struct Expected {
  ErrorCode code;
  std::string substring;
};

const std::map<std::string, Expected>& corpus_table() {
  static const std::map<std::string, Expected> table = {
      {"valid_small.pb", {ErrorCode::Ok, ""}},
      {"truncated.pb", {ErrorCode::InvalidModel, "not a valid TensorFlow GraphDef (protobuf parse failed)"}},
      {"garbage.pb", {ErrorCode::InvalidModel, "not a valid TensorFlow GraphDef (protobuf parse failed)"}},
      {"content_size.pb",
       {ErrorCode::InvalidModel,
        "failed to import node 'w': tensor_content size does not match shape [4,2] of DT_FLOAT (expected 32 bytes, got 28)"}},
      {"missing_input.pb", {ErrorCode::InvalidModel, "failed to import node 'y': input 'nowhere' names no node in the graph"}},
      {"cycle.pb", {ErrorCode::InvalidModel, "failed to import node 'a': the graph has a cycle through node 'a'"}},
      {"absurd_dims.pb",
       {ErrorCode::InvalidModel, "failed to import node 'w': element count of shape [1099511627776,1099511627776] overflows"}},
      {"huge_splat.pb",
       {ErrorCode::InvalidModel,
        "failed to import node 'w': constant shape [1048576,1048576] of DT_FLOAT is too large to build from"}},
      {"negative_dim.pb", {ErrorCode::InvalidModel, "failed to import node 'w': negative dimension in shape [-4,2]"}},
      {"unknown_op.pb", {ErrorCode::Unsupported, "failed to import node 'weird': unsupported op type 'FooBar'"}},
      {"unknown_dtype.pb", {ErrorCode::Unsupported, "failed to import node 'w': unsupported data type 'DataType(57)'"}},
      {"duplicate_name.pb", {ErrorCode::InvalidModel, "failed to import node 'y': the name is used by more than one node"}},
      {"output_index.pb",
       {ErrorCode::InvalidModel, "failed to import node 'y': input 'w:3' is not an output the importer produces for node 'w'"}},
      {"placeholder_dim.pb", {ErrorCode::InvalidModel, "failed to import node 'x': negative dimension -7 in the input shape"}},
      {"no_nodes.pb", {ErrorCode::InvalidModel, "the graph has no nodes"}},
  };
  return table;
}

std::string corpus_dir() { return testing::source_dir() + "/tests/corpus/tf"; }

TEST(TfCorpus, EveryFileGivesItsError) {
  for (const auto& [file, want] : corpus_table()) {
    SCOPED_TRACE(file);
    const std::string path = corpus_dir() + "/" + file;
    ASSERT_TRUE(fs::exists(path)) << path;
    Result<Graph> g = import_tf(path);
    if (want.code == ErrorCode::Ok) {
      EXPECT_TRUE(g.ok()) << g.status().to_string();
      continue;
    }
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(g.status().code(), want.code) << g.status().to_string();
    EXPECT_NE(g.status().message().find(want.substring), std::string::npos) << g.status().message();
    EXPECT_EQ(g.status().message().rfind("failed to import model '" + path + "': ", 0), 0u) << g.status().message();
  }
}

TEST(TfCorpus, EveryCorpusFileIsInTheTable) {
  for (const auto& e : fs::directory_iterator(corpus_dir())) {
    EXPECT_TRUE(corpus_table().count(e.path().filename().string())) << e.path();
  }
}

TEST(TfCorpus, EveryPrefixOfAValidFileFailsCleanly) {
  Result<std::string> bytes = Status(ErrorCode::Internal, "unread");
  {
    std::ifstream f(corpus_dir() + "/valid_small.pb", std::ios::binary);
    bytes = std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  }
  for (size_t n = 0; n < bytes->size(); ++n) {
    Result<Graph> g = import_tf_bytes(bytes->substr(0, n), "prefix");
    if (!g.ok()) {
      EXPECT_NE(g.status().code(), ErrorCode::Internal) << g.status().to_string();
    }
  }
}

// Splats (one value for a whole shape) draw on one budget for the graph: 64 splat constants of
// 1 MiB fit, the 65th does not, however few bytes each takes in the file (docs/robustness.md).
TEST(TfCorpus, SplatsShareOneBudget) {
  auto graph = [](int splats) {
    tf::GraphDef g;
    (*testing::add_node(g, "x", "Placeholder", {})->mutable_attr())["dtype"].set_type(tf::DT_FLOAT);
    std::string y = "x";
    for (int i = 0; i < splats; ++i) {
      const std::string k = std::to_string(i);
      tf::TensorProto t = testing::float_tensor({256, 1024}, {});
      t.add_float_val(1.f);
      testing::add_const(g, "c" + k, t);
      testing::add_node(g, "add" + k, "Add", {y, "c" + k});
      y = "add" + k;
    }
    return testing::serialize(g);
  };
  Result<Graph> ok = import_tf_bytes(graph(64), "splats");
  EXPECT_TRUE(ok.ok()) << ok.status().to_string();
  Result<Graph> over = import_tf_bytes(graph(65), "splats");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), ErrorCode::InvalidModel);
  EXPECT_NE(over.status().message().find("failed to import node 'c64': constant shape [256,1024] of DT_FLOAT is too large "
                                         "to build from"),
            std::string::npos)
      << over.status().message();
  EXPECT_NE(over.status().message().find("(expected <= 0 bytes (what is left of 67108864 for the graph's splats), got 1048576)"),
            std::string::npos)
      << over.status().message();
}

TEST(TfCorpus, MissingFileIsIOError) {
  Result<Graph> g = import_tf(corpus_dir() + "/does_not_exist.pb");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), ErrorCode::IOError);
}

TEST(TfCorpus, OpReportListsUnsupportedWithoutFailing) {
  Result<std::vector<std::string>> r = tf_op_report(corpus_dir() + "/unknown_op.pb");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(*r, (std::vector<std::string>{"Placeholder 1 supported", "Const 1 supported", "MatMul 1 supported",
                                          "FooBar 1 unsupported"}));
}

}  // namespace
}  // namespace deepshark
