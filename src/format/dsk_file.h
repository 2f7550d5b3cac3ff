// DskFile: opens a block stream file (.dsk) and validates its header, graph and piece table.
//
// open() reads only the header block and the tables (graph blob + piece table, at the end of
// the file), never the payloads. Every count, offset and size is checked against the real file
// size (overflow-checked) before anything proportional to it is allocated. The streaming loader
// reads payloads itself (O_DIRECT, using path() and each PieceEntry's padded extent) and calls
// verify_piece() on what it read; read_piece() is a simple pread path for tools and tests.
//
//   DS_TRY(ds::format::DskFile f, ds::format::DskFile::open("m.dsk"));
//   DS_RETURN_IF_ERROR(f.check_compatible("avx512_core", "2.6.3", 2));   // or re-pack
//   for (const PieceEntry& p : f.pieces()) { ...read p.padded_bytes() at p.offset...;
//                                            DS_RETURN_IF_ERROR(f.verify_piece(p, buf)); }
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "format/dsk_layout.h"
#include "format/graph_codec.h"

namespace deepshark::format {

class DskFile {
 public:
  // Errors (all name the path; docs/file-format.md lists each check):
  //   IOError       the file cannot be opened or read (strerror)
  //   Corruption    truncated header, bad magic, version 0, bad alignment or flags, file size
  //                 different from the header's, tables out of bounds, table checksum mismatch,
  //                 broken piece table (counts, offsets, sizes, overlaps, misalignment)
  //   Unsupported   a newer format version ("re-pack"), an op or dtype this build does not know
  //   InvalidModel  a graph or piece table that decodes but is inconsistent (ids out of range,
  //                 a part backing a value that is not piece-backed or not the node's input)
  static Result<DskFile> open(const std::string& path);

  DskFile(DskFile&& o) noexcept;
  DskFile& operator=(DskFile&& o) noexcept;
  DskFile(const DskFile&) = delete;
  DskFile& operator=(const DskFile&) = delete;
  ~DskFile();

  const std::string& path() const { return path_; }
  const DskHeader& header() const { return header_; }
  const std::vector<PieceEntry>& pieces() const { return pieces_; }
  const Graph& graph() const { return decoded_.graph; }
  Graph& graph() { return decoded_.graph; }
  // Piece-backed value ids, ascending (their data is in pieces, not in graph()).
  const std::vector<ValueId>& piece_backed() const { return decoded_.piece_backed; }
  bool is_piece_backed(ValueId id) const { return decoded_.is_piece_backed(id); }
  // Index of the first piece of each node (pieces of a node are consecutive), or -1.
  int64_t first_piece_of_node(uint32_t node) const;

  // Checks `payload` (entry.bytes bytes) against the entry's checksum. Corruption:
  //   failed to verify piece 12 (node 'fc6', outputs [0, 512)) of block stream 'm.dsk':
  //   checksum mismatch (expected 0x..., got 0x...)
  Status verify_piece(const PieceEntry& entry, const std::byte* payload) const;
  // preads entry.bytes bytes into dst and verifies them. IOError on a read error or a short
  // read (the file changed since open), Corruption on a checksum mismatch.
  Status read_piece(const PieceEntry& entry, std::byte* dst) const;
  // check_compatible(header(), ..., path()).
  Status check_compatible(const std::string& isa, const std::string& dnnl_version, uint32_t threads) const;

 private:
  DskFile() = default;
  std::string piece_label(const PieceEntry& e) const;

  std::string path_;
  int fd_ = -1;
  DskHeader header_;
  std::vector<PieceEntry> pieces_;
  DecodedGraph decoded_;
};

// Unsupported when the file was packed for another ISA, oneDNN version or thread count:
//   failed to open block stream 'x.dsk': packed for avx2 with 1 thread, this machine is
//   avx512_core with 2 threads: re-pack with 'deepshark pack'
Status check_compatible(const DskHeader& h, const std::string& isa, const std::string& dnnl_version,
                        uint32_t threads, const std::string& file);

}  // namespace deepshark::format
