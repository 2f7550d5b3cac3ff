// Hostile bytes: seeded random mutations of real and corpus models must each import or fail with
// a Status — never crash, hang or trip a sanitizer (run this binary under ASan/UBSan).
#include <gtest/gtest.h>

#include <random>

#include "base/file.h"
#include "import/onnx/onnx_importer.h"
#include "support/test_support.h"

namespace deepshark {
namespace {

// Applies `rounds` independent mutations (1-4 byte overwrites, a truncation or a byte insertion)
// and returns how many imports were refused.
size_t mutate_and_import(const std::string& original, const std::string& dir, int rounds, uint32_t seed) {
  std::mt19937 rng(seed);
  size_t refused = 0;
  for (int r = 0; r < rounds; ++r) {
    std::string b = original;
    const int kind = static_cast<int>(rng() % 3);
    const size_t pos = rng() % b.size();
    if (kind == 0) {
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < n; ++k) b[(pos + k) % b.size()] = static_cast<char>(rng());
    } else if (kind == 1) {
      b.resize(pos);
    } else {
      std::string grown;
      grown.reserve(b.size() + 1);
      grown.append(b, 0, pos);
      grown.push_back(static_cast<char>(rng()));
      grown.append(b, pos, std::string::npos);
      b = std::move(grown);
    }
    Result<Graph> g = import_onnx_bytes(b, dir, "mutant");
    if (!g.ok()) {
      ++refused;
      EXPECT_NE(g.status().code(), ErrorCode::Internal) << g.status().message();
      EXPECT_FALSE(g.status().message().empty());
    }
  }
  return refused;
}

TEST(ImportOnnxMutation, CorpusModel) {
  const std::string dir = testing::source_dir() + "/tests/corpus/onnx";
  Result<std::string> bytes = read_file(dir + "/valid_unsorted.onnx");
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  size_t refused = mutate_and_import(*bytes, dir, 3000, 7);
  // Most mutations of a 176-byte model break it; some (a flipped float bit) leave it valid.
  EXPECT_GT(refused, 300u);
  EXPECT_LT(refused, 3000u);
}

TEST(ImportOnnxMutation, Mnist) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string dir = testing::shared_models_dir() + "/mnist/onnx";
  Result<std::string> bytes = read_file(dir + "/mnist-8.onnx");
  ASSERT_TRUE(bytes.ok()) << bytes.status().to_string();
  size_t refused = mutate_and_import(*bytes, dir, 600, 11);
  EXPECT_GT(refused, 0u);
}

}  // namespace
}  // namespace deepshark
