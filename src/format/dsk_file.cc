#include "format/dsk_file.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/shape.h"
#include "graph/shape_inference.h"

namespace deepshark::format {
namespace {

// Full pread; returns bytes read (short only at end of file) or -1 with errno.
int64_t pread_full(int fd, void* dst, uint64_t bytes, uint64_t offset) {
  char* p = static_cast<char*>(dst);
  uint64_t done = 0;
  while (done < bytes) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(bytes - done, uint64_t{1} << 30));
    ssize_t n = ::pread(fd, p + done, chunk, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    done += static_cast<uint64_t>(n);
  }
  return static_cast<int64_t>(done);
}

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isprint(c) && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::string threads_text(uint32_t n) { return std::to_string(n) + (n == 1 ? " thread" : " threads"); }

// Validates the header against the real file size; returns nothing on success.
Status validate_header(const DskHeader& h, std::string_view block, uint64_t real_bytes, const std::string& path) {
  auto corrupt = [&](const std::string& reason) {
    return make_error(ErrorCode::Corruption, "open", "block stream", path, reason);
  };
  if (std::memcmp(block.data(), kDskMagic, sizeof kDskMagic) != 0) {
    return corrupt("bad magic, not a block stream file " +
                   expected_got("'DSKSHARK'", "'" + printable(block.substr(0, sizeof kDskMagic)) + "'"));
  }
  if (h.version > kDskVersion) {
    return make_error(ErrorCode::Unsupported, "open", "block stream", path,
                      "format version " + std::to_string(h.version) + " is newer than this build reads " +
                          expected_got("<= " + std::to_string(kDskVersion), std::to_string(h.version)) +
                          ": re-pack with this build's 'deepshark pack' or use a newer deepshark");
  }
  if (h.version == 0) return corrupt("bad format version " + expected_got(std::to_string(kDskVersion), "0"));
  if (h.alignment != kDskAlignment) {
    return corrupt("bad alignment " + expected_got(std::to_string(kDskAlignment), std::to_string(h.alignment)));
  }
  if (h.flags != 0) return corrupt("unknown header flags " + expected_got("0", std::to_string(h.flags)));
  if (real_bytes < h.file_bytes) {
    return corrupt("file is truncated " + expected_got(std::to_string(h.file_bytes) + " bytes",
                                                       std::to_string(real_bytes)));
  }
  if (real_bytes > h.file_bytes) {
    return corrupt("file is longer than its header says " +
                   expected_got(std::to_string(h.file_bytes) + " bytes", std::to_string(real_bytes)));
  }
  // Graph blob: 4096-aligned, after the header; piece table right after it; the file ends there.
  if (h.graph_offset < kHeaderBytes || h.graph_offset % kDskAlignment != 0) {
    return corrupt("bad graph offset " + expected_got("a multiple of 4096, >= 4096", std::to_string(h.graph_offset)));
  }
  auto graph_end = checked_add(h.graph_offset, h.graph_bytes);
  if (!graph_end || *graph_end > h.file_bytes) {
    return corrupt("graph blob extends past the end of the file " +
                   expected_got("end <= " + std::to_string(h.file_bytes),
                                graph_end ? std::to_string(*graph_end) : std::string("overflow")));
  }
  if (h.table_offset != *graph_end) {
    return corrupt("piece table does not follow the graph blob " +
                   expected_got("offset " + std::to_string(*graph_end), std::to_string(h.table_offset)));
  }
  auto table_end = checked_add(h.table_offset, h.table_bytes);
  if (!table_end || *table_end != h.file_bytes) {
    return corrupt("piece table does not end the file " +
                   expected_got("end " + std::to_string(h.file_bytes),
                                table_end ? std::to_string(*table_end) : std::string("overflow")));
  }
  if (h.file_bytes - h.graph_offset > kMaxTablesBytes) {
    return corrupt("graph and piece table too large " + expected_got("<= " + std::to_string(kMaxTablesBytes) + " bytes",
                                                                     std::to_string(h.file_bytes - h.graph_offset)));
  }
  return Status::ok_status();
}

// Piece extents (padded) lie in [kHeaderBytes, graph_offset), aligned, in ascending order.
Status validate_piece_extents(const DskHeader& h, const std::vector<PieceEntry>& pieces, const std::string& path) {
  uint64_t prev_end = kHeaderBytes;
  for (const PieceEntry& p : pieces) {
    auto corrupt = [&](const std::string& reason) {
      return make_error(ErrorCode::Corruption, "open", "block stream", path,
                        "piece " + std::to_string(p.index) + ": " + reason);
    };
    if (p.offset % kDskAlignment != 0) {
      return corrupt("offset is not 4096-byte aligned " +
                     expected_got("a multiple of 4096", std::to_string(p.offset)));
    }
    auto padded = checked_add(p.bytes, kDskAlignment - 1);
    auto end = padded ? checked_add(p.offset, *padded / kDskAlignment * kDskAlignment) : std::nullopt;
    if (!end) return corrupt("offset + size overflows (offset " + std::to_string(p.offset) + ", size " + std::to_string(p.bytes) + ")");
    if (p.offset < prev_end) {
      return corrupt(std::string(p.offset < kHeaderBytes ? "overlaps the header" : "overlaps the previous piece") +
                     " " + expected_got("offset >= " + std::to_string(prev_end), std::to_string(p.offset)));
    }
    if (*end > h.graph_offset) {
      return corrupt("extends past the end of the payload area (file offset " + std::to_string(h.graph_offset) +
                     ") " + expected_got("end <= " + std::to_string(h.graph_offset), std::to_string(*end)));
    }
    prev_end = *end;
  }
  return Status::ok_status();
}

// Pieces name real nodes; parts back piece-backed values that the node consumes.
Status validate_piece_refs(const DecodedGraph& d, const std::vector<PieceEntry>& pieces, const std::string& path) {
  const Graph& g = d.graph;
  for (const PieceEntry& p : pieces) {
    auto invalid = [&](const std::string& reason) {
      return make_error(ErrorCode::InvalidModel, "open", "block stream", path,
                        "piece " + std::to_string(p.index) + ": " + reason);
    };
    if (p.node >= g.nodes.size()) {
      return invalid("node index out of range " +
                     expected_got("< " + std::to_string(g.nodes.size()), std::to_string(p.node)));
    }
    const Node& n = g.nodes[p.node];
    for (size_t k = 0; k < p.parts.size(); ++k) {
      const PiecePart& part = p.parts[k];
      std::string pw = "part " + std::to_string(k) + " of node '" + n.name + "'";
      if (part.role == PartRole::NodeInput) {
        if (part.index >= n.inputs.size() || n.inputs[part.index] != part.value_id) {
          return invalid(pw + " does not match the node's input " + std::to_string(part.index));
        }
      }
      if (part.value_id == kNoValue) continue;
      if (static_cast<size_t>(part.value_id) >= g.values.size() || !d.is_piece_backed(part.value_id)) {
        return invalid(pw + " backs value " + std::to_string(part.value_id) + ", which is not piece-backed");
      }
      bool consumed = false;
      for (ValueId in : n.inputs) consumed = consumed || in == part.value_id;
      if (!consumed) return invalid(pw + " backs value '" + g.values[part.value_id].name + "', which the node does not use");
    }
  }
  return Status::ok_status();
}

// The stored shapes are not trusted (kernels size their loops and buffers from them): graph inputs
// need valid static shapes, and every node's outputs are inferred again from its inputs and must be
// what the file says.
Status validate_shapes(Graph& g, const std::string& path) {
  auto invalid = [&](const std::string& reason) {
    return make_error(ErrorCode::InvalidModel, "open", "block stream", path, reason);
  };
  for (ValueId id : g.inputs) {
    const Value& v = g.value(id);
    bool ok = v.shape_known && checked_numel(v.shape).has_value();
    for (int64_t d : v.shape) ok = ok && d >= 0;
    if (!ok) return invalid("graph input '" + v.name + "' has no valid static shape " + shape_to_string(v.shape));
  }
  for (const Node& n : g.nodes) {
    std::vector<std::pair<DType, Shape>> stored;
    for (ValueId o : n.outputs) {
      if (o == kNoValue) continue;
      if (!g.value(o).shape_known) return invalid("output '" + g.value(o).name + "' of node '" + n.name + "' has no shape");
      stored.emplace_back(g.value(o).dtype, g.value(o).shape);
    }
    Status s = infer_node(g, n);
    if (!s.ok()) return s.with_context(failure_message("open", "block stream", path, ""));
    size_t k = 0;
    for (ValueId o : n.outputs) {
      if (o == kNoValue) continue;
      const Value& v = g.value(o);
      const auto& [dtype, shape] = stored[k++];
      if (v.dtype != dtype || v.shape != shape) {
        return invalid("output '" + v.name + "' of node '" + n.name + "' is stored with a shape its inputs do not give " +
                       expected_got(std::string(dtype_name(v.dtype)) + shape_to_string(v.shape),
                                    std::string(dtype_name(dtype)) + shape_to_string(shape)));
      }
    }
  }
  return Status::ok_status();
}

}  // namespace

