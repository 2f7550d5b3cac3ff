// Fuzz target: a block stream file (.dsk) from any bytes. Opens its header and tables (from an
// in-memory file), and when it opens, plans and runs it once under a small budget on a fixed input
// (payloads read through a MemoryStorage). The run's managed memory must stay within the budget.
//
// Checksums would stop nearly every mutation at the first check, so the harness rewrites them
// before opening (the checksum checks themselves are tested in tests/unit/format): every piece
// checksum whose payload lies inside the file, then the header/table checksum.
#include <sys/mman.h>
#include <unistd.h>

#include <vector>

#include <xxhash.h>

#include <cstring>

#include "format/dsk_layout.h"
#include "fuzz_target.h"
#include "io/storage.h"
#include "runtime/block_stream.h"

namespace deepshark::fuzz {

namespace {

constexpr uint64_t kBudgetBytes = uint64_t{16} << 20;
constexpr int64_t kMaxInputElements = int64_t{1} << 20;

// The bytes as a file that exists only in memory; path() names it for open().
class MemFile {
 public:
  MemFile(const uint8_t* data, size_t size) : fd_(memfd_create("fuzz.dsk", MFD_CLOEXEC)) {
    if (fd_ < 0) return;
    size_t done = 0;
    while (done < size) {
      ssize_t n = ::write(fd_, data + done, size - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ok_ = done == size;
  }
  ~MemFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
  bool ok_ = false;
};

void put_u64(std::string& s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[at + i] = static_cast<char>(v >> (8 * i));
}

// Rewrites the piece checksums and the tables checksum of `file` where its header locates them.
void fix_checksums(std::string& file) {
  using namespace format;
  if (file.size() < kHeaderBytes) return;
  DskHeader h = decode_header_fields(std::string_view(file).substr(0, kHeaderBytes));
  const uint64_t size = file.size();
  if (h.graph_offset > size || h.graph_bytes > size - h.graph_offset) return;
  const uint64_t table_at = h.graph_offset + h.graph_bytes;
  if (h.table_offset != table_at || h.table_bytes > size - table_at) return;
  std::string_view table = std::string_view(file).substr(table_at, h.table_bytes);
  if (h.piece_count <= h.table_bytes) {
    Result<std::vector<PieceEntry>> pieces = decode_piece_table(table, h.piece_count, "fuzz");
    if (pieces.ok()) {
      for (PieceEntry& p : *pieces) {
        if (p.offset <= size && p.bytes <= size - p.offset) p.checksum = XXH3_64bits(file.data() + p.offset, p.bytes);
      }
      std::string fixed = encode_piece_table(*pieces);
      if (fixed.size() == table.size()) file.replace(table_at, fixed.size(), fixed);
    }
  }
  std::string_view v(file);
  uint64_t sum = tables_checksum(v.substr(0, kHeaderBytes), v.substr(h.graph_offset, h.graph_bytes),
                                 v.substr(table_at, h.table_bytes));
  put_u64(file, header_offset::kTablesChecksum, sum);
}

// A fixed input per graph input: small deterministic values. False when an input is too large.
bool fixed_inputs(const Graph& g, std::vector<Tensor>* tensors) {
  for (ValueId id : g.inputs) {
    const Value& v = g.value(id);
    auto n = checked_numel(v.shape);
    if (!v.shape_known || !n || *n > kMaxInputElements) return false;
    Result<Tensor> t = Tensor::create(v.dtype, v.shape);
    if (!t.ok()) return false;
    const TensorView tv = t->view();
    for (int64_t i = 0; i < *n; ++i) {
      switch (v.dtype) {
#define DS_X(name, type, size, onnx) \
  case DType::name: tv.as<type>()[i] = static_cast<type>(i % 5); break;
        DS_DTYPES(DS_X)
#undef DS_X
      }
    }
    tensors->push_back(std::move(*t));
  }
  return true;
}

}  // namespace

void dsk_open_run(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  fix_checksums(bytes);
  MemFile file(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!file.ok()) return violation("dsk_open_run: cannot make an in-memory file");
  MemoryStorage storage(std::move(bytes), file.path());
  Ceiling ceiling("dsk_open_run", import_ceiling_bytes(size) + kBudgetBytes);
  StreamOptions options;
  options.threads = 1;
  options.direct_io = false;
  options.requirement.memory_budget_bytes = kBudgetBytes;
  Result<std::unique_ptr<BlockStreamSession>> s = BlockStreamSession::open_with_storage(file.path(), storage, options);
  if (!s.ok()) return check_error(s.status(), "open dsk");
  BlockStreamSession& session = **s;
  std::vector<Tensor> inputs;
  if (fixed_inputs(session.graph(), &inputs)) {
    std::vector<TensorView> views;
    for (const Tensor& t : inputs) views.push_back(t.view());
    Result<std::vector<Tensor>> out = session.run(views);
    check_error(out.ok() ? Status::ok_status() : out.status(), "run dsk");
  }
  if (session.peak_managed_bytes() > kBudgetBytes) {
    violation("dsk_open_run: peak managed memory " + std::to_string(session.peak_managed_bytes()) +
              " bytes exceeds the budget of " + std::to_string(kBudgetBytes));
  }
}

}  // namespace deepshark::fuzz

DS_FUZZ_ENTRY(dsk_open_run)
