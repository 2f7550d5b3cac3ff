// Memory is a promise, measured from outside: VGG-16 (528 MiB of weights) runs under a 32 MiB budget
// in a child process (the deepshark CLI), whose peak RSS (VmHWM) minus its RSS before the first run
// must stay within 32 MiB x 1.05, with outputs identical to the in-memory run.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/model_support.h"

namespace deepshark::testing {
namespace {

std::string run_command(const std::string& cmd, int* code) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return out;
}

// The number after "key": in a flat JSON object.
uint64_t json_number(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return 0;
  return std::strtoull(json.c_str() + at + key.size() + 3, nullptr, 10);
}

TEST(Rss, Vgg16RunsUnder32MiBInAChildProcess) {
  const std::string dir = generated_models_dir();
  if (dir.empty() || !std::filesystem::exists(dir + "/vgg16.onnx")) {
    GTEST_SKIP() << "vgg16 was not generated (scripts/make_models.py)";
  }
  const std::string cli = std::string(DS_BINARY_DIR) + "/deepshark";
  const std::string tmp = ::testing::TempDir();
  const std::string dsk = tmp + "/vgg16_rss.dsk";
  const std::string input = " --input input=" + dir + "/vgg16.input_input.npy --threads 2";
  int code = 0;
  std::string out = run_command(cli + " pack " + dir + "/vgg16.onnx -o " + dsk + " --threads 2", &code);
  ASSERT_EQ(code, 0) << out;
  out = run_command(cli + " run " + dir + "/vgg16.onnx" + input + " --output-dir " + tmp + "/vgg_mem", &code);
  ASSERT_EQ(code, 0) << out;
  const uint64_t budget = uint64_t{32} << 20;
  const std::string report = tmp + "/vgg_rss.json";
  out = run_command(cli + " run " + dsk + input + " --memory 32MiB --output-dir " + tmp + "/vgg_stream --report-json " +
                        report,
                    &code);
  ASSERT_EQ(code, 0) << out;
  std::ifstream f(report);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string json = ss.str();
  const uint64_t managed = json_number(json, "peak_managed_bytes");
  const uint64_t before = json_number(json, "rss_before_first_run_bytes");
  const uint64_t peak = json_number(json, "peak_rss_bytes");
  ASSERT_GT(managed, 0u) << json;
  ASSERT_GT(peak, 0u) << json;
  EXPECT_LE(managed, budget);
  EXPECT_LE(peak - std::min(peak, before), budget + budget / 20)
      << "peak RSS " << peak << " before first run " << before;
  auto a = read_npy(tmp + "/vgg_mem/output.npy");
  auto b = read_npy(tmp + "/vgg_stream/output.npy");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE(bit_identical(a->view(), b->view()));
}

}  // namespace
}  // namespace deepshark::testing