DskFile::DskFile(DskFile&& o) noexcept { *this = std::move(o); }

DskFile& DskFile::operator=(DskFile&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    o.fd_ = -1;
    header_ = std::move(o.header_);
    pieces_ = std::move(o.pieces_);
    decoded_ = std::move(o.decoded_);
  }
  return *this;
}

DskFile::~DskFile() {
  if (fd_ >= 0) ::close(fd_);
}

Result<DskFile> DskFile::open(const std::string& path) {
  DskFile f;
  f.path_ = path;
  auto io_error = [&](const std::string& reason) {
    return make_error(ErrorCode::IOError, "open", "block stream", path, reason);
  };
  f.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd_ < 0) return io_error(std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd_, &st) != 0) return io_error(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return io_error("not a regular file");
  uint64_t real_bytes = static_cast<uint64_t>(st.st_size);
  if (real_bytes < kHeaderBytes) {
    return make_error(ErrorCode::Corruption, "open", "block stream", path,
                      "truncated header " + expected_got(">= " + std::to_string(kHeaderBytes) + " bytes",
                                                         std::to_string(real_bytes)));
  }
  std::string block(kHeaderBytes, '\0');
  int64_t got = pread_full(f.fd_, block.data(), kHeaderBytes, 0);
  if (got < 0) return io_error(std::strerror(errno));
  if (static_cast<uint64_t>(got) != kHeaderBytes) return io_error("short read of the header");
  f.header_ = decode_header_fields(block);
  const DskHeader& h = f.header_;
  DS_RETURN_IF_ERROR(validate_header(h, block, real_bytes, path));

  // Graph blob and piece table are adjacent at the end of the file: one read. Its size is
  // bounded by the real file size and kMaxTablesBytes (validated above).
  std::string tables(h.file_bytes - h.graph_offset, '\0');
  got = pread_full(f.fd_, tables.data(), tables.size(), h.graph_offset);
  if (got < 0) return io_error(std::strerror(errno));
  if (static_cast<uint64_t>(got) != tables.size()) return io_error("short read of the tables");
  std::string_view graph_blob = std::string_view(tables).substr(0, h.graph_bytes);
  std::string_view table = std::string_view(tables).substr(h.graph_bytes);
  uint64_t sum = tables_checksum(block, graph_blob, table);
  if (sum != h.tables_checksum) {
    return make_error(ErrorCode::Corruption, "open", "block stream", path,
                      "header/table checksum mismatch " + expected_got(hex64(h.tables_checksum), hex64(sum)));
  }
  DS_TRY(f.pieces_, decode_piece_table(table, h.piece_count, path));
  DS_RETURN_IF_ERROR(validate_piece_extents(h, f.pieces_, path));
  DS_TRY(f.decoded_, decode_graph(graph_blob, path));
  DS_RETURN_IF_ERROR(validate_piece_refs(f.decoded_, f.pieces_, path));
  DS_RETURN_IF_ERROR(validate_shapes(f.decoded_.graph, path));
  return f;
}

