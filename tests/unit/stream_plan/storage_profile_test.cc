// deepshark profile's storage measurement: every request size at every queue depth, the fit from
// the depth-1 reads, the temporary file removed, and a folder it cannot write to named.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

#include "runtime/profile.h"

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
