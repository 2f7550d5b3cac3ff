#include "io/storage.h"

#include <algorithm>
#include <cstring>

namespace deepshark {

Status check_read_request(const Storage& s, uint64_t offset, uint64_t bytes, const std::byte* dst) {
  const uint64_t a = s.alignment();
  const auto addr = reinterpret_cast<uintptr_t>(dst);
  if (offset % a != 0 || bytes % a != 0 || addr % a != 0) {
    return make_error(ErrorCode::InvalidArgument, "read", "file", s.name(),
                      "misaligned request of " + std::to_string(bytes) + " bytes at offset " +
                          std::to_string(offset) + " " +
                          expected_got("offset, size and buffer aligned to " + std::to_string(a),
                                       "offset % a = " + std::to_string(offset % a) +
                                           ", size % a = " + std::to_string(bytes % a) +
                                           ", buffer % a = " + std::to_string(addr % a)));
  }
  // The only request allowed past the end is the rounded-up read of the unaligned tail.
  // It is rounded to kDirectIOAlignment even for buffered storage, so callers that lay out reads
  // for direct I/O keep working after a fallback.
  const uint64_t size = s.size();
  const uint64_t end = align_up(size, std::max(a, kDirectIOAlignment));
  if (offset > size || bytes > end - offset) {
    return make_error(ErrorCode::InvalidArgument, "read", "file", s.name(),
                      "request past the end " +
                          expected_got("end <= " + std::to_string(end),
                                       std::to_string(offset) + " + " + std::to_string(bytes)));
  }
  return Status::ok_status();
}

Status Storage::read(uint64_t offset, uint64_t bytes, std::byte* dst) {
  DS_RETURN_IF_ERROR(check_read_request(*this, offset, bytes, dst));
  uint64_t done = 0;
  while (done < bytes) {
    DS_TRY(uint64_t n, read_some(offset + done, bytes - done, dst + done));
    if (n == 0) break;
    done += n;
    // At the end a direct read returns the unaligned tail; asking again would be misaligned.
    // An unaligned count before size() means the file ended early (it shrank since it was
    // opened): that is the unexpected end below, not a misaligned request.
    if (offset + done >= size() || done % alignment() != 0) break;
  }
  if (done < bytes) {
    // A short final read is fine only when it ends exactly at the end of the storage and the
    // request was the rounded-up tail (check_read_request bounded it to alignment() - 1 bytes).
    if (offset + done == size() && offset + bytes > size()) {
      std::memset(dst + done, 0, bytes - done);
      return Status::ok_status();
    }
    return make_error(ErrorCode::IOError, "read", "file", name(),
                      "unexpected end of file " +
                          expected_got(std::to_string(bytes) + " bytes at offset " + std::to_string(offset),
                                       std::to_string(done)));
  }
  return Status::ok_status();
}

Result<uint64_t> MemoryStorage::read_some(uint64_t offset, uint64_t bytes, std::byte* dst) {
  if (offset >= bytes_.size()) return uint64_t{0};
  const uint64_t n = std::min<uint64_t>(bytes, bytes_.size() - offset);
  std::memcpy(dst, bytes_.data() + offset, n);
  return n;
}

}  // namespace deepshark
