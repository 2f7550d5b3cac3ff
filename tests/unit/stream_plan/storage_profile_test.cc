// deepshark profile's storage measurement: every request size at every queue depth, the fit from
// the depth-1 reads, the temporary file removed, and a folder it cannot write to named.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include "pack/pack.h"
#include "plan/device_profile.h"
#include "runtime/profile.h"
#include "support/small_model.h"

namespace deepshark {
namespace {

TEST(StorageProfile, EveryRequestSizeAtEveryQueueDepth) {
  const std::string dir = ::testing::TempDir() + "/ds_storage_profile_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  StorageProfileOptions o;
  o.dir = dir;
  o.file_bytes = uint64_t{8} << 20;
  o.request_sizes = {64 << 10, 1 << 20};
  o.queue_depths = {1, 2, 4};
  o.repeats = 3;
  auto p = profile_storage(o);
  ASSERT_TRUE(p.ok()) << p.status().message();
  ASSERT_EQ(p->reads.size(), 6u);
  std::set<std::pair<uint64_t, int>> seen;
  for (const ReadSample& s : p->reads) {
    seen.insert({s.request_bytes, s.queue_depth});
    EXPECT_GT(s.ms_per_request, 0.0);
    EXPECT_NEAR(s.mb_per_s, static_cast<double>(s.request_bytes) * s.queue_depth / 1e3 / s.ms_per_request,
                1e-6 * s.mb_per_s);
  }
  EXPECT_EQ(seen.size(), 6u);
  EXPECT_GT(p->io.ms_per_byte, 0.0);
  EXPECT_GE(p->io.latency_ms, 0.0);
  EXPECT_GT(p->hash_ms_per_byte, 0.0);
  // Only the profile's own temporary file was written, and it is gone.
  EXPECT_TRUE(std::filesystem::is_empty(dir));
  std::filesystem::remove_all(dir);
}

TEST(StorageProfile, BadQueueDepthsOrSizesAreRefusedBeforeWriting) {
  for (std::vector<int> depths : {std::vector<int>{}, {0}, {1, 65}}) {
    StorageProfileOptions o;
    o.dir = "/proc/ds-no-such-folder";  // never reached: refused before writing anything
    o.queue_depths = depths;
    auto p = profile_storage(o);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(p.status().message().find("queue depths must be 1..64"), std::string::npos) << p.status().message();
  }
  StorageProfileOptions o;
  o.request_sizes = {};
  auto p = profile_storage(o);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("request sizes must be > 0"), std::string::npos) << p.status().message();
}

TEST(StorageProfile, UnwritableFolderIsAnIOErrorNamingIt) {
  StorageProfileOptions o;
  o.dir = "/proc/ds-no-such-folder";
  o.file_bytes = 1 << 20;
  auto p = profile_storage(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::IOError);
  EXPECT_NE(p.status().message().find("/proc/ds-no-such-folder"), std::string::npos) << p.status().message();
}

}  // namespace
}  // namespace deepshark

namespace deepshark::testing {
namespace {

// profile --model on a small packed model: every node timed, and the streaming calibration run at
// the planner's depth and at depth 0 (the cold-read rate) under the same budget.
TEST(ModelProfile, TimesEveryNodeAndCalibratesBothReadRates) {
  std::string path;
  ASSERT_TRUE(pack_small_model("profile_model", 32 << 10, &path).ok());
  DeviceProfile prof;
  Status s = profile_model_compute(path, 2, 3, &prof);
  std::filesystem::remove(path);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(prof.threads, 2);
  EXPECT_FALSE(prof.node_ms.empty());
  const auto& c = prof.streaming;
  ASSERT_TRUE(c.measured);
  EXPECT_GT(c.bytes_read, 0u);
  EXPECT_GT(c.pieces_read, 0);
  EXPECT_GT(c.read_ms, 0);
  EXPECT_GT(c.serial_bytes_read, 0u);
  EXPECT_GT(c.serial_pieces_read, 0);
  EXPECT_GT(c.serial_read_ms, 0);
  // The JSON keeps both, and a planner input takes the factor from them (within its clamp).
  auto back = device_profile_from_json(device_profile_to_json(prof), "p.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->streaming.serial_bytes_read, c.serial_bytes_read);
  const double f = streaming_cold_read_factor(*back);
  EXPECT_GE(f, 1.0);
  EXPECT_LE(f, 4.0);
}

}  // namespace
}  // namespace deepshark::testing
