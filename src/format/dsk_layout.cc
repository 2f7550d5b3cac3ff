#include "format/dsk_layout.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <xxhash.h>

#include "base/shape.h"
#include "format/byte_codec.h"

namespace deepshark::format {
namespace {

constexpr uint64_t kMinEntryBytes = 8 + 8 + 8 + 4 + 8 + 8 + 4;  // fixed fields of a piece entry
constexpr uint64_t kMinPartBytes = 1 + 4 + 4 + 8 + 8 + 4;       // fixed fields of a part

template <typename T>
void put(std::string& b, size_t off, T v) {
  std::memcpy(b.data() + off, &v, sizeof v);
}
template <typename T>
T get(std::string_view b, size_t off) {
  T v;
  std::memcpy(&v, b.data() + off, sizeof v);
  return v;
}
void put_str(std::string& b, size_t off, const std::string& s) {
  DS_CHECK_MSG(s.size() < kFingerprintBytes, "header string too long: " + s);
  std::memcpy(b.data() + off, s.data(), s.size());
}
std::string get_str(std::string_view b, size_t off) {
  std::string_view f = b.substr(off, kFingerprintBytes);
  return std::string(f.substr(0, std::min(f.find('\0'), f.size())));
}

}  // namespace

const char* part_role_name(PartRole r) {
  switch (r) {
    case PartRole::WeightSlot: return "weight slot";
    case PartRole::NodeInput: return "node input";
  }
  return "?";
}

uint64_t PieceEntry::padded_bytes() const {
  auto p = checked_add(bytes, kDskAlignment - 1);
  DS_CHECK(p.has_value());
  return *p / kDskAlignment * kDskAlignment;
}

std::string encode_header(const DskHeader& h) {
  namespace o = header_offset;
  std::string b(kHeaderBytes, '\0');
  std::memcpy(b.data() + o::kMagic, kDskMagic, sizeof kDskMagic);
  put(b, o::kVersion, h.version);
  put(b, o::kAlignment, h.alignment);
  put(b, o::kFileBytes, h.file_bytes);
  put(b, o::kGraphOffset, h.graph_offset);
  put(b, o::kGraphBytes, h.graph_bytes);
  put(b, o::kTableOffset, h.table_offset);
  put(b, o::kTableBytes, h.table_bytes);
  put(b, o::kPieceCount, h.piece_count);
  put(b, o::kPackThreads, h.fingerprint.threads);
  put(b, o::kFlags, h.flags);
  put(b, o::kTablesChecksum, h.tables_checksum);
  put_str(b, o::kIsa, h.fingerprint.isa);
  put_str(b, o::kDnnlVersion, h.fingerprint.dnnl_version);
  put_str(b, o::kProducer, h.fingerprint.producer);
  return b;
}

DskHeader decode_header_fields(std::string_view b) {
  namespace o = header_offset;
  DS_CHECK(b.size() == kHeaderBytes);
  DskHeader h;
  h.version = get<uint32_t>(b, o::kVersion);
  h.alignment = get<uint32_t>(b, o::kAlignment);
  h.file_bytes = get<uint64_t>(b, o::kFileBytes);
  h.graph_offset = get<uint64_t>(b, o::kGraphOffset);
  h.graph_bytes = get<uint64_t>(b, o::kGraphBytes);
  h.table_offset = get<uint64_t>(b, o::kTableOffset);
  h.table_bytes = get<uint64_t>(b, o::kTableBytes);
  h.piece_count = get<uint64_t>(b, o::kPieceCount);
  h.fingerprint.threads = get<uint32_t>(b, o::kPackThreads);
  h.flags = get<uint32_t>(b, o::kFlags);
  h.tables_checksum = get<uint64_t>(b, o::kTablesChecksum);
  h.fingerprint.isa = get_str(b, o::kIsa);
  h.fingerprint.dnnl_version = get_str(b, o::kDnnlVersion);
  h.fingerprint.producer = get_str(b, o::kProducer);
  return h;
}

std::string encode_piece_table(const std::vector<PieceEntry>& pieces) {
  ByteWriter w;
  for (const PieceEntry& p : pieces) {
    w.u64(p.offset);
    w.u64(p.bytes);
    w.u64(p.checksum);
    w.u32(p.node);
    w.u64(p.slice_begin);
    w.u64(p.slice_end);
    w.u32(static_cast<uint32_t>(p.parts.size()));
    for (const PiecePart& part : p.parts) {
      w.u8(static_cast<uint8_t>(part.role));
      w.u32(part.index);
      w.i32(part.value_id);
      w.u64(part.offset);
      w.u64(part.bytes);
      w.str(part.layout);
    }
  }
  return w.take();
}

Result<std::vector<PieceEntry>> decode_piece_table(std::string_view table, uint64_t count, const std::string& file) {
  auto corrupt = [&](const std::string& reason) {
    return make_error(ErrorCode::Corruption, "open", "block stream", file, reason);
  };
  uint64_t fit = table.size() / kMinEntryBytes;
  if (count > fit) {
    return corrupt("piece count does not fit in the piece table " +
                   expected_got("<= " + std::to_string(fit), std::to_string(count)));
  }
  ByteReader r(table);
  std::vector<PieceEntry> pieces(count);
  for (uint64_t i = 0; i < count; ++i) {
    PieceEntry& p = pieces[i];
    std::string where = "piece " + std::to_string(i);
    p.index = static_cast<uint32_t>(i);
    p.offset = r.u64();
    p.bytes = r.u64();
    p.checksum = r.u64();
    p.node = r.u32();
    p.slice_begin = r.u64();
    p.slice_end = r.u64();
    uint32_t np = r.count(kMinPartBytes, "part");
    if (r.failed()) return corrupt(where + ": " + r.error());
    if (p.slice_end == 0 ? p.slice_begin != 0 : p.slice_begin >= p.slice_end) {
      return corrupt(where + ": empty or reversed slice [" + std::to_string(p.slice_begin) + ", " +
                     std::to_string(p.slice_end) + ")");
    }
    p.parts.resize(np);
    for (uint32_t k = 0; k < np; ++k) {
      PiecePart& part = p.parts[k];
      std::string pw = where + " part " + std::to_string(k);
      uint8_t role = r.u8();
      part.index = r.u32();
      part.value_id = r.i32();
      part.offset = r.u64();
      part.bytes = r.u64();
      part.layout = r.str(kMaxLayoutBytes, "layout");
      if (r.failed()) return corrupt(pw + ": " + r.error());
      if (role > static_cast<uint8_t>(PartRole::NodeInput)) {
        return corrupt(pw + ": unknown role " + expected_got("0 or 1", std::to_string(role)));
      }
      part.role = static_cast<PartRole>(role);
      if (part.value_id < -1) {
        return corrupt(pw + ": bad value id " + expected_got(">= -1", std::to_string(part.value_id)));
      }
      if (part.offset % kPartAlignment != 0) {
        return corrupt(pw + ": offset is not " + std::to_string(kPartAlignment) + "-byte aligned " +
                       expected_got("a multiple of " + std::to_string(kPartAlignment), std::to_string(part.offset)));
      }
      auto end = checked_add(part.offset, part.bytes);
      if (!end || *end > p.bytes) {
        return corrupt(pw + ": extends past the end of the piece " +
                       expected_got("end <= " + std::to_string(p.bytes),
                                    end ? std::to_string(*end) : std::string("overflow")));
      }
    }
    // Parts must not overlap (sorted copy of [offset, end) ranges).
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    ranges.reserve(np);
    for (const PiecePart& part : p.parts) ranges.emplace_back(part.offset, part.offset + part.bytes);
    std::sort(ranges.begin(), ranges.end());
    for (size_t k = 1; k < ranges.size(); ++k) {
      if (ranges[k].first < ranges[k - 1].second) return corrupt(where + ": parts overlap");
    }
  }
  if (!r.at_end()) {
    return corrupt("trailing bytes after the piece table " + expected_got("0", std::to_string(r.remaining())));
  }
  return pieces;
}

uint64_t tables_checksum(std::string_view header_block, std::string_view graph, std::string_view table) {
  DS_CHECK(header_block.size() == kHeaderBytes);
  std::string hb(header_block);
  std::memset(hb.data() + header_offset::kTablesChecksum, 0, 8);
  XXH3_state_t* st = XXH3_createState();
  DS_CHECK(st != nullptr);
  XXH3_64bits_reset(st);
  XXH3_64bits_update(st, hb.data(), hb.size());
  XXH3_64bits_update(st, graph.data(), graph.size());
  XXH3_64bits_update(st, table.data(), table.size());
  uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

std::string hex64(uint64_t v) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace deepshark::format
