// Replays the fuzz targets (fuzz/) in the normal builds: every file in fuzz/regressions/<target>/
// (inputs that once crashed, hung, leaked or allocated past the ceiling) and fuzz/corpus/<target>/
// (checked-in seeds) goes through the same function libFuzzer calls. A crash fails the binary
// (ASan/UBSan in the asan build); a violated property (error outside the grammar, heap over the
// ceiling, budget exceeded) fails the test naming the file.
//
// DS_FUZZ_REPLAY_EXTRA=DIR replays DIR/<target>/* as well (e.g. build/fuzz-corpus, the fuzzers'
// working corpora, or build/fuzz-seeds); with DS_FUZZ_VERBOSE set each input's outcome and heap
// peak is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "base/memory.h"
#include "fuzz_target.h"
#include "support/test_support.h"

namespace deepshark {
namespace {

namespace fs = std::filesystem;

struct Target {
  const char* name;
  void (*run)(const uint8_t*, size_t);
};

void PrintTo(const Target& t, std::ostream* os) { *os << t.name; }

const Target kTargets[] = {
#define DS_X(name) {#name, &fuzz::name},
    DS_FUZZ_TARGETS(DS_X)
#undef DS_X
};

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename().string()[0] != '.') files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Collects violations as test failures while alive.
class RecordViolations {
 public:
  explicit RecordViolations(std::vector<std::string>* out) {
    fuzz::set_violation_handler([out](const std::string& what) { out->push_back(what); });
  }
  ~RecordViolations() { fuzz::set_violation_handler(nullptr); }
};

class FuzzReplay : public ::testing::TestWithParam<Target> {};

TEST_P(FuzzReplay, RegressionsAndSeedsPass) {
  const Target& t = GetParam();
  const fs::path root = fs::path(testing::source_dir()) / "fuzz";
  const std::vector<fs::path> seeds = files_in(root / "corpus" / t.name);
  EXPECT_FALSE(seeds.empty()) << "no checked-in seeds in fuzz/corpus/" << t.name;
  std::vector<fs::path> files = files_in(root / "regressions" / t.name);
  files.insert(files.end(), seeds.begin(), seeds.end());
  if (const char* extra = std::getenv("DS_FUZZ_REPLAY_EXTRA")) {
    const std::vector<fs::path> more = files_in(fs::path(extra) / t.name);
    files.insert(files.end(), more.begin(), more.end());
  }
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.string());
    if (std::getenv("DS_FUZZ_VERBOSE")) std::cerr << "[ file ] " << f.string() << "\n";
    const std::string bytes = read_file(f);
    std::vector<std::string> violations;
    {
      RecordViolations record(&violations);
      t.run(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    }
    for (const std::string& v : violations) ADD_FAILURE() << f.filename().string() << ": " << v;
  }
  std::cout << "[ replayed ] " << t.name << ": " << files.size() << " files\n";
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzReplay, ::testing::ValuesIn(kTargets),
                         [](const ::testing::TestParamInfo<Target>& i) { return std::string(i.param.name); });

// The checks the replay relies on can fail.
TEST(FuzzChecks, CeilingReportsHeapGrowthOverTheBound) {
  std::vector<std::string> violations;
  RecordViolations record(&violations);
  {
    fuzz::Ceiling c("test", uint64_t{1} << 20);
    std::vector<char> big(uint64_t{4} << 20, 'x');
    EXPECT_GE(c.peak_bytes(), uint64_t{4} << 20);
  }
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_NE(violations[0].find("over the ceiling of 1048576 bytes"), std::string::npos) << violations[0];
}

TEST(FuzzChecks, CeilingSeesTheDefaultAllocator) {
  std::vector<std::string> violations;
  RecordViolations record(&violations);
  {
    fuzz::Ceiling c("test", uint64_t{1} << 20);
    Result<Tensor> t = Tensor::create(DType::F32, {1 << 20});  // 4 MiB from the CountingAllocator
    ASSERT_TRUE(t.ok());
  }
  EXPECT_EQ(violations.size(), 1u);
}

TEST(FuzzChecks, CeilingPassesWithinTheBound) {
  std::vector<std::string> violations;
  RecordViolations record(&violations);
  {
    fuzz::Ceiling c("test", uint64_t{8} << 20);
    std::vector<char> big(uint64_t{4} << 20, 'x');
  }
  EXPECT_TRUE(violations.empty());
}

TEST(FuzzChecks, ErrorsOutsideTheGrammarAreViolations) {
  std::vector<std::string> violations;
  RecordViolations record(&violations);
  fuzz::check_error(Status::ok_status(), "stage");
  fuzz::check_error(make_error(ErrorCode::InvalidModel, "import", "model", "m", "bad"), "stage");
  EXPECT_TRUE(violations.empty());
  fuzz::check_error(Status(ErrorCode::InvalidModel, "bad model"), "stage");
  fuzz::check_error(make_error(ErrorCode::Internal, "fold", "node", "n", "size mismatch"), "stage");
  EXPECT_EQ(violations.size(), 2u);
}

}  // namespace
}  // namespace deepshark
