// The corrupt-file corpus (tests/corpus/onnx, written by scripts/make_onnx_corpus.py): every file
// must give its specific error code and message, never a crash. Every .onnx file in the folder
// must be in the table, so a new corpus file cannot be forgotten.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "import/onnx/onnx_importer.h"
#include "support/test_support.h"

namespace deepshark {
namespace {

namespace fs = std::filesystem;

struct Expected {
  ErrorCode code;
  std::string substring;
};

const std::map<std::string, Expected>& corpus_table() {
  static const std::map<std::string, Expected> table = {
      {"truncated.onnx", {ErrorCode::InvalidModel, "not a valid ONNX ModelProto"}},
      {"garbage.onnx", {ErrorCode::InvalidModel, "not a valid ONNX ModelProto"}},
      {"raw_data_size.onnx",
       {ErrorCode::InvalidModel,
        "failed to import initializer 'fc.weight': raw data size does not match shape [10,20] "
        "(expected 800 bytes, got 796)"}},
      {"typed_data_count.onnx",
       {ErrorCode::InvalidModel,
        "failed to import initializer 'w': float_data count does not match shape [2,3] (expected 6 values, got 5)"}},
      {"dangling_input.onnx", {ErrorCode::InvalidModel, "input 'nowhere' is not produced by any node"}},
      {"node_cycle.onnx", {ErrorCode::InvalidModel, "cycle through node"}},
      {"duplicate_producer.onnx",
       {ErrorCode::InvalidModel, "failed to import node 'two': value 'y' is produced by more than one node"}},
      {"external_parent.onnx", {ErrorCode::InvalidModel, "external data path '../x' leaves the model's folder"}},
      {"external_absolute.onnx", {ErrorCode::InvalidModel, "external data path '/etc/passwd' is absolute"}},
      {"external_offset.onnx",
       {ErrorCode::InvalidModel,
        "offset 8 + length 16 lies past the end of 'external_offset.bin' (expected <= 16 bytes, got 24)"}},
      {"dims_overflow.onnx",
       {ErrorCode::InvalidModel, "failed to import initializer 'huge': element count of shape "
                                 "[1099511627776,1099511627776] overflows"}},
      {"negative_dim.onnx", {ErrorCode::InvalidModel, "failed to import initializer 'neg': negative dimension in shape [-1,4]"}},
      {"unsupported_op.onnx", {ErrorCode::Unsupported, "failed to import node 'weird': unsupported op type 'FooBar'"}},
      {"foreign_domain.onnx",
       {ErrorCode::Unsupported, "failed to import node 'fused': unsupported op type 'FusedConv' in domain 'com.microsoft'"}},
      {"string_tensor.onnx", {ErrorCode::Unsupported, "failed to import initializer 'names': unsupported data type 'STRING'"}},
      {"bfloat16_tensor.onnx", {ErrorCode::Unsupported, "failed to import initializer 'bf': unsupported data type 'BFLOAT16'"}},
      {"empty_graph.onnx", {ErrorCode::InvalidModel, "failed to import graph output 'y': nothing produces it"}},
      {"duplicate_initializer.onnx", {ErrorCode::InvalidModel, "failed to import initializer 'w': the name is defined twice"}},
      {"output_is_initializer.onnx",
       {ErrorCode::InvalidModel, "failed to import node 'relu': output 'w' is also an initializer or a Constant"}},
      {"constant_string.onnx",
       {ErrorCode::Unsupported, "failed to import node 'const': Constant attribute 'value_string' is not supported"}},
      {"future_opset.onnx", {ErrorCode::Unsupported, "unsupported default-domain opset (expected 1..21, got 99)"}},
      {"no_outputs.onnx", {ErrorCode::InvalidModel, "the graph has no outputs"}},
      {"input_complex.onnx", {ErrorCode::Unsupported, "failed to import graph input 'x': unsupported data type 'COMPLEX64'"}},
      {"valid_unsorted.onnx", {ErrorCode::Ok, ""}},
  };
  return table;
}

std::string corpus_dir() { return testing::source_dir() + "/tests/corpus/onnx"; }

TEST(ImportOnnxCorpus, EveryFileGivesItsError) {
  ASSERT_TRUE(fs::is_directory(corpus_dir())) << corpus_dir();
  size_t seen = 0;
  for (const auto& entry : fs::directory_iterator(corpus_dir())) {
    if (entry.path().extension() != ".onnx") continue;
    const std::string file = entry.path().filename().string();
    SCOPED_TRACE(file);
    auto it = corpus_table().find(file);
    ASSERT_NE(it, corpus_table().end()) << "corpus file missing from the table: " << file;
    ++seen;
    Result<Graph> g = import_onnx(entry.path().string());
    if (it->second.code == ErrorCode::Ok) {
      EXPECT_TRUE(g.ok()) << g.status().to_string();
      continue;
    }
    ASSERT_FALSE(g.ok());
    EXPECT_EQ(error_code_name(g.status().code()), std::string(error_code_name(it->second.code)))
        << g.status().message();
    EXPECT_NE(g.status().message().find(it->second.substring), std::string::npos)
        << "message: " << g.status().message() << "\nwanted: " << it->second.substring;
    // Every error names the model it came from.
    EXPECT_NE(g.status().message().find("failed to import model '"), std::string::npos) << g.status().message();
  }
  EXPECT_EQ(seen, corpus_table().size()) << "a table entry has no corpus file (re-run scripts/make_onnx_corpus.py)";
}

TEST(ImportOnnxCorpus, UnsortedModelIsSorted) {
  Result<Graph> r = import_onnx(corpus_dir() + "/valid_unsorted.onnx");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->nodes.size(), 3u);
  EXPECT_EQ(r->nodes[0].name, "first");
  EXPECT_EQ(r->nodes[1].name, "middle");
  EXPECT_EQ(r->nodes[2].name, "last");
  ASSERT_EQ(r->inputs.size(), 1u);
  const Value& x = r->value(r->inputs[0]);
  EXPECT_EQ(x.shape, (Shape{-1, 4}));
  EXPECT_FALSE(x.shape_known);
  EXPECT_TRUE(r->value(r->find_value("w")).is_constant());
}

// Every prefix of a valid model is refused cleanly or imported; none may crash.
TEST(ImportOnnxCorpus, EveryTruncationIsClean) {
  Result<std::string> bytes = [] {
    std::FILE* f = std::fopen((corpus_dir() + "/valid_unsorted.onnx").c_str(), "rb");
    std::string s(4096, '\0');
    size_t n = f ? std::fread(s.data(), 1, s.size(), f) : 0;
    if (f) std::fclose(f);
    s.resize(n);
    return Result<std::string>(s);
  }();
  ASSERT_TRUE(bytes.ok());
  ASSERT_GT(bytes->size(), 100u);
  size_t refused = 0;
  for (size_t n = 0; n < bytes->size(); ++n) {
    Result<Graph> g = import_onnx_bytes(bytes->substr(0, n), corpus_dir(), "prefix");
    if (!g.ok()) ++refused;
  }
  EXPECT_GT(refused, bytes->size() / 2);
}

}  // namespace
}  // namespace deepshark
