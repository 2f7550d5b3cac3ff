// Helpers for the io tests: temporary files with known bytes, and a small packed file of pieces.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/memory.h"
#include "io/loader.h"
#include "io/storage.h"

namespace deepshark::testing {

// Deterministic pseudo-random bytes.
inline std::string random_bytes(uint64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

// A file that removes itself.
class TempFile {
 public:
  TempFile(const std::string& dir, const std::string& name, const std::string& bytes)
      : path_(dir + "/ds_io_test_" + std::to_string(::getpid()) + "_" + name) {
    Status s = write_file_atomic(path_, bytes);
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Pieces laid out like a block stream file: each payload starts at a multiple of 4096; the last one
// ends the file at an unaligned size.
struct Piece {
  std::string label;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint64_t checksum = 0;
};
struct PackedFile {
  std::string bytes;
  std::vector<Piece> pieces;
};

inline PackedFile make_packed(int count, uint32_t seed) {
  PackedFile p;
  for (int i = 0; i < count; ++i) {
    Piece piece;
    piece.label = "piece" + std::to_string(i);
    piece.offset = align_up(p.bytes.size(), kDirectIOAlignment);
    piece.bytes = 1000 + 2500 * static_cast<uint64_t>(i % 7);  // spans 1 to 5 blocks, unaligned
    std::string payload = random_bytes(piece.bytes, seed + i);
    piece.checksum = checksum_xxh3(reinterpret_cast<const std::byte*>(payload.data()), payload.size());
    p.bytes.resize(piece.offset, '\xee');  // padding between pieces
    p.bytes += payload;
    p.pieces.push_back(piece);
  }
  return p;
}

// Destinations for every piece of a packed file, in one aligned buffer.
struct Destinations {
  Buffer buffer;
  std::vector<uint64_t> at;  // offset of each piece in buffer
  std::byte* dst(size_t i) { return buffer.data() + at[i]; }
};
inline Destinations make_destinations(const PackedFile& p) {
  Destinations d;
  uint64_t total = 0;
  for (const Piece& piece : p.pieces) {
    d.at.push_back(total);
    total += align_up(piece.bytes, kDirectIOAlignment);
  }
  auto b = Buffer::allocate(default_allocator(), total, MemoryClass::IOBuffers, "test destinations", true,
                            kDirectIOAlignment);
  EXPECT_TRUE(b.ok());
  d.buffer = std::move(b).value();
  return d;
}

inline ReadRequest request_for(const Piece& piece, std::byte* dst) {
  ReadRequest r;
  r.offset = piece.offset;
  r.bytes = piece.bytes;
  r.dst = dst;
  r.checksum = piece.checksum;
  r.label = piece.label;
  return r;
}

inline bool piece_equals(const PackedFile& p, size_t i, const std::byte* dst) {
  const Piece& piece = p.pieces[i];
  return std::memcmp(p.bytes.data() + piece.offset, dst, piece.bytes) == 0;
}

}  // namespace deepshark::testing
