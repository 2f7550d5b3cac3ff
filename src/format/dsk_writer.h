// DskWriter: writes a block stream file (.dsk) as a stream, one piece at a time.
//
// Memory stays bounded: the caller hands over one piece payload at a time and the writer keeps
// only the (small) piece table. Everything goes to PATH.tmp, which is renamed to PATH only when
// finish() succeeds, so a failure never leaves a partial .dsk behind (the destructor of an
// unfinished writer removes the temp file).
//
//   DS_TRY(auto w, ds::format::DskWriter::create("m.dsk", {"avx512_core", "2.6.3", 2, "deepshark 0.1"}));
//   ds::format::PieceMeta meta{.node = 3, .parts = {{PartRole::WeightSlot, 0, w_id, 0, n, layout}}};
//   DS_TRY(uint32_t k, w->add_piece(meta, bytes, n));        // piece k at the next 4096-aligned offset
//   DS_RETURN_IF_ERROR(w->finish(graph_blob));               // graph blob + piece table + header, rename
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "format/dsk_layout.h"

namespace deepshark::format {

// A piece's description, minus what the writer computes (offset, size, checksum).
struct PieceMeta {
  uint32_t node = 0;
  uint64_t slice_begin = 0;  // output channels [slice_begin, slice_end); both 0 = whole node
  uint64_t slice_end = 0;
  std::vector<PiecePart> parts;
};

class DskWriter {
 public:
  // Creates PATH.tmp and writes a placeholder header. IOError naming the path (strerror);
  // InvalidArgument when a fingerprint string is 64 bytes or longer.
  static Result<std::unique_ptr<DskWriter>> create(const std::string& path, const LayoutFingerprint& fp);
  ~DskWriter();
  DskWriter(const DskWriter&) = delete;
  DskWriter& operator=(const DskWriter&) = delete;

  // Appends one payload of `bytes` bytes at the next 4096-aligned offset (zero-padded) and
  // records its XXH3-64. Returns the piece's index. InvalidArgument when a part is misaligned,
  // overlaps another, or lies outside the payload; IOError on a write failure (the writer is
  // then unusable and the temp file is removed).
  Result<uint32_t> add_piece(const PieceMeta& meta, const std::byte* data, uint64_t bytes);

  // Writes the graph blob and the piece table after the payloads, then the real header, syncs
  // and renames PATH.tmp to PATH. IOError on failure (temp file removed).
  Status finish(std::string_view graph_blob);

  const std::string& path() const { return path_; }
  const std::vector<PieceEntry>& pieces() const { return pieces_; }
  // Bytes written so far (file offset of the next piece).
  uint64_t bytes_written() const { return pos_; }

 private:
  DskWriter(std::string path, int fd, LayoutFingerprint fp);
  Status write_at(uint64_t offset, const void* data, uint64_t bytes);
  Status fail(const std::string& reason);
  void discard();

  std::string path_;
  std::string tmp_path_;
  int fd_ = -1;
  LayoutFingerprint fp_;
  uint64_t pos_ = 0;
  std::vector<PieceEntry> pieces_;
  bool done_ = false;
};

}  // namespace deepshark::format
