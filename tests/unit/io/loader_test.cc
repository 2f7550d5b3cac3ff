#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "io/direct_file.h"
#include "io/faulty_storage.h"
#include "io/loader.h"
#include "io_test_util.h"

namespace deepshark::testing {
namespace {

std::unique_ptr<Loader> make_loader(Storage& s, uint32_t capacity) {
  auto l = Loader::create(s, capacity);
  EXPECT_TRUE(l.ok()) << l.status().to_string();
  return std::move(l).value();
}

// Submits every piece, waits in `order`, and checks data. Returns the statuses by piece index.
std::vector<Status> run_all(Loader& loader, const PackedFile& p, Destinations& d, const std::vector<size_t>& order) {
  std::vector<Ticket> tickets;
  for (size_t i = 0; i < p.pieces.size(); ++i) {
    auto t = loader.submit(request_for(p.pieces[i], d.dst(i)));
    EXPECT_TRUE(t.ok()) << t.status().to_string();
    tickets.push_back(t.ok() ? t.value() : 0);
  }
  std::vector<Status> out(p.pieces.size());
  for (size_t i : order) out[i] = loader.wait(tickets[i]);
  return out;
}

std::vector<size_t> in_order(size_t n) {
  std::vector<size_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i;
  return v;
}

class LoaderFile : public ::testing::Test {
 protected:
  void SetUp() override {
    packed_ = make_packed(20, 100);
    file_ = std::make_unique<TempFile>(DS_BINARY_DIR, "loader", packed_.bytes);
    auto f = DirectFile::open(file_->path());
    ASSERT_TRUE(f.ok()) << f.status().to_string();
    storage_ = std::move(f).value();
  }
  PackedFile packed_;
  std::unique_ptr<TempFile> file_;
  std::unique_ptr<DirectFile> storage_;
};

TEST_F(LoaderFile, ManyRequestsInOrder) {
  auto loader = make_loader(*storage_, 20);
  Destinations d = make_destinations(packed_);
  std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_TRUE(st[i].ok()) << st[i].to_string();
    EXPECT_TRUE(piece_equals(packed_, i, d.dst(i))) << i;
  }
  LoaderStats s = loader->stats();
  EXPECT_EQ(s.completed, 20u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.cancelled, 0u);
  uint64_t expected_bytes = 0;
  for (const Piece& piece : packed_.pieces) expected_bytes += loader->read_bytes(piece.bytes);
  EXPECT_EQ(s.bytes_read, expected_bytes);
  EXPECT_EQ(loader->outstanding(), 0u);
}

TEST_F(LoaderFile, BufferedFallbackServesTheSameBytes) {
  DirectFile::Options o;
  o.refuse_direct_read_for_testing = true;  // falls back on the first read, mid-run
  auto f = DirectFile::open(file_->path(), o);
  ASSERT_TRUE(f.ok());
  auto loader = make_loader(**f, 20);
  Destinations d = make_destinations(packed_);
  std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_TRUE(st[i].ok()) << st[i].to_string();
    EXPECT_TRUE(piece_equals(packed_, i, d.dst(i))) << i;
  }
  EXPECT_FALSE((*f)->is_direct());
}

TEST_F(LoaderFile, OutOfOrderWaits) {
  auto loader = make_loader(*storage_, 20);
  Destinations d = make_destinations(packed_);
  std::vector<size_t> order = in_order(20);
  std::reverse(order.begin(), order.end());
  std::swap(order[3], order[11]);
  std::vector<Status> st = run_all(*loader, packed_, d, order);
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_TRUE(st[i].ok()) << st[i].to_string();
    EXPECT_TRUE(piece_equals(packed_, i, d.dst(i))) << i;
  }
  // A consumed ticket is unknown afterwards.
  auto t = loader->submit(request_for(packed_.pieces[0], d.dst(0)));
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(loader->wait(t.value()).ok());
  Status again = loader->wait(t.value());
  EXPECT_EQ(again.code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(loader->wait(0).code(), ErrorCode::InvalidArgument);
}

