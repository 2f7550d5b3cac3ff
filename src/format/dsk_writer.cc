#include "format/dsk_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include "base/shape.h"

namespace deepshark::format {
namespace {

const char kZeros[kDskAlignment] = {};

uint64_t align_up(uint64_t v) { return (v + kDskAlignment - 1) / kDskAlignment * kDskAlignment; }

Status check_fingerprint_string(const std::string& s, const char* what, const std::string& path) {
  if (s.size() >= kFingerprintBytes || s.find('\0') != std::string::npos) {
    return make_error(ErrorCode::InvalidArgument, "create", "block stream", path,
                      std::string(what) + " '" + s + "' does not fit the header " +
                          expected_got("< " + std::to_string(kFingerprintBytes) + " bytes, no NUL",
                                       std::to_string(s.size()) + " bytes"));
  }
  return Status::ok_status();
}

}  // namespace

DskWriter::DskWriter(std::string path, int fd, LayoutFingerprint fp)
    : path_(std::move(path)), tmp_path_(path_ + ".tmp"), fd_(fd), fp_(std::move(fp)) {}

DskWriter::~DskWriter() {
  if (!done_) discard();
}

void DskWriter::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(tmp_path_.c_str());
  done_ = true;
}

Status DskWriter::fail(const std::string& reason) {
  discard();
  return make_error(ErrorCode::IOError, "write", "block stream", path_, reason);
}

Result<std::unique_ptr<DskWriter>> DskWriter::create(const std::string& path, const LayoutFingerprint& fp) {
  DS_RETURN_IF_ERROR(check_fingerprint_string(fp.isa, "ISA name", path));
  DS_RETURN_IF_ERROR(check_fingerprint_string(fp.dnnl_version, "oneDNN version", path));
  DS_RETURN_IF_ERROR(check_fingerprint_string(fp.producer, "producer", path));
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorCode::IOError, "create", "block stream", path, std::strerror(errno));
  std::unique_ptr<DskWriter> w(new DskWriter(path, fd, fp));
  // Placeholder header (magic zero until finish(), so an interrupted file is never "valid").
  DS_RETURN_IF_ERROR(w->write_at(0, kZeros, kHeaderBytes));
  w->pos_ = kHeaderBytes;
  return w;
}

Status DskWriter::write_at(uint64_t offset, const void* data, uint64_t bytes) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    size_t chunk = static_cast<size_t>(std::min<uint64_t>(bytes, uint64_t{1} << 30));
    ssize_t n = ::pwrite(fd_, p, chunk, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(std::strerror(errno));
    }
    if (n == 0) return fail("pwrite wrote nothing");
    p += n;
    offset += static_cast<uint64_t>(n);
    bytes -= static_cast<uint64_t>(n);
  }
  return Status::ok_status();
}

Result<uint32_t> DskWriter::add_piece(const PieceMeta& meta, const std::byte* data, uint64_t bytes) {
  if (done_) return make_error(ErrorCode::InvalidArgument, "write", "block stream", path_, "writer is finished or failed");
  std::string where = "piece " + std::to_string(pieces_.size()) + " (node " + std::to_string(meta.node) + ")";
  auto bad = [&](const std::string& reason) {
    return make_error(ErrorCode::InvalidArgument, "add", where, "", reason);
  };
  if (pieces_.size() >= UINT32_MAX) return bad("too many pieces");
  if (meta.slice_end == 0 ? meta.slice_begin != 0 : meta.slice_begin >= meta.slice_end) return bad("empty slice");
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const PiecePart& p : meta.parts) {
    auto end = checked_add(p.offset, p.bytes);
    if (p.offset % kPartAlignment != 0) return bad("part offset " + std::to_string(p.offset) + " is not 64-byte aligned");
    if (!end || *end > bytes) return bad("part extends past the payload of " + std::to_string(bytes) + " bytes");
    if (p.layout.size() > kMaxLayoutBytes) return bad("layout string too long");
    if (p.value_id < -1) return bad("bad value id");
    ranges.emplace_back(p.offset, *end);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) return bad("parts overlap");
  }
  auto padded = checked_add(bytes, kDskAlignment - 1);
  if (!padded || !checked_add(pos_, *padded)) return bad("payload too large");
  PieceEntry e;
  e.index = static_cast<uint32_t>(pieces_.size());
  e.offset = pos_;
  e.bytes = bytes;
  e.checksum = XXH3_64bits(data, bytes);
  e.node = meta.node;
  e.slice_begin = meta.slice_begin;
  e.slice_end = meta.slice_end;
  e.parts = meta.parts;
  DS_RETURN_IF_ERROR(write_at(pos_, data, bytes));
  uint64_t pad = align_up(bytes) - bytes;
  if (pad) DS_RETURN_IF_ERROR(write_at(pos_ + bytes, kZeros, pad));
  pos_ += bytes + pad;
  pieces_.push_back(std::move(e));
  return pieces_.back().index;
}

Status DskWriter::finish(std::string_view graph_blob) {
  if (done_) return make_error(ErrorCode::InvalidArgument, "write", "block stream", path_, "writer is finished or failed");
  std::string table = encode_piece_table(pieces_);
  if (graph_blob.size() + table.size() > kMaxTablesBytes) {
    discard();
    return make_error(ErrorCode::InvalidArgument, "write", "block stream", path_,
                      "graph and piece table too large " +
                          expected_got("<= " + std::to_string(kMaxTablesBytes) + " bytes",
                                       std::to_string(graph_blob.size() + table.size())));
  }
  DskHeader h;
  h.graph_offset = pos_;  // already 4096-aligned: every payload is padded
  h.graph_bytes = graph_blob.size();
  h.table_offset = h.graph_offset + h.graph_bytes;
  h.table_bytes = table.size();
  h.file_bytes = h.table_offset + h.table_bytes;
  h.piece_count = pieces_.size();
  h.fingerprint = fp_;
  h.tables_checksum = tables_checksum(encode_header(h), graph_blob, table);
  std::string block = encode_header(h);
  DS_RETURN_IF_ERROR(write_at(h.graph_offset, graph_blob.data(), graph_blob.size()));
  DS_RETURN_IF_ERROR(write_at(h.table_offset, table.data(), table.size()));
  DS_RETURN_IF_ERROR(write_at(0, block.data(), block.size()));
  if (::fdatasync(fd_) != 0) return fail(std::strerror(errno));
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return fail(std::strerror(errno));
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) return fail(std::strerror(errno));
  done_ = true;
  return Status::ok_status();
}

}  // namespace deepshark::format
