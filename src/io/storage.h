// Storage: where weight bytes come from. A positioned, full-or-error read interface that the loader
// thread (io/loader.h) reads through, with a file implementation (io/direct_file.h), an in-memory
// one for tests and tools (MemoryStorage below) and a fault-injecting wrapper (io/faulty_storage.h).
//
//   DS_TRY(std::unique_ptr<ds::DirectFile> f, ds::DirectFile::open("model.dsk"));
//   uint64_t a = f->alignment();                      // 4096 with O_DIRECT, 1 buffered
//   DS_TRY(ds::Buffer buf, ds::Buffer::allocate(alloc, ds::align_up(n, a), ds::MemoryClass::IOBuffers,
//                                               "read buffer", false, ds::kDirectIOAlignment));
//   DS_RETURN_IF_ERROR(f->read(offset, ds::align_up(n, a), buf.data()));
//
// Alignment contract: offset, bytes and dst must be multiples of alignment() (the caller guarantees
// it; a violation is InvalidArgument, nothing is read). The one request that may reach past the end
// of the storage is the rounded-up read of its unaligned tail: when offset + bytes is at most size()
// rounded up to kDirectIOAlignment (or to alignment() when larger; the same rule for buffered
// storage, so reads laid out for direct I/O still work after a fallback), the read stops at the end
// and the bytes of dst past it are zeroed. Any other read that meets the end early is an IOError
// "unexpected end of file".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace deepshark {

// Alignment of offsets, sizes and buffers for direct I/O (a safe multiple of every logical block
// size in use; also the page size).
inline constexpr uint64_t kDirectIOAlignment = 4096;

inline constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }
inline constexpr uint64_t align_down(uint64_t v, uint64_t a) { return v / a * a; }

class Storage {
 public:
  virtual ~Storage() = default;

  // Reads exactly `bytes` bytes at `offset` into dst (see the alignment and tail rules above).
  // Loops over read_some() until done, so short reads and interrupted calls are handled.
  // InvalidArgument for a misaligned request or one past the end; IOError "unexpected end of
  // file (expected N bytes at offset X, got M)" when the data ends early; the error of
  // read_some() otherwise. Thread-safe when read_some() is (all implementations here are).
  virtual Status read(uint64_t offset, uint64_t bytes, std::byte* dst);

  // One read attempt of at most `bytes` bytes at `offset`: returns how many bytes it read, 0 at
  // the end of the storage. May return fewer than asked (callers normally use read()). Requests
  // follow the same alignment rules as read(). Retries EINTR itself.
  virtual Result<uint64_t> read_some(uint64_t offset, uint64_t bytes, std::byte* dst) = 0;

  // Size in bytes (fixed when the storage is opened).
  virtual uint64_t size() const = 0;
  // Required alignment of offsets, sizes and destination pointers: kDirectIOAlignment for direct
  // I/O, 1 for buffered or in-memory storage.
  virtual uint64_t alignment() const = 0;
  // Name used in error messages (the file path for files).
  virtual const std::string& name() const = 0;
};

// Checks a request against the alignment contract; InvalidArgument naming the storage otherwise.
Status check_read_request(const Storage& s, uint64_t offset, uint64_t bytes, const std::byte* dst);

// Storage over bytes held in memory (a copy of `bytes`), alignment 1 unless given. For tests, and
// for tools that stream from a buffer.
class MemoryStorage final : public Storage {
 public:
  explicit MemoryStorage(std::string bytes, std::string name = "memory", uint64_t alignment = 1)
      : bytes_(std::move(bytes)), name_(std::move(name)), alignment_(alignment) {}

  Result<uint64_t> read_some(uint64_t offset, uint64_t bytes, std::byte* dst) override;
  uint64_t size() const override { return bytes_.size(); }
  uint64_t alignment() const override { return alignment_; }
  const std::string& name() const override { return name_; }

 private:
  std::string bytes_;
  std::string name_;
  uint64_t alignment_;
};

}  // namespace deepshark