int64_t DskFile::first_piece_of_node(uint32_t node) const {
  for (const PieceEntry& p : pieces_) {
    if (p.node == node) return p.index;
  }
  return -1;
}

std::string DskFile::piece_label(const PieceEntry& e) const {
  std::string s = "piece " + std::to_string(e.index) + " (node '";
  s += e.node < graph().nodes.size() ? graph().nodes[e.node].name : std::to_string(e.node);
  s += "'";
  if (e.sliced()) s += ", outputs [" + std::to_string(e.slice_begin) + ", " + std::to_string(e.slice_end) + ")";
  return s + ") of block stream '" + path_ + "'";
}

Status DskFile::verify_piece(const PieceEntry& entry, const std::byte* payload) const {
  uint64_t sum = XXH3_64bits(payload, entry.bytes);
  if (sum != entry.checksum) {
    return Status(ErrorCode::Corruption, failure_message("verify", piece_label(entry), "",
                                                         "checksum mismatch " +
                                                             expected_got(hex64(entry.checksum), hex64(sum))));
  }
  return Status::ok_status();
}

Status DskFile::read_piece(const PieceEntry& entry, std::byte* dst) const {
  int64_t got = pread_full(fd_, dst, entry.bytes, entry.offset);
  if (got < 0) return Status(ErrorCode::IOError, failure_message("read", piece_label(entry), "", std::strerror(errno)));
  if (static_cast<uint64_t>(got) != entry.bytes) {
    return Status(ErrorCode::IOError,
                  failure_message("read", piece_label(entry), "",
                                  "short read, the file changed since it was opened " +
                                      expected_got(std::to_string(entry.bytes) + " bytes", std::to_string(got))));
  }
  return verify_piece(entry, dst);
}

Status DskFile::check_compatible(const std::string& isa, const std::string& dnnl_version, uint32_t threads) const {
  return format::check_compatible(header_, isa, dnnl_version, threads, path_);
}

Status check_compatible(const DskHeader& h, const std::string& isa, const std::string& dnnl_version,
                        uint32_t threads, const std::string& file) {
  const LayoutFingerprint& f = h.fingerprint;
  if (f.isa == isa && f.dnnl_version == dnnl_version && f.threads == threads) return Status::ok_status();
  bool show_dnnl = f.dnnl_version != dnnl_version;
  std::string packed = "packed for " + f.isa + " with " + threads_text(f.threads);
  std::string here = "this machine is " + isa + " with " + threads_text(threads);
  if (show_dnnl) {
    packed += " and oneDNN " + f.dnnl_version;
    here += " and oneDNN " + dnnl_version;
  }
  return make_error(ErrorCode::Unsupported, "open", "block stream", file,
                    packed + ", " + here + ": re-pack with 'deepshark pack'");
}

}  // namespace deepshark::format
