#include "io/faulty_storage.h"

#include <algorithm>
#include <thread>

namespace deepshark {

Status FaultyStorage::read(uint64_t offset, uint64_t bytes, std::byte* dst) {
  const uint64_t index = reads_.fetch_add(1);
  const int64_t delay = delay_us_.load();
  if (delay > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay));
  if (index == fail_read_.load() || index >= fail_from_.load()) {
    return make_error(ErrorCode::IOError, "read", "file", name(),
                      "injected (read #" + std::to_string(index) + ", " + std::to_string(bytes) +
                          " bytes at offset " + std::to_string(offset) + ")");
  }
  DS_RETURN_IF_ERROR(Storage::read(offset, bytes, dst));
  const uint64_t at = corrupt_byte_.load();
  if (index == corrupt_read_.load() && at < bytes) dst[at] ^= std::byte{0x5a};
  return Status::ok_status();
}

Result<uint64_t> FaultyStorage::read_some(uint64_t offset, uint64_t bytes, std::byte* dst) {
  read_somes_.fetch_add(1);
  if (short_reads_.load()) {
    const uint64_t a = inner_.alignment();
    const uint64_t half = std::max(a, align_down(bytes / 2, a));
    bytes = std::min(bytes, half);
  }
  return inner_.read_some(offset, bytes, dst);
}

void FaultyStorage::reset() {
  fail_read_.store(kNever);
  fail_from_.store(kNever);
  corrupt_read_.store(kNever);
  corrupt_byte_.store(0);
  short_reads_.store(false);
  delay_us_.store(0);
  reads_.store(0);
  read_somes_.store(0);
}

}  // namespace deepshark
