// Little-endian byte encoding for the .dsk tables: a growable writer and a bounds-checked reader.
//
// The reader never reads past its input and never allocates: every getter checks the remaining
// bytes first. After the first failure the reader is "failed" (sticky): later getters return
// zeros and empty strings, so a decoder can read a whole record and check failed() once.
// Counts are read with count(), which also rejects a count whose minimum encoded size cannot fit
// in what is left, so no container is ever sized by an untrusted number larger than the input.
//
//   ByteWriter w; w.u32(7); w.str("conv1");
//   ByteReader r(w.view());
//   uint32_t n = r.u32(); std::string s = r.str(1024);
//   if (r.failed()) return Status(ErrorCode::Corruption, r.error());
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace deepshark::format {

static_assert(std::endian::native == std::endian::little, "the .dsk codec assumes a little-endian host");

class ByteWriter {
 public:
  void u8(uint8_t v) { raw(&v, 1); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void i32(int32_t v) { raw(&v, 4); }
  void i64(int64_t v) { raw(&v, 8); }
  void f32(float v) { raw(&v, 4); }
  // u32 length, then the bytes (no terminator).
  void str(std::string_view s);
  void raw(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }

  size_t size() const { return buf_.size(); }
  std::string_view view() const { return buf_; }
  std::string take() { return std::move(buf_); }

 private:
  std::string buf_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  int32_t i32();
  int64_t i64();
  float f32();
  // u32 length then bytes; fails when the length exceeds max_len or the remaining bytes.
  std::string str(uint64_t max_len, const char* what = "string");
  // A view of the next n bytes (nullptr and failed when fewer remain).
  const std::byte* raw(uint64_t n, const char* what = "bytes");
  // A u32 count whose items take at least min_item_bytes each: fails when they cannot fit in
  // the remaining bytes (or exceed max_count). Returns 0 on failure.
  uint32_t count(uint64_t min_item_bytes, const char* what, uint64_t max_count = UINT32_MAX);

  // Marks the reader failed with a reason (the first reason wins).
  void fail(std::string reason);
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

 private:
  bool take(void* dst, uint64_t n, const char* what);

  std::string_view data_;
  uint64_t pos_ = 0;
  bool failed_ = false;
  std::string error_;
};

}  // namespace deepshark::format