TEST_F(LoaderFile, BoundedQueueStreamsWithAWindow) {
  auto loader = make_loader(*storage_, 3);
  Destinations d = make_destinations(packed_);
  std::vector<Ticket> tickets;
  for (size_t i = 0; i < 3; ++i) tickets.push_back(loader->submit(request_for(packed_.pieces[i], d.dst(i))).value());
  auto full = loader->submit(request_for(packed_.pieces[3], d.dst(3)));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(full.status().message(),
            "failed to load piece 'piece3': loader queue full (expected at most 3 outstanding requests, got 4)");
  // Stream: wait for the oldest, submit the next, keeping three in flight.
  for (size_t i = 0; i < 20; ++i) {
    ASSERT_TRUE(loader->wait(tickets[i]).ok()) << i;
    EXPECT_TRUE(piece_equals(packed_, i, d.dst(i))) << i;
    if (i + 3 < 20) tickets.push_back(loader->submit(request_for(packed_.pieces[i + 3], d.dst(i + 3))).value());
  }
  EXPECT_EQ(loader->stats().completed, 20u);
}

TEST_F(LoaderFile, ChecksumMismatchIsCorruptionNamingThePiece) {
  auto loader = make_loader(*storage_, 20);
  Destinations d = make_destinations(packed_);
  packed_.pieces[4].checksum ^= 1;
  const uint64_t wrong = packed_.pieces[4].checksum;
  std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
  for (size_t i = 0; i < 20; ++i) {
    if (i == 4) continue;
    EXPECT_TRUE(st[i].ok()) << i << st[i].to_string();
  }
  EXPECT_EQ(st[4].code(), ErrorCode::Corruption);
  char expected[200];
  std::snprintf(expected, sizeof(expected),
                "failed to verify piece 'piece4': checksum mismatch (expected 0x%016llx, got 0x%016llx)",
                static_cast<unsigned long long>(wrong), static_cast<unsigned long long>(wrong ^ 1));
  EXPECT_EQ(st[4].message(), expected);
  EXPECT_EQ(loader->stats().failed, 1u);
}

TEST_F(LoaderFile, CorruptedByteIsCaught) {
  FaultyStorage faulty(*storage_);
  faulty.set_corrupt_read(7, 123);
  auto loader = make_loader(faulty, 20);
  Destinations d = make_destinations(packed_);
  std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(st[i].ok(), i != 7) << i;
  EXPECT_EQ(st[7].code(), ErrorCode::Corruption);
  EXPECT_EQ(st[7].message().rfind("failed to verify piece 'piece7': checksum mismatch (expected 0x", 0), 0u)
      << st[7].message();
}

TEST_F(LoaderFile, FileChangedUnderARunningSessionIsCaught) {
  auto loader = make_loader(*storage_, 20);
  Destinations d = make_destinations(packed_);
  // Another writer changes one byte of piece 9 after the file was opened.
  const int fd = ::open(file_->path().c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const char flipped = static_cast<char>(packed_.bytes[packed_.pieces[9].offset + 50] ^ 0x01);
  ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(packed_.pieces[9].offset + 50)), 1);
  ASSERT_EQ(::fsync(fd), 0);
  ::close(fd);
  std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
  EXPECT_EQ(st[9].code(), ErrorCode::Corruption);
  EXPECT_NE(st[9].message().find("piece 'piece9'"), std::string::npos) << st[9].message();
  for (size_t i = 0; i < 20; ++i) EXPECT_EQ(st[i].ok(), i != 9) << i;
}

