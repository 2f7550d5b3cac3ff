// Storage fault injection for the block stream (STYLE.md §11), through io/faulty_storage.h and a
// real file changed under a running session: the i-th read failing for every i while opening and
// while re-planning (runs: tests/unit/pack/stream_fault_test.cc), short reads, slow reads whose
// delay shows as stall time, and the .dsk truncated or overwritten between runs. Each case: a clean
// error naming the piece or file, no leak, the session usable (exact outputs) afterwards.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <tuple>

#include "fault_support.h"
#include "format/dsk_file.h"
#include "io/direct_file.h"
#include "io/faulty_storage.h"
#include "runtime/block_stream.h"

namespace deepshark::testing {
namespace {

// fixed_costs: as for fault_session_options.
StreamOptions stream_options(uint64_t budget, int depth, bool fixed_costs = false) {
  StreamOptions o;
  o.threads = kFaultThreads;
  o.requirement.memory_budget_bytes = budget;
  o.requirement.prefetch_depth = depth;
  if (fixed_costs) o.profile_path = fault_profile();
  return o;
}

::testing::AssertionResult stream_runs_exactly(BlockStreamSession& s) {
  TensorView in = fault_model().x.view();
  auto out = s.run({&in, 1});
  if (!out.ok()) return ::testing::AssertionFailure() << "run failed: " << out.status().message();
  if (out->size() != 1 || !bit_identical((*out)[0].view(), fault_model().reference.view())) {
    return ::testing::AssertionFailure() << "output differs from the in-memory reference";
  }
  return ::testing::AssertionSuccess();
}

class StorageFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = DirectFile::open(fault_model().dsk);
    ASSERT_TRUE(f.ok()) << f.status().message();
    file_ = std::move(f).value();
    faulty_ = std::make_unique<FaultyStorage>(*file_);
  }

