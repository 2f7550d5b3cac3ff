// The deepshark command: exit codes and messages for bad command lines and files.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/npy.h"
#include "support/test_support.h"

namespace deepshark::testing {
namespace {

struct CliResult {
  int code = -1;
  std::string output;  // stdout + stderr
};

CliResult cli(const std::string& args) {
  std::string cmd = std::string(DS_BINARY_DIR) + "/deepshark " + args + " 2>&1";
  CliResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return r;
}

TEST(Cli, HelpExplainsCommands) {
  CliResult r = cli("help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("deepshark run MODEL"), std::string::npos);
  EXPECT_NE(r.output.find("--output-dir"), std::string::npos);
  EXPECT_EQ(cli("run --help").code, 0);
}

TEST(Cli, BadCommandLinesExitTwo) {
  EXPECT_EQ(cli("").code, 2);
  EXPECT_EQ(cli("frobnicate x.onnx").code, 2);
  EXPECT_EQ(cli("run").code, 2);
  CliResult t = cli("run m.onnx --threads zero");
  EXPECT_EQ(t.code, 2);
  EXPECT_NE(t.output.find("--threads wants a whole number from 1 to 256, got 'zero'"), std::string::npos) << t.output;
  EXPECT_EQ(cli("run m.onnx --input novalue").code, 2);
  EXPECT_EQ(cli("run m.onnx --bogus").code, 2);
  EXPECT_EQ(cli("inspect m.onnx --shape x=1xAx3").code, 2);
}

TEST(Cli, MissingModelFileExitsOneWithMessage) {
  CliResult r = cli("inspect /nonexistent/model.onnx");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("failed to read model '/nonexistent/model.onnx': No such file or directory"), std::string::npos) << r.output;
}

TEST(Cli, InspectAndPackOfADskSayWhatTakesIt) {
  const std::string dsk = ::testing::TempDir() + "/inspect_me.dsk";
  std::ofstream(dsk) << "not looked at";
  for (const std::string& cmd : {"inspect " + dsk, "pack " + dsk + " -o " + dsk + ".out"}) {
    CliResult r = cli(cmd);
    EXPECT_EQ(r.code, 1) << cmd;
    EXPECT_NE(r.output.find("a packed block stream file (.dsk) is not a model source here: 'deepshark run' and "
                            "'deepshark plan' take it"),
              std::string::npos)
        << cmd << ": " << r.output;
  }
}

TEST(Cli, BadInputFileExitsOne) {
  DS_REQUIRE_SHARED_MODELS();
  std::string bad = ::testing::TempDir() + "/bad_input.npy";
  std::ofstream(bad) << "not an npy file";
  CliResult r = cli("run " + shared_models_dir() + "/mnist/onnx/mnist-8.onnx --input Input3=" + bad);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("bad magic"), std::string::npos) << r.output;
}

TEST(Cli, RunWritesOutputsAndInspectPrintsJson) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string model = shared_models_dir() + "/mnist/onnx/mnist-8.onnx";
  const std::string out = ::testing::TempDir() + "/cli_out";
  std::filesystem::remove_all(out);
  CliResult r = cli("run " + model + " --input Input3=" + shared_models_dir() +
                    "/mnist/onnx/test_data_set_0/input_0.pb --output-dir " + out);
  ASSERT_EQ(r.code, 0) << r.output;
  auto y = read_npy(out + "/Plus214_Output_0.npy");
  ASSERT_TRUE(y.ok()) << y.status().message();
  EXPECT_EQ(y->shape(), (Shape{1, 10}));
  CliResult j = cli("inspect --json " + model);
  ASSERT_EQ(j.code, 0) << j.output;
  EXPECT_NE(j.output.find("\"weight_bytes\":"), std::string::npos);
  EXPECT_NE(j.output.find("\"op\":\"Conv\""), std::string::npos);
}

}  // namespace
}  // namespace deepshark::testing

namespace deepshark::testing {
namespace {

TEST(Cli, PackThenRunUnderABudgetWithRandomInputs) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string dsk = ::testing::TempDir() + "/cli_mnist.dsk";
  CliResult p = cli("pack " + shared_models_dir() + "/mnist/onnx/mnist-8.onnx -o " + dsk);
  ASSERT_EQ(p.code, 0) << p.output;
  EXPECT_NE(p.output.find("pieces"), std::string::npos) << p.output;
  CliResult r = cli("run " + dsk + " --random-inputs --memory 1MiB --report --plan");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("managed memory: peak"), std::string::npos) << r.output;
  CliResult tiny = cli("run " + dsk + " --random-inputs --memory 1KiB");
  EXPECT_EQ(tiny.code, 1) << tiny.output;
  EXPECT_NE(tiny.output.find("infeasible: needs at least"), std::string::npos) << tiny.output;
  CliResult bad = cli("run " + dsk + " --random-inputs --memory 12parsecs");
  EXPECT_EQ(bad.code, 2) << bad.output;
}

}  // namespace
}  // namespace deepshark::testing