// STYLE.md §11: fail the i-th read for every i; the failing request's wait returns the error, the
// run stops there (cancel_all), and a fresh run on the same loader is served correctly.
TEST_F(LoaderFile, FailingTheIthReadForEveryI) {
  FaultyStorage faulty(*storage_);
  auto loader = make_loader(faulty, 20);
  // Count the reads of a clean run.
  {
    Destinations d = make_destinations(packed_);
    for (const Status& s : run_all(*loader, packed_, d, in_order(20))) ASSERT_TRUE(s.ok());
  }
  const uint64_t clean_reads = faulty.read_count();
  ASSERT_EQ(clean_reads, 20u);
  for (uint64_t i = 0; i < clean_reads; ++i) {
    SCOPED_TRACE("failing read " + std::to_string(i));
    faulty.reset();
    faulty.set_fail_read(i);
    {
      Destinations d = make_destinations(packed_);
      std::vector<Ticket> tickets;
      for (size_t k = 0; k < 20; ++k) tickets.push_back(loader->submit(request_for(packed_.pieces[k], d.dst(k))).value());
      size_t failed_at = 20;
      for (size_t k = 0; k < 20; ++k) {
        Status s = loader->wait(tickets[k]);
        if (!s.ok()) {
          EXPECT_EQ(s.code(), ErrorCode::IOError);
          EXPECT_EQ(s.message().rfind("failed to load piece 'piece" + std::to_string(k) + "': failed to read file '" +
                                          file_->path() + "': injected (read #" + std::to_string(i),
                                      0),
                    0u)
              << s.message();
          failed_at = k;
          break;
        }
        EXPECT_TRUE(piece_equals(packed_, k, d.dst(k)));
      }
      EXPECT_EQ(failed_at, i);
      loader->cancel_all();  // the error path: nothing may touch `d` once it is freed
      EXPECT_EQ(loader->outstanding(), 0u);
    }
    // A fresh run works.
    faulty.reset();
    Destinations d = make_destinations(packed_);
    std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
    for (size_t k = 0; k < 20; ++k) {
      ASSERT_TRUE(st[k].ok()) << st[k].to_string();
      ASSERT_TRUE(piece_equals(packed_, k, d.dst(k)));
    }
  }
}

TEST_F(LoaderFile, ShortReadsAreHandled) {
  FaultyStorage faulty(*storage_);
  faulty.set_short_reads(true);
  auto loader = make_loader(faulty, 20);
  Destinations d = make_destinations(packed_);
  std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
  for (size_t i = 0; i < 20; ++i) {
    EXPECT_TRUE(st[i].ok()) << st[i].to_string();
    EXPECT_TRUE(piece_equals(packed_, i, d.dst(i))) << i;
  }
  EXPECT_EQ(faulty.read_count(), 20u);
  EXPECT_GT(faulty.read_some_count(), 20u);
}

TEST_F(LoaderFile, TruncatedFileIsUnexpectedEnd) {
  auto loader = make_loader(*storage_, 20);
  Destinations d = make_destinations(packed_);
  ASSERT_EQ(::truncate(file_->path().c_str(), static_cast<off_t>(packed_.pieces[15].offset)), 0);
  std::vector<Status> st = run_all(*loader, packed_, d, in_order(20));
  for (size_t i = 0; i < 15; ++i) EXPECT_TRUE(st[i].ok()) << i << st[i].to_string();
  for (size_t i = 15; i < 20; ++i) {
    EXPECT_EQ(st[i].code(), ErrorCode::IOError) << i;
    EXPECT_NE(st[i].message().find("piece" + std::to_string(i) + "': failed to read file"), std::string::npos);
    EXPECT_NE(st[i].message().find("unexpected end of file (expected "), std::string::npos) << st[i].message();
  }
}

TEST(Loader, SlowReadsStall) {
  const PackedFile p = make_packed(4, 200);
  MemoryStorage mem(p.bytes, "mem");
  FaultyStorage faulty(mem);
  faulty.set_delay(std::chrono::milliseconds(20));
  auto loader = make_loader(faulty, 4);
  Destinations d = make_destinations(p);
  auto t = loader->submit(request_for(p.pieces[0], d.dst(0)));
  ASSERT_TRUE(t.ok());
  RequestTiming timing;
  ASSERT_TRUE(loader->wait(t.value(), &timing).ok());
  EXPECT_GT(timing.read_ns, 0u);
  EXPECT_GT(timing.stall_ns, 0u) << "waited right after submitting a 20 ms read";
  std::vector<Status> st = run_all(*loader, p, d, in_order(4));
  for (const Status& s : st) EXPECT_TRUE(s.ok());
  LoaderStats s = loader->stats();
  EXPECT_GE(s.stalled_waits, 1u);
  EXPECT_GT(s.stall_ns, 0u);
  EXPECT_EQ(s.completed, 5u);
}

