// FaultyStorage: a Storage wrapper that injects faults, for tests (STYLE.md §11: count the reads
// of a clean run, then fail the i-th one for every i).
//
//   ds::FaultyStorage faulty(file);          // wraps, does not own
//   faulty.set_fail_read(3);                 // the 4th read() (0-based index 3) fails: IOError "injected"
//   faulty.set_fail_reads_from(3);           // the 4th and every later read() fail (a dead disk)
//   faulty.set_short_reads(true);            // each read_some returns at most about half of what was asked
//   faulty.set_delay(std::chrono::milliseconds(2));   // every read() sleeps first
//   faulty.set_corrupt_read(5, 17);          // read #5 gets byte 17 of its buffer flipped
//   ... run ...; faulty.read_count();        // how many read() calls were made
//
// All settings and counters are thread-safe (reads happen on the loader thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "io/storage.h"

namespace deepshark {

class FaultyStorage final : public Storage {
 public:
  static constexpr uint64_t kNever = ~uint64_t{0};

  explicit FaultyStorage(Storage& inner) : inner_(inner) {}

  // Counts the call, sleeps for the delay, fails it when it is the chosen one, else reads
  // through Storage::read (so short reads go through the retry loop) and corrupts if chosen.
  Status read(uint64_t offset, uint64_t bytes, std::byte* dst) override;
  Result<uint64_t> read_some(uint64_t offset, uint64_t bytes, std::byte* dst) override;
  uint64_t size() const override { return inner_.size(); }
  uint64_t alignment() const override { return inner_.alignment(); }
  const std::string& name() const override { return inner_.name(); }

  // 0-based index of the read() call that fails with IOError "injected" (kNever = none).
  void set_fail_read(uint64_t index) { fail_read_.store(index); }
  // Every read() call from 0-based index `index` on fails the same way (kNever = none).
  void set_fail_reads_from(uint64_t index) { fail_from_.store(index); }
  // When on, read_some returns about half of what was asked (at least one alignment unit).
  void set_short_reads(bool on) { short_reads_.store(on); }
  // Sleep before every read() call.
  void set_delay(std::chrono::microseconds d) { delay_us_.store(d.count()); }
  // Read call `index` gets byte `byte_offset` of its destination flipped after a successful read.
  void set_corrupt_read(uint64_t index, uint64_t byte_offset) {
    corrupt_byte_.store(byte_offset);
    corrupt_read_.store(index);
  }
  // Clears every fault and the counters.
  void reset();

  uint64_t read_count() const { return reads_.load(); }
  uint64_t read_some_count() const { return read_somes_.load(); }

 private:
  Storage& inner_;
  std::atomic<uint64_t> fail_read_{kNever};
  std::atomic<uint64_t> fail_from_{kNever};
  std::atomic<uint64_t> corrupt_read_{kNever};
  std::atomic<uint64_t> corrupt_byte_{0};
  std::atomic<bool> short_reads_{false};
  std::atomic<int64_t> delay_us_{0};
  std::atomic<uint64_t> reads_{0};
  std::atomic<uint64_t> read_somes_{0};
};

}  // namespace deepshark
