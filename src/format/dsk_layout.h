// On-disk structures of the block stream file (.dsk): the header block and the piece table,
// with their byte encodings. The byte-by-byte spec is docs/file-format.md; DskWriter writes
// these and DskFile reads and validates them.
//
// File layout (all integers little-endian):
//   [0, 4096)            header block (DskHeader)
//   [4096, ...)          piece payloads, each at a 4096-aligned offset, zero-padded to 4096
//   graph_offset         graph blob (graph_codec.h), 4096-aligned, right after the last payload
//   table_offset         piece table, right after the graph blob; the file ends there
//
//   DskHeader h = ...;  std::string block = encode_header(h);   // kHeaderBytes bytes
//   DS_TRY(std::vector<PieceEntry> t, decode_piece_table(table_bytes, h.piece_count, "m.dsk"));
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace deepshark::format {

inline constexpr char kDskMagic[8] = {'D', 'S', 'K', 'S', 'H', 'A', 'R', 'K'};
inline constexpr uint32_t kDskVersion = 1;
inline constexpr uint64_t kDskAlignment = 4096;   // header block, piece offsets, graph blob
inline constexpr uint64_t kHeaderBytes = 4096;
inline constexpr uint64_t kPartAlignment = 64;    // part offsets inside a piece
inline constexpr uint64_t kFingerprintBytes = 64; // fixed-size NUL-padded strings in the header
inline constexpr uint64_t kMaxLayoutBytes = 4096; // a part's layout string
inline constexpr uint64_t kMaxTablesBytes = uint64_t{1} << 28;  // graph blob + piece table (256 MiB)

// Byte offsets of the header fields (docs/file-format.md, "Header").
namespace header_offset {
inline constexpr size_t kMagic = 0;
inline constexpr size_t kVersion = 8;
inline constexpr size_t kAlignment = 12;
inline constexpr size_t kFileBytes = 16;
inline constexpr size_t kGraphOffset = 24;
inline constexpr size_t kGraphBytes = 32;
inline constexpr size_t kTableOffset = 40;
inline constexpr size_t kTableBytes = 48;
inline constexpr size_t kPieceCount = 56;
inline constexpr size_t kPackThreads = 64;
inline constexpr size_t kFlags = 68;
inline constexpr size_t kTablesChecksum = 72;
inline constexpr size_t kIsa = 80;
inline constexpr size_t kDnnlVersion = 144;
inline constexpr size_t kProducer = 208;
inline constexpr size_t kEnd = 272;  // bytes [272, 4096) are zero in version 1
}  // namespace header_offset

// Layout fingerprint: what the packed weight layouts depend on.
struct LayoutFingerprint {
  std::string isa;            // CPU ISA as oneDNN reports it, e.g. "avx512_core" (<= 63 bytes)
  std::string dnnl_version;   // e.g. "2.6.3" (<= 63 bytes)
  uint32_t threads = 1;       // thread count the layouts were chosen for
  std::string producer;       // e.g. "deepshark 0.1.0" (<= 63 bytes; informational)
};

struct DskHeader {
  uint32_t version = kDskVersion;
  uint32_t alignment = static_cast<uint32_t>(kDskAlignment);
  uint64_t file_bytes = 0;
  uint64_t graph_offset = 0;
  uint64_t graph_bytes = 0;
  uint64_t table_offset = 0;
  uint64_t table_bytes = 0;
  uint64_t piece_count = 0;
  uint32_t flags = 0;         // reserved, 0
  uint64_t tables_checksum = 0;  // XXH3-64 of header block (this field zeroed) + graph + table
  LayoutFingerprint fingerprint;
};

// What a part's bytes stand for.
enum class PartRole : uint8_t {
  WeightSlot = 0,  // the node kernel's weight slot `index`, in the kernel's layout
  NodeInput = 1,   // the node's input `index`, plain row-major
};
const char* part_role_name(PartRole r);

// One tensor inside a piece.
struct PiecePart {
  PartRole role = PartRole::WeightSlot;
  uint32_t index = 0;      // weight slot k or node input j
  int32_t value_id = -1;   // the constant value it backs, or -1 when derived from several
  uint64_t offset = 0;     // byte offset within the piece, kPartAlignment-aligned
  uint64_t bytes = 0;
  std::string layout;      // Kernel::weight_layout(k), or "plain"
};

// One unit of weight storage: the weights of one node, or one output-channel slice of it.
struct PieceEntry {
  uint32_t index = 0;        // position in the table (not stored; set by the decoder)
  uint64_t offset = 0;       // file offset of the payload, kDskAlignment-aligned
  uint64_t bytes = 0;        // payload bytes; on disk it is zero-padded to padded_bytes()
  uint64_t checksum = 0;     // XXH3-64 of the `bytes` payload bytes
  uint32_t node = 0;         // graph node index
  uint64_t slice_begin = 0;  // output channels [slice_begin, slice_end); both 0 = whole node
  uint64_t slice_end = 0;
  std::vector<PiecePart> parts;

  bool sliced() const { return slice_end != 0; }
  uint64_t padded_bytes() const;  // bytes rounded up to kDskAlignment (DS_CHECKs overflow)
};

// The 4096-byte header block. Strings longer than 63 bytes are DS_CHECKed (the writer validates).
std::string encode_header(const DskHeader& h);
// Reads the fields of a header block (exactly kHeaderBytes). Checks nothing but the size; the
// caller (DskFile::open) validates magic, version and the rest.
DskHeader decode_header_fields(std::string_view block);

// Serialised piece table.
std::string encode_piece_table(const std::vector<PieceEntry>& pieces);
// Parses a piece table of `count` entries, structural checks only (counts capped by the bytes,
// string lengths, exact length, role values, part offsets/sizes inside the piece, part alignment,
// slice ranges): Corruption naming `file` and the piece. Offsets against the file are checked by
// DskFile::open.
Result<std::vector<PieceEntry>> decode_piece_table(std::string_view table, uint64_t count, const std::string& file);

// XXH3-64 over the header block with the checksum field taken as zero, then graph, then table.
uint64_t tables_checksum(std::string_view header_block, std::string_view graph, std::string_view table);

// "0x0123456789abcdef"
std::string hex64(uint64_t v);

}  // namespace deepshark::format