TEST(Loader, CancelAllDropsPendingAndStaysUsable) {
  const PackedFile p = make_packed(10, 300);
  MemoryStorage mem(p.bytes, "mem");
  FaultyStorage faulty(mem);
  faulty.set_delay(std::chrono::milliseconds(2));
  auto loader = make_loader(faulty, 10);
  std::vector<Ticket> tickets;
  {
    Destinations d = make_destinations(p);
    for (size_t i = 0; i < 10; ++i) tickets.push_back(loader->submit(request_for(p.pieces[i], d.dst(i))).value());
    loader->cancel_all();
    // d is freed here: ASan reports any later write by the loader thread.
  }
  EXPECT_EQ(loader->outstanding(), 0u);
  LoaderStats s = loader->stats();
  EXPECT_EQ(s.completed + s.cancelled, 10u);
  for (Ticket t : tickets) EXPECT_EQ(loader->wait(t).code(), ErrorCode::InvalidArgument);
  faulty.set_delay(std::chrono::microseconds(0));
  Destinations d = make_destinations(p);
  std::vector<Status> st = run_all(*loader, p, d, in_order(10));
  for (size_t i = 0; i < 10; ++i) {
    EXPECT_TRUE(st[i].ok()) << st[i].to_string();
    EXPECT_TRUE(piece_equals(p, i, d.dst(i)));
  }
}

// A storage whose reads block at a gate until the test opens it, counting reads begun and ended.
class GatedStorage final : public Storage {
 public:
  explicit GatedStorage(Storage& inner) : inner_(inner) {}
  Result<uint64_t> read_some(uint64_t offset, uint64_t bytes, std::byte* dst) override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++begun_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    lock.unlock();
    auto r = inner_.read_some(offset, bytes, dst);
    lock.lock();
    ++ended_;
    return r;
  }
  uint64_t size() const override { return inner_.size(); }
  uint64_t alignment() const override { return inner_.alignment(); }
  const std::string& name() const override { return inner_.name(); }

  void wait_for_a_reader() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return begun_ > 0; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  uint64_t begun() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return begun_;
  }
  // Whether n reads have begun within `limit` (a bound for a failing loader, not a measurement).
  bool wait_for_reads(uint64_t n, std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return begun_ >= n; });
  }
  uint64_t ended() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ended_;
  }

 private:
  Storage& inner_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  uint64_t begun_ = 0, ended_ = 0;
};

// cancel_all() while a read is in flight returns only after that read ended, so the caller may
// free the destinations right away (ASan would report the late write otherwise).
TEST(Loader, CancelAllWaitsForTheReadInFlight) {
  const PackedFile p = make_packed(5, 700);
  MemoryStorage mem(p.bytes, "mem");
  GatedStorage gated(mem);
  auto loader = make_loader(gated, 5);
  {
    Destinations d = make_destinations(p);
    for (size_t i = 0; i < 5; ++i) ASSERT_TRUE(loader->submit(request_for(p.pieces[i], d.dst(i))).ok());
    gated.wait_for_a_reader();  // request 0 is being read
    // Opens the gate a little later; the sleep only orders events, nothing asserts on time.
    std::thread opener([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      gated.open();
    });
    loader->cancel_all();
    EXPECT_EQ(gated.begun(), 1u);
    EXPECT_EQ(gated.ended(), 1u) << "cancel_all returned while a read was still writing";
    opener.join();
  }
  LoaderStats s = loader->stats();
  EXPECT_EQ(s.completed, 1u);
  EXPECT_EQ(s.cancelled, 4u);
  Destinations d = make_destinations(p);
  std::vector<Status> st = run_all(*loader, p, d, in_order(5));
  for (size_t i = 0; i < 5; ++i) EXPECT_TRUE(st[i].ok() && piece_equals(p, i, d.dst(i))) << i;
}

