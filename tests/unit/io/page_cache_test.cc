// The point of O_DIRECT: streaming weights must not fill the page cache (it is memory too). These
// tests drop a file's pages, read it through DirectFile, and count its resident pages with mincore.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io/direct_file.h"
#include "io_test_util.h"

namespace deepshark::testing {
namespace {

constexpr uint64_t kA = kDirectIOAlignment;

// Resident pages of the file, or -1 when they cannot be counted.
int64_t resident_pages(const std::string& path, uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return -1;
  std::vector<unsigned char> vec((bytes + kA - 1) / kA);
  const int rc = ::mincore(map, bytes, vec.data());
  ::munmap(map, bytes);
  if (rc != 0) return -1;
  int64_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

// Writes the file and asks the kernel to drop its pages; false when they stay (e.g. tmpfs).
bool write_uncached(const TempFile& tf, uint64_t bytes) {
  const int fd = ::open(tf.path().c_str(), O_RDONLY);
  if (fd < 0) return false;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  return resident_pages(tf.path(), bytes) == 0;
}

void read_all(DirectFile& f, uint64_t bytes) {
  auto buf = Buffer::allocate(default_allocator(), 4 * kA, MemoryClass::IOBuffers, "test", false, kA);
  ASSERT_TRUE(buf.ok());
  for (uint64_t off = 0; off < bytes; off += 4 * kA) {
    Status s = f.read(off, std::min<uint64_t>(4 * kA, align_up(bytes - off, kA)), buf->data());
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
}

TEST(PageCache, DirectReadsLeaveNoPagesBehind) {
  const uint64_t bytes = 64 * kA + 10;
  TempFile tf(DS_BINARY_DIR, "pagecache_direct", random_bytes(bytes, 11));
  if (!write_uncached(tf, bytes)) GTEST_SKIP() << "this file system keeps the pages: nothing to measure";
  auto f = DirectFile::open(tf.path());
  ASSERT_TRUE(f.ok());
  ASSERT_TRUE((*f)->is_direct());
  read_all(**f, bytes);
  EXPECT_EQ(resident_pages(tf.path(), bytes), 0);
}

TEST(PageCache, BufferedFallbackDropsWhatItRead) {
  const uint64_t bytes = 64 * kA + 10;
  TempFile tf(DS_BINARY_DIR, "pagecache_fallback", random_bytes(bytes, 12));
  if (!write_uncached(tf, bytes)) GTEST_SKIP() << "this file system keeps the pages: nothing to measure";
  DirectFile::Options o;
  o.refuse_direct_open_for_testing = true;
  auto f = DirectFile::open(tf.path(), o);
  ASSERT_TRUE(f.ok());
  ASSERT_FALSE((*f)->is_direct());
  read_all(**f, bytes);
  // Read-ahead may bring in pages past the last read; DONTNEED drops what was read.
  EXPECT_LE(resident_pages(tf.path(), bytes), 4);
}

}  // namespace
}  // namespace deepshark::testing