  std::unique_ptr<BlockStreamSession> open(uint64_t budget, int depth, bool fixed_costs = false) {
    auto s = BlockStreamSession::open_with_storage(fault_model().dsk, *faulty_, stream_options(budget, depth, fixed_costs));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  std::unique_ptr<DirectFile> file_;
  std::unique_ptr<FaultyStorage> faulty_;
};

// Two plans: at the smallest budget (the built-in storage probe reads the file; nothing resident)
// and above it with fixed costs (pieces read as resident at open).
TEST_F(StorageFaults, OpenFailsCleanlyAtEveryRead) {
  const uint64_t low = smallest_budget(fault_model().dsk, 1);
  for (const auto& [budget, fixed_costs, what] :
       {std::tuple{low, false, "storage probe"}, std::tuple{low + (128 << 10), true, "resident pieces"}}) {
    const uint64_t before = default_allocator().current_bytes();
    faulty_->reset();
    {
      auto s = open(budget, 1, fixed_costs);
      ASSERT_TRUE(s);
      ASSERT_FALSE(s->plan().blocks.empty());
      ASSERT_EQ(s->plan().resident.empty(), !fixed_costs);
    }
    const uint64_t reads = faulty_->read_count();
    ASSERT_GT(reads, 1u);
    for (uint64_t i = 0; i < reads; ++i) {
      faulty_->reset();
      faulty_->set_fail_read(i);
      auto s = BlockStreamSession::open_with_storage(fault_model().dsk, *faulty_, stream_options(budget, 1, fixed_costs));
      ASSERT_FALSE(s.ok()) << what << ": read " << i << " of " << reads << " failed but open succeeded";
      EXPECT_EQ(s.status().code(), ErrorCode::IOError) << s.status().message();
      EXPECT_NE(s.status().message().find("injected"), std::string::npos) << s.status().message();
      EXPECT_NE(s.status().message().find(fault_model().dsk), std::string::npos) << s.status().message();
      EXPECT_EQ(default_allocator().current_bytes(), before) << what << ": leak after read " << i << " failed";
    }
    faulty_->reset();
    auto s = open(budget, 1, fixed_costs);
    ASSERT_TRUE(s);
    EXPECT_TRUE(stream_runs_exactly(*s));
    std::printf("open (%s): %llu reads, each failed once: all IOError, no leak\n", what,
                static_cast<unsigned long long>(reads));
  }
}

TEST_F(StorageFaults, ShortReadsWhileOpeningAndRunningGiveExactResults) {
  const uint64_t budget = smallest_budget(fault_model().dsk, 1) + (128 << 10);
  faulty_->reset();
  faulty_->set_short_reads(true);
  auto s = open(budget, 1);
  ASSERT_TRUE(s);
  EXPECT_TRUE(stream_runs_exactly(*s));
  EXPECT_GT(faulty_->read_some_count(), faulty_->read_count()) << "reads were split";
}

// Slow storage: the run finishes exactly, and the report's stall time is the delay it caused.
// Prefetch depth 0 (load, then compute): block b is submitted after block b - 1 computed, so the
// compute thread waits out every read's delay except the moments between a submit and the wait
// that follows it. Hence stall >= reads x delay minus that slack: asserting half of it is a causal
// lower bound, not a speed threshold.
TEST_F(StorageFaults, SlowReadsShowAsStallTime) {
  constexpr auto kDelay = std::chrono::milliseconds(20);
  for (int depth : {0, 1}) {
    auto s = open(smallest_budget(fault_model().dsk, depth), depth);
    ASSERT_TRUE(s);
    faulty_->reset();
    faulty_->set_delay(kDelay);
    EXPECT_TRUE(stream_runs_exactly(*s));
    const uint64_t reads = faulty_->read_count();
    const double injected_ms = static_cast<double>(reads) * static_cast<double>(kDelay.count());
    ASSERT_GT(reads, 2u);
    const StreamReport& r = s->last_report();
    EXPECT_GE(r.read_ms, injected_ms) << "the loader slept " << reads << " x " << kDelay.count() << " ms";
    EXPECT_GT(r.stall_ms, 0.0);
    if (depth == 0) {
      EXPECT_GE(r.stall_ms, 0.5 * injected_ms) << reads << " reads delayed " << kDelay.count() << " ms each";
    }
    std::printf("slow reads, depth %d: %llu reads x %lld ms injected, stall %.1f ms, read %.1f ms\n", depth,
                static_cast<unsigned long long>(reads), static_cast<long long>(kDelay.count()), r.stall_ms, r.read_ms);
  }
}

// replan() reads the new plan's resident pieces: a failing read restores the previous plan. When
// the storage fails for good, restoring fails too: the session then refuses to run (clean error)
// until a replan succeeds.
TEST_F(StorageFaults, ReplanFailsCleanlyAtEveryRead) {
  const uint64_t low = smallest_budget(fault_model().dsk, 1);
  auto s = open(low, 1, /*fixed_costs=*/true);
  ASSERT_TRUE(s);
  Requirement high{.memory_budget_bytes = low + (160 << 10), .prefetch_depth = 1};
  Requirement back{.memory_budget_bytes = low, .prefetch_depth = 1};
  const std::string low_plan = s->plan().to_string();
  faulty_->reset();
  ASSERT_TRUE(s->replan(high).ok());
  const uint64_t reads = faulty_->read_count();
  ASSERT_GT(reads, 0u) << "the higher budget reads new resident pieces";
  ASSERT_TRUE(s->replan(back).ok());
  for (uint64_t i = 0; i < reads; ++i) {
    faulty_->reset();
    faulty_->set_fail_read(i);
    Status st = s->replan(high);
    ASSERT_FALSE(st.ok()) << "read " << i << " of " << reads;
    EXPECT_EQ(st.code(), ErrorCode::IOError) << st.message();
    EXPECT_NE(st.message().find("failed to load piece"), std::string::npos) << st.message();
    EXPECT_EQ(s->plan().to_string(), low_plan);
    faulty_->reset();
    EXPECT_TRUE(stream_runs_exactly(*s));
  }
  // A dead disk: replan and runs fail cleanly; once it reads again, the session runs exactly.
  faulty_->reset();
  faulty_->set_fail_reads_from(0);
  Status st = s->replan(high);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::IOError) << st.message();
  TensorView in = fault_model().x.view();
  for (int k = 0; k < 2; ++k) {
    auto out = s->run({&in, 1});
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), ErrorCode::IOError) << out.status().message();
  }
  faulty_->reset();
  EXPECT_TRUE(stream_runs_exactly(*s));
  ASSERT_TRUE(s->replan(high).ok());
  EXPECT_TRUE(stream_runs_exactly(*s));
  std::printf("replan: %llu reads, each failed once: all IOError, previous plan restored; dead disk: clean errors\n",
              static_cast<unsigned long long>(reads));
}

