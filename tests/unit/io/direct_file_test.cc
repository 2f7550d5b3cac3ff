#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "io/direct_file.h"
#include "io/faulty_storage.h"
#include "io_test_util.h"

namespace deepshark::testing {
namespace {

constexpr uint64_t kA = kDirectIOAlignment;

Buffer aligned_buffer(uint64_t bytes) {
  auto b = Buffer::allocate(default_allocator(), bytes, MemoryClass::IOBuffers, "test buffer", true, kA);
  EXPECT_TRUE(b.ok());
  return std::move(b).value();
}

// Reads the whole file in aligned chunks (the last one rounded up) and compares with the bytes.
void expect_reads_match(Storage& f, const std::string& bytes, uint64_t chunk) {
  ASSERT_EQ(f.size(), bytes.size());
  Buffer buf = aligned_buffer(chunk);
  for (uint64_t off = 0; off < bytes.size(); off += chunk) {
    const uint64_t n = std::min<uint64_t>(chunk, align_up(bytes.size() - off, f.alignment()));
    std::memset(buf.data(), 0xab, chunk);
    Status s = f.read(off, n, buf.data());
    ASSERT_TRUE(s.ok()) << s.to_string() << " at offset " << off;
    const uint64_t real = std::min<uint64_t>(n, bytes.size() - off);
    ASSERT_EQ(std::memcmp(buf.data(), bytes.data() + off, real), 0) << "chunk at " << off;
    for (uint64_t i = real; i < n; ++i) ASSERT_EQ(buf.data()[i], std::byte{0}) << "tail past EOF is zeroed";
  }
}

// A file in each kind of folder the engine may meet: /tmp, the build folder, and /dev/shm (tmpfs).
std::vector<std::string> test_dirs() {
  std::vector<std::string> dirs = {"/tmp", DS_BINARY_DIR};
  if (std::filesystem::is_directory("/dev/shm")) dirs.push_back("/dev/shm");
  return dirs;
}

TEST(DirectFile, AlignedChunksEqualFileBytesInEveryFolder) {
  const std::string bytes = random_bytes(5 * kA + 123, 1);
  for (const std::string& dir : test_dirs()) {
    SCOPED_TRACE(dir);
    TempFile tf(dir, "chunks", bytes);
    auto f = DirectFile::open(tf.path());
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    DirectFile& file = **f;
    // Report which path ran: on this kernel every folder (tmpfs included) accepts O_DIRECT; the
    // fallback is exercised explicitly by the tests below.
    std::cout << "[ info ] " << dir << ": " << (file.is_direct() ? "O_DIRECT" : "buffered fallback")
              << (file.fallback_reason().empty() ? "" : " (" + file.fallback_reason() + ")") << "\n";
    EXPECT_EQ(file.alignment(), file.is_direct() ? kA : 1u);
    for (uint64_t chunk : {kA, 2 * kA, 8 * kA}) expect_reads_match(file, bytes, chunk);
  }
}

TEST(DirectFile, BufferedOnRequest) {
  const std::string bytes = random_bytes(3 * kA + 7, 2);
  TempFile tf("/tmp", "buffered", bytes);
  auto f = DirectFile::open(tf.path(), /*direct=*/false);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_FALSE((*f)->is_direct());
  EXPECT_EQ((*f)->alignment(), 1u);
  EXPECT_EQ((*f)->fallback_reason(), "");
  // Alignment 1: any offset and size work.
  std::string out(100, '\0');
  ASSERT_TRUE((*f)->read(4001, 100, reinterpret_cast<std::byte*>(out.data())).ok());
  EXPECT_EQ(out, bytes.substr(4001, 100));
  expect_reads_match(**f, bytes, kA);
}

TEST(DirectFile, FallsBackWhenOpenRefusesDirect) {
  const std::string bytes = random_bytes(2 * kA + 99, 3);
  TempFile tf(DS_BINARY_DIR, "fallback_open", bytes);
  DirectFile::Options o;
  o.refuse_direct_open_for_testing = true;
  auto f = DirectFile::open(tf.path(), o);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_FALSE((*f)->is_direct());
  EXPECT_EQ((*f)->fallback_reason(), "O_DIRECT refused at open (EINVAL)");
  EXPECT_EQ((*f)->alignment(), 1u);
  expect_reads_match(**f, bytes, kA);
}

TEST(DirectFile, FallsBackWhenReadRefusesDirect) {
  const std::string bytes = random_bytes(4 * kA + 1, 4);
  TempFile tf("/tmp", "fallback_read", bytes);
  DirectFile::Options o;
  o.refuse_direct_read_for_testing = true;
  auto f = DirectFile::open(tf.path(), o);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE((*f)->is_direct());
  expect_reads_match(**f, bytes, 2 * kA);
  EXPECT_FALSE((*f)->is_direct());
  EXPECT_EQ((*f)->fallback_reason(), "O_DIRECT refused at read (EINVAL)");
  EXPECT_EQ((*f)->alignment(), kA) << "the alignment fixed at open stays";
}

TEST(DirectFile, RejectsMisalignedRequests) {
  const std::string bytes = random_bytes(4 * kA, 5);
  TempFile tf("/tmp", "misaligned", bytes);
  auto f = DirectFile::open(tf.path());
  ASSERT_TRUE(f.ok());
  if (!(*f)->is_direct()) GTEST_SKIP() << "O_DIRECT refused here: alignment is 1";
  Buffer buf = aligned_buffer(2 * kA);
  struct Case {
    uint64_t offset, bytes, dst_shift;
  };
  for (Case c : {Case{100, kA, 0}, Case{0, 100, 0}, Case{0, kA, 8}, Case{kA, kA + 1, 0}}) {
    Status s = (*f)->read(c.offset, c.bytes, buf.data() + c.dst_shift);
    EXPECT_EQ(s.code(), ErrorCode::InvalidArgument) << c.offset << " " << c.bytes << " " << c.dst_shift;
    EXPECT_NE(s.message().find("failed to read file '" + tf.path() + "': misaligned request"),
              std::string::npos)
        << s.message();
  }
  Status s = (*f)->read(0, kA, buf.data() + 8);
  EXPECT_NE(s.message().find("(expected offset, size and buffer aligned to 4096, got offset % a = 0, size % a = 0, "
                             "buffer % a = 8)"),
            std::string::npos)
      << s.message();
}

TEST(DirectFile, RejectsRequestsPastTheEnd) {
  const std::string bytes = random_bytes(2 * kA + 10, 6);
  TempFile tf("/tmp", "past_end", bytes);
  auto f = DirectFile::open(tf.path());
  ASSERT_TRUE(f.ok());
  Buffer buf = aligned_buffer(4 * kA);
  const uint64_t a = (*f)->alignment();
  EXPECT_TRUE((*f)->read(2 * kA, align_up(10, a), buf.data()).ok()) << "the rounded-up tail is allowed";
  Status s = (*f)->read(2 * kA, 2 * kA, buf.data());
  EXPECT_EQ(s.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(s.message().find("request past the end"), std::string::npos) << s.message();
  EXPECT_EQ((*f)->read(8 * kA, kA, buf.data()).code(), ErrorCode::InvalidArgument);
}

TEST(DirectFile, FileShrunkAfterOpenIsUnexpectedEnd) {
  const std::string bytes = random_bytes(4 * kA, 7);
  TempFile tf("/tmp", "shrunk", bytes);
  auto f = DirectFile::open(tf.path());
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(::truncate(tf.path().c_str(), kA), 0);
  Buffer buf = aligned_buffer(2 * kA);
  Status s = (*f)->read(kA, 2 * kA, buf.data());
  EXPECT_EQ(s.code(), ErrorCode::IOError);
  EXPECT_EQ(s.message(), "failed to read file '" + tf.path() +
                             "': unexpected end of file (expected 8192 bytes at offset 4096, got 0)");
}

// Shrunk to an unaligned size inside the request: the direct read returns the partial block, and
// the rest is an unexpected end (not a misaligned follow-up request), in every kind of folder.
TEST(DirectFile, FileShrunkToAnUnalignedSizeIsUnexpectedEnd) {
  for (const std::string& dir : test_dirs()) {
    const std::string bytes = random_bytes(4 * kA, 9);
    TempFile tf(dir, "shrunk_unaligned", bytes);
    auto f = DirectFile::open(tf.path());
    ASSERT_TRUE(f.ok());
    ASSERT_EQ(::truncate(tf.path().c_str(), kA + 100), 0);
    Buffer buf = aligned_buffer(2 * kA);
    Status s = (*f)->read(kA, 2 * kA, buf.data());
    EXPECT_EQ(s.code(), ErrorCode::IOError) << dir;
    EXPECT_EQ(s.message(), "failed to read file '" + tf.path() +
                               "': unexpected end of file (expected 8192 bytes at offset 4096, got 100)")
        << dir;
  }
}

TEST(DirectFile, MissingFileIsIOError) {
  auto f = DirectFile::open("/tmp/ds_io_test_does_not_exist.dsk");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), ErrorCode::IOError);
  EXPECT_EQ(f.status().message(), "failed to open file '/tmp/ds_io_test_does_not_exist.dsk': No such file or directory");
  auto d = DirectFile::open("/tmp");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::IOError);
}