// The storage reads the next request while the previous one is verified: request 0's
// verification waits until request 1's read has begun, which a loader that verifies between
// reads never lets happen (it would give up after 30 s and fail).
TEST(Loader, ReadsTheNextRequestWhileVerifyingThePrevious) {
  const PackedFile p = make_packed(3, 700);
  MemoryStorage mem(p.bytes, "mem");
  GatedStorage gated(mem);
  auto loader = make_loader(gated, 3);
  bool overlapped = false;
  loader->set_verify_hook_for_testing([&](const ReadRequest& r) {
    if (r.label == "piece0") overlapped = gated.wait_for_reads(2, std::chrono::seconds(30));
  });
  Destinations d = make_destinations(p);
  // All three are queued before request 0's read may end (the gate holds it): request 0 has
  // requests behind it, so the verifier takes it (a request with none is verified by the reader).
  std::vector<Ticket> tickets;
  for (size_t i = 0; i < 3; ++i) tickets.push_back(loader->submit(request_for(p.pieces[i], d.dst(i))).value());
  gated.open();
  std::vector<Status> st;
  for (Ticket t : tickets) st.push_back(loader->wait(t));
  EXPECT_TRUE(overlapped) << "request 1 was not read while request 0 was verified";
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(st[i].ok() && piece_equals(p, i, d.dst(i))) << i;
  LoaderStats s = loader->stats();
  EXPECT_EQ(s.completed, 3u);
  EXPECT_GT(s.read_ns, 0u);
}

TEST(Loader, CancelWhileAnotherThreadWaits) {
  const PackedFile p = make_packed(6, 400);
  MemoryStorage mem(p.bytes, "mem");
  FaultyStorage faulty(mem);
  faulty.set_delay(std::chrono::milliseconds(5));
  auto loader = make_loader(faulty, 6);
  Destinations d = make_destinations(p);
  std::vector<Ticket> tickets;
  for (size_t i = 0; i < 6; ++i) tickets.push_back(loader->submit(request_for(p.pieces[i], d.dst(i))).value());
  Status waited;
  std::thread waiter([&] { waited = loader->wait(tickets[5]); });
  loader->cancel_all();
  waiter.join();
  // Either the waiter was told its request was dropped, or it raced ahead of cancel_all and
  // found its ticket already forgotten; both are clean errors.
  EXPECT_FALSE(waited.ok());
  EXPECT_TRUE(waited.message() == "failed to load piece 'piece5': cancelled" ||
              waited.code() == ErrorCode::InvalidArgument)
      << waited.to_string();
  EXPECT_EQ(loader->outstanding(), 0u);
}

TEST(Loader, DrainFinishesEverything) {
  const PackedFile p = make_packed(8, 500);
  MemoryStorage mem(p.bytes, "mem");
  auto loader = make_loader(mem, 8);
  Destinations d = make_destinations(p);
  std::vector<Ticket> tickets;
  for (size_t i = 0; i < 8; ++i) tickets.push_back(loader->submit(request_for(p.pieces[i], d.dst(i))).value());
  loader->drain();
  EXPECT_EQ(loader->stats().completed, 8u);
  EXPECT_EQ(loader->outstanding(), 8u) << "results stay until waited for";
  for (Ticket t : tickets) EXPECT_TRUE(loader->wait(t).ok());
}

TEST(Loader, DestroyedWithPendingRequests) {
  const PackedFile p = make_packed(6, 600);
  MemoryStorage mem(p.bytes, "mem");
  FaultyStorage faulty(mem);
  faulty.set_delay(std::chrono::milliseconds(3));
  Destinations d = make_destinations(p);
  {
    auto loader = make_loader(faulty, 6);
    for (size_t i = 0; i < 6; ++i) ASSERT_TRUE(loader->submit(request_for(p.pieces[i], d.dst(i))).ok());
  }  // no hang, no stuck thread
  EXPECT_LE(faulty.read_count(), 6u);
}

TEST(Loader, RejectsBadArguments) {
  MemoryStorage mem("abc", "mem");
  EXPECT_EQ(Loader::create(mem, 0).status().code(), ErrorCode::InvalidArgument);
  auto loader = make_loader(mem, 2);
  ReadRequest r;
  r.bytes = 3;
  r.label = "x";
  EXPECT_EQ(loader->submit(r).status().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(loader->outstanding(), 0u);
  // Unverified request.
  std::byte buf[3];
  r.dst = buf;
  r.verify = false;
  ASSERT_TRUE(loader->wait(loader->submit(r).value()).ok());
  EXPECT_EQ(std::memcmp(buf, "abc", 3), 0);
}

}  // namespace
}  // namespace deepshark::testing