// The .dsk on disk changes under an open session (a real file read with direct I/O).
class FileChangesUnderASession : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = temp_dir("fault_changes") + "/changing.dsk";
    std::filesystem::copy_file(fault_model().dsk, path_, std::filesystem::copy_options::overwrite_existing);
    auto bytes = read_file(path_);
    ASSERT_TRUE(bytes.ok());
    original_ = std::move(bytes).value();
    auto f = format::DskFile::open(path_);
    ASSERT_TRUE(f.ok()) << f.status().message();
    pieces_ = f->pieces();
    StreamOptions o = stream_options(smallest_budget(path_, 0), 0);
    auto s = BlockStreamSession::open(path_, o);
    ASSERT_TRUE(s.ok()) << s.status().message();
    session_ = std::move(s).value();
    ASSERT_GE(session_->plan().blocks.size(), 2u);
    ASSERT_TRUE(stream_runs_exactly(*session_));
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // The last piece of the last streamed block.
  const format::PieceEntry& last_streamed() const {
    return pieces_[session_->plan().blocks.back().pieces.back()];
  }
  // Rewrites the file in place (same inode: the session's descriptor sees it).
  void write_in_place(const std::string& bytes) {
    int fd = ::open(path_.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(bytes.size())), 0);
    ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
    ASSERT_EQ(::fsync(fd), 0);
    ::close(fd);
  }
  ::testing::AssertionResult fails_naming_piece(const format::PieceEntry& p, ErrorCode code, const std::string& why) {
    TensorView in = fault_model().x.view();
    auto out = session_->run({&in, 1});
    if (out.ok()) return ::testing::AssertionFailure() << "the run succeeded";
    const std::string& m = out.status().message();
    const std::string label = "piece '" + std::to_string(p.index) + " (node '";
    if (out.status().code() != code || m.find(label) == std::string::npos || m.find(why) == std::string::npos) {
      return ::testing::AssertionFailure() << "expected " << error_code_name(code) << " naming " << label << " with '"
                                           << why << "', got " << out.status().to_string();
    }
    std::printf("  %s\n", out.status().to_string().c_str());
    return ::testing::AssertionSuccess();
  }

  std::string path_;
  std::string original_;
  std::vector<format::PieceEntry> pieces_;
  std::unique_ptr<BlockStreamSession> session_;
};

TEST_F(FileChangesUnderASession, TruncatedFileIsAnErrorNamingThePieceAndRestoringItRunsAgain) {
  const format::PieceEntry& p = last_streamed();
  write_in_place(original_.substr(0, p.offset + 100));  // cuts into the piece
  EXPECT_TRUE(fails_naming_piece(p, ErrorCode::IOError, "unexpected end of file"));
  EXPECT_TRUE(fails_naming_piece(p, ErrorCode::IOError, "unexpected end of file")) << "and again";
  write_in_place(original_.substr(0, p.offset));  // ends where the piece starts
  EXPECT_TRUE(fails_naming_piece(p, ErrorCode::IOError, "unexpected end of file"));
  write_in_place(original_);
  EXPECT_TRUE(stream_runs_exactly(*session_));
}

TEST_F(FileChangesUnderASession, OverwrittenPieceIsCorruptionNamingItAndRestoringItRunsAgain) {
  for (size_t b = 0; b < session_->plan().blocks.size(); ++b) {
    const format::PieceEntry& p = pieces_[session_->plan().blocks[b].pieces.front()];
    std::string changed = original_;
    changed[p.offset + p.bytes / 2] ^= 0x20;
    write_in_place(changed);
    EXPECT_TRUE(fails_naming_piece(p, ErrorCode::Corruption, "checksum mismatch")) << "block " << b;
    write_in_place(original_);
    EXPECT_TRUE(stream_runs_exactly(*session_)) << "block " << b;
  }
}

}  // namespace
}  // namespace deepshark::testing