TEST(DirectFile, ShortReadsAreRetried) {
  const std::string bytes = random_bytes(9 * kA + 555, 8);
  TempFile tf("/tmp", "short", bytes);
  auto f = DirectFile::open(tf.path());
  ASSERT_TRUE(f.ok());
  FaultyStorage faulty(**f);
  faulty.set_short_reads(true);
  expect_reads_match(faulty, bytes, 8 * kA);
  EXPECT_EQ(faulty.read_count(), 2u);
  EXPECT_GT(faulty.read_some_count(), 4u) << "each read was split into several read_some calls";
}

TEST(MemoryStorage, TailRuleAndUnexpectedEnd) {
  MemoryStorage m(random_bytes(100, 9), "mem", 16);
  alignas(16) std::byte buf[128];
  std::memset(buf, 0xff, sizeof(buf));
  ASSERT_TRUE(m.read(96, 16, buf).ok());
  EXPECT_EQ(buf[3], std::byte{static_cast<unsigned char>(random_bytes(100, 9)[99])});
  for (int i = 4; i < 16; ++i) EXPECT_EQ(buf[i], std::byte{0});
  // The tail may be rounded up to kDirectIOAlignment whatever the storage's own alignment.
  std::memset(buf, 0xff, sizeof(buf));
  ASSERT_TRUE(m.read(96, 32, buf).ok());
  for (int i = 4; i < 32; ++i) EXPECT_EQ(buf[i], std::byte{0});
  EXPECT_EQ(m.read(96, kDirectIOAlignment, buf).code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(m.read(112, 16, buf).code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(m.read(8, 16, buf).code(), ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace deepshark::testing
