#include "format/byte_codec.h"

#include <cstring>

namespace deepshark::format {

void ByteWriter::str(std::string_view s) {
  u32(static_cast<uint32_t>(s.size()));
  raw(s.data(), s.size());
}

void ByteReader::fail(std::string reason) {
  if (failed_) return;
  failed_ = true;
  error_ = std::move(reason);
}

bool ByteReader::take(void* dst, uint64_t n, const char* what) {
  if (failed_) {
    std::memset(dst, 0, n);
    return false;
  }
  if (n > remaining()) {
    std::memset(dst, 0, n);
    fail(std::string("truncated while reading ") + what + " at byte " + std::to_string(pos_) + " (expected " +
         std::to_string(n) + " more bytes, got " + std::to_string(remaining()) + ")");
    return false;
  }
  std::memcpy(dst, data_.data() + pos_, n);
  pos_ += n;
  return true;
}

#define DS_READ_SCALAR(fn, type)  \
  type ByteReader::fn() {         \
    type v;                       \
    take(&v, sizeof v, #type);    \
    return v;                     \
  }
DS_READ_SCALAR(u8, uint8_t)
DS_READ_SCALAR(u16, uint16_t)
DS_READ_SCALAR(u32, uint32_t)
DS_READ_SCALAR(u64, uint64_t)
DS_READ_SCALAR(i32, int32_t)
DS_READ_SCALAR(i64, int64_t)
DS_READ_SCALAR(f32, float)
#undef DS_READ_SCALAR

std::string ByteReader::str(uint64_t max_len, const char* what) {
  uint32_t n = u32();
  if (failed_) return {};
  if (n > max_len || n > remaining()) {
    fail(std::string(what) + " length at byte " + std::to_string(pos_ - 4) + " is too large (expected <= " +
         std::to_string(std::min<uint64_t>(max_len, remaining())) + ", got " + std::to_string(n) + ")");
    return {};
  }
  std::string s(data_.substr(pos_, n));
  pos_ += n;
  return s;
}

const std::byte* ByteReader::raw(uint64_t n, const char* what) {
  if (failed_) return nullptr;
  if (n > remaining()) {
    fail(std::string("truncated while reading ") + what + " at byte " + std::to_string(pos_) + " (expected " +
         std::to_string(n) + " more bytes, got " + std::to_string(remaining()) + ")");
    return nullptr;
  }
  const std::byte* p = reinterpret_cast<const std::byte*>(data_.data() + pos_);
  pos_ += n;
  return p;
}

uint32_t ByteReader::count(uint64_t min_item_bytes, const char* what, uint64_t max_count) {
  uint32_t n = u32();
  if (failed_) return 0;
  uint64_t fit = min_item_bytes == 0 ? UINT64_MAX : remaining() / min_item_bytes;
  uint64_t cap = std::min(fit, max_count);
  if (n > cap) {
    fail(std::string(what) + " count at byte " + std::to_string(pos_ - 4) + " does not fit in the data (expected <= " +
         std::to_string(cap) + ", got " + std::to_string(n) + ")");
    return 0;
  }
  return n;
}

}  // namespace deepshark::format
