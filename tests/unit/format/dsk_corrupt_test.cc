// The corrupt corpus: each broken file is made here from a valid one, and each must give its
// own error code and message (never a crash, never a silently wrong read).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <functional>
#include <random>

#include "dsk_test_util.h"
#include "format/graph_codec.h"

namespace deepshark::format::testing {
namespace {

class DskCorruptTest : public DskTest {
 protected:
  void SetUp() override {
    DskTest::SetUp();
    file_ = write_valid("m.dsk");
  }
  void expect_open_error(ErrorCode code, const std::string& substr) {
    Result<DskFile> f = DskFile::open(file_);
    ASSERT_FALSE(f.ok()) << "expected " << error_code_name(code) << " containing '" << substr << "'";
    EXPECT_EQ(f.status().code(), code) << f.status().to_string();
    EXPECT_NE(f.status().message().find(substr), std::string::npos) << f.status().message();
    // "failed to open block stream 'm.dsk'" or, for the graph blob, "failed to decode graph of ...".
    EXPECT_NE(f.status().message().find("block stream '" + file_ + "'"), std::string::npos) << f.status().message();
  }
  void patch(size_t offset, const void* bytes, size_t n) {
    std::string all = read_all(file_);
    ASSERT_LE(offset + n, all.size());
    std::memcpy(all.data() + offset, bytes, n);
    write_all(file_, all);
  }
  void truncate_to(uint64_t n) { std::filesystem::resize_file(file_, n); }

  std::string file_;
};

TEST_F(DskCorruptTest, BadMagic) {
  patch(0, "GGUF", 4);
  expect_open_error(ErrorCode::Corruption, "bad magic, not a block stream file (expected 'DSKSHARK', got 'GGUFHARK')");
}

TEST_F(DskCorruptTest, FutureVersionSaysRepack) {
  uint32_t v = kDskVersion + 1;
  patch(header_offset::kVersion, &v, 4);
  expect_open_error(ErrorCode::Unsupported, "format version 2 is newer than this build reads (expected <= 1, got 2)");
  expect_open_error(ErrorCode::Unsupported, "re-pack");
}

TEST_F(DskCorruptTest, VersionZero) {
  uint32_t v = 0;
  patch(header_offset::kVersion, &v, 4);
  expect_open_error(ErrorCode::Corruption, "bad format version (expected 1, got 0)");
}

TEST_F(DskCorruptTest, TruncatedHeader) {
  truncate_to(100);
  expect_open_error(ErrorCode::Corruption, "truncated header (expected >= 4096 bytes, got 100)");
}

TEST_F(DskCorruptTest, EmptyFile) {
  truncate_to(0);
  expect_open_error(ErrorCode::Corruption, "truncated header (expected >= 4096 bytes, got 0)");
}

TEST_F(DskCorruptTest, TruncatedTables) {
  uint64_t size = std::filesystem::file_size(file_);
  truncate_to(size - 10);
  expect_open_error(ErrorCode::Corruption,
                    "file is truncated (expected " + std::to_string(size) + " bytes, got " + std::to_string(size - 10));
}

TEST_F(DskCorruptTest, TruncatedLastPiece) {
  // Cut inside the last piece's payload: the tables after it are gone too.
  Result<DskFile> f = DskFile::open(file_);
  ASSERT_TRUE(f.ok());
  uint64_t cut = f->pieces().back().offset + 1;
  truncate_to(cut);
  expect_open_error(ErrorCode::Corruption, "file is truncated");
  expect_open_error(ErrorCode::Corruption, "got " + std::to_string(cut) + ")");
}

TEST_F(DskCorruptTest, FileShrinksAfterOpenReadPieceIsShortRead) {
  Result<DskFile> f = DskFile::open(file_);
  ASSERT_TRUE(f.ok());
  const PieceEntry& last = f->pieces()[2];
  truncate_to(last.offset + 100);
  std::vector<std::byte> buf(last.bytes);
  Status st = f->read_piece(last, buf.data());
  EXPECT_EQ(st.code(), ErrorCode::IOError) << st.to_string();
  EXPECT_NE(st.message().find("failed to read piece 2 (node 'fc6', outputs [5, 10))"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("short read"), std::string::npos) << st.message();
}

TEST_F(DskCorruptTest, TrailingBytes) {
  write_all(file_, read_all(file_) + "junk");
  expect_open_error(ErrorCode::Corruption, "file is longer than its header says");
}

TEST_F(DskCorruptTest, BadAlignmentField) {
  uint32_t a = 512;
  patch(header_offset::kAlignment, &a, 4);
  expect_open_error(ErrorCode::Corruption, "bad alignment (expected 4096, got 512)");
}

TEST_F(DskCorruptTest, TableChecksumFlip) {
  FileParts p = load_parts(file_);
  size_t at = p.header.table_offset + 17;  // inside piece 0's checksum field
  std::string all = read_all(file_);
  all[at] ^= 0x01;
  write_all(file_, all);
  expect_open_error(ErrorCode::Corruption, "header/table checksum mismatch (expected 0x");
}

TEST_F(DskCorruptTest, HeaderReservedByteFlipFailsChecksum) {
  patch(header_offset::kEnd + 100, "\x01", 1);
  expect_open_error(ErrorCode::Corruption, "header/table checksum mismatch");
}

TEST_F(DskCorruptTest, GraphBlobFlipFailsChecksum) {
  FileParts p = load_parts(file_);
  patch(p.header.graph_offset + 5, "\xff", 1);
  expect_open_error(ErrorCode::Corruption, "header/table checksum mismatch");
}

TEST_F(DskCorruptTest, PieceOffsetPastTheEnd) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[3].offset = uint64_t{1} << 40; });
  expect_open_error(ErrorCode::Corruption, "piece 3: extends past the end of the payload area");
}

TEST_F(DskCorruptTest, PieceSizeOverflowWraps) {
  // offset + size wraps around 2^64: must be caught, not read as a small extent.
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) {
    t[1].bytes = UINT64_MAX - 4096;
  });
  expect_open_error(ErrorCode::Corruption, "piece 1: offset + size overflows");
}

TEST_F(DskCorruptTest, PieceSizeLargerThanFile) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[1].bytes = uint64_t{1} << 50; });
  expect_open_error(ErrorCode::Corruption, "piece 1: extends past the end of the payload area");
}

TEST_F(DskCorruptTest, OverlappingPieces) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[2].offset = t[1].offset + 4096; });
  expect_open_error(ErrorCode::Corruption, "piece 2: overlaps the previous piece");
}

TEST_F(DskCorruptTest, PieceOverlapsHeader) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[0].offset = 0; });
  expect_open_error(ErrorCode::Corruption, "piece 0: overlaps the header");
}

TEST_F(DskCorruptTest, MisalignedPieceOffset) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[1].offset += 64; });
  expect_open_error(ErrorCode::Corruption, "piece 1: offset is not 4096-byte aligned");
}

TEST_F(DskCorruptTest, PartOutsidePiece) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[0].parts[1].bytes = 4096; });
  expect_open_error(ErrorCode::Corruption, "piece 0 part 1: extends past the end of the piece (expected end <= 1088, got 5120)");
}

TEST_F(DskCorruptTest, PartSizeOverflow) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[0].parts[1].bytes = UINT64_MAX; });
  expect_open_error(ErrorCode::Corruption, "piece 0 part 1: extends past the end of the piece (expected end <= 1088, got overflow)");
}

TEST_F(DskCorruptTest, MisalignedPart) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[0].parts[1].offset = 1030; });
  expect_open_error(ErrorCode::Corruption, "piece 0 part 1: offset is not 64-byte aligned");
}

TEST_F(DskCorruptTest, AbsurdPieceCount) {
  edit_tables(file_, [](DskHeader& h, std::vector<PieceEntry>&) { h.piece_count = uint64_t{1} << 40; });
  expect_open_error(ErrorCode::Corruption, "piece count does not fit in the piece table");
}

TEST_F(DskCorruptTest, AbsurdPartCount) {
  FileParts p = load_parts(file_);
  uint32_t n = 0xFFFFFFFFu;
  std::memcpy(p.table.data() + 44, &n, 4);  // piece 0's part count (after 5 u64 + 1 u32 - see docs)
  store_parts(file_, std::move(p));
  expect_open_error(ErrorCode::Corruption, "piece 0: part count at byte 44 does not fit in the data");
}

TEST_F(DskCorruptTest, AbsurdValueCount) {
  FileParts p = load_parts(file_);
  uint32_t n = 0x7FFFFFFFu;
  std::memcpy(p.graph.data() + 4 + std::strlen("small"), &n, 4);
  store_parts(file_, std::move(p));
  expect_open_error(ErrorCode::Corruption, "value count at byte 9 does not fit in the data");
}

TEST_F(DskCorruptTest, PieceNodeOutOfRange) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[1].node = 99; });
  expect_open_error(ErrorCode::InvalidModel, "piece 1: node index out of range (expected < 3, got 99)");
}

TEST_F(DskCorruptTest, PartBacksValueThatIsNotPieceBacked) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[0].parts[0].value_id = 0; });  // 'x'
  expect_open_error(ErrorCode::InvalidModel, "which is not piece-backed");
}

TEST_F(DskCorruptTest, PartNamesWrongNodeInput) {
  edit_tables(file_, [](DskHeader&, std::vector<PieceEntry>& t) { t[0].parts[1].index = 1; });
  expect_open_error(ErrorCode::InvalidModel, "part 1 of node 'conv1' does not match the node's input 1");
}

TEST_F(DskCorruptTest, GraphBlobPastTheEnd) {
  FileParts p = load_parts(file_);
  p.header.graph_bytes += 1 << 20;
  store_parts(file_, std::move(p), /*fix_layout=*/false);
  expect_open_error(ErrorCode::Corruption, "graph blob extends past the end of the file");
}

TEST_F(DskCorruptTest, GraphOffsetOverflow) {
  FileParts p = load_parts(file_);
  p.header.graph_offset = UINT64_MAX - 4095;
  store_parts(file_, std::move(p), /*fix_layout=*/false);
  expect_open_error(ErrorCode::Corruption, "graph blob extends past the end of the file");
}

TEST_F(DskCorruptTest, PayloadChecksumFlipNamesThePiece) {
  // Flip one bit in piece 2: open succeeds (payloads are not read), the read of piece 2 fails
  // with Corruption naming it, and the other pieces still read fine.
  Result<DskFile> f0 = DskFile::open(file_);
  ASSERT_TRUE(f0.ok());
  uint64_t at = f0->pieces()[2].offset + 777;
  std::string all = read_all(file_);
  all[at] ^= 0x10;
  write_all(file_, all);
  Result<DskFile> f = DskFile::open(file_);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  for (const PieceEntry& e : f->pieces()) {
    std::vector<std::byte> buf(e.bytes);
    Status st = f->read_piece(e, buf.data());
    if (e.index != 2) {
      EXPECT_TRUE(st.ok()) << st.to_string();
      continue;
    }
    EXPECT_EQ(st.code(), ErrorCode::Corruption);
    EXPECT_NE(st.message().find("failed to verify piece 2 (node 'fc6', outputs [5, 10)) of block stream '" + file_ +
                                "': checksum mismatch (expected " + hex64(e.checksum) + ", got 0x"),
              std::string::npos)
        << st.message();
  }
}

TEST_F(DskCorruptTest, VerifyPieceOnCallerBuffer) {
  Result<DskFile> f = DskFile::open(file_);
  ASSERT_TRUE(f.ok());
  const PieceEntry& e = f->pieces()[0];
  std::string payload = payloads_[0];
  EXPECT_TRUE(f->verify_piece(e, reinterpret_cast<const std::byte*>(payload.data())).ok());
  payload[0] ^= 1;
  Status st = f->verify_piece(e, reinterpret_cast<const std::byte*>(payload.data()));
  EXPECT_EQ(st.code(), ErrorCode::Corruption);
  EXPECT_NE(st.message().find("failed to verify piece 0 (node 'conv1') of block stream"), std::string::npos)
      << st.message();
}

TEST_F(DskCorruptTest, IsaMismatchSaysRepack) {
  Result<DskFile> f = DskFile::open(file_);  // packed for avx2, 1 thread, oneDNN 2.6.3
  ASSERT_TRUE(f.ok());
  Status st = f->check_compatible("avx512_core", "2.6.3", 2);
  EXPECT_EQ(st.code(), ErrorCode::Unsupported);
  EXPECT_EQ(st.message(), "failed to open block stream '" + file_ +
                              "': packed for avx2 with 1 thread, this machine is avx512_core with 2 threads: "
                              "re-pack with 'deepshark pack'");
  Status dnnl = f->check_compatible("avx2", "3.0.0", 1);
  EXPECT_EQ(dnnl.code(), ErrorCode::Unsupported);
  EXPECT_NE(dnnl.message().find("packed for avx2 with 1 thread and oneDNN 2.6.3, this machine is avx2 with 1 thread "
                                "and oneDNN 3.0.0"),
            std::string::npos)
      << dnnl.message();
  EXPECT_TRUE(f->check_compatible("avx2", "2.6.3", 1).ok());
}

// Rewrites the graph blob (checksum fixed): `edit` changes the decoded graph.
void edit_graph(const std::string& file, const std::function<void(Graph&)>& edit) {
  FileParts p = load_parts(file);
  Result<DecodedGraph> d = decode_graph(p.graph, file);
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  edit(d->graph);
  const std::vector<ValueId> backed = d->piece_backed;
  Result<std::string> blob = encode_graph(d->graph, [&](ValueId id, const Value&) {
    return std::binary_search(backed.begin(), backed.end(), id);
  });
  ASSERT_TRUE(blob.ok()) << blob.status().to_string();
  p.graph = *blob;
  store_parts(file, std::move(p));
}

TEST_F(DskCorruptTest, StoredShapeItsInputsDoNotGive) {
  // Kernels size loops and buffers from these shapes: they are inferred again, never trusted.
  edit_graph(file_, [](Graph& g) { g.value(g.find_value("f")).shape = {1, 4096}; });
  expect_open_error(ErrorCode::InvalidModel,
                    "output 'f' of node 'flatten' is stored with a shape its inputs do not give "
                    "(expected F32[1,1024], got F32[1,4096])");
}

TEST_F(DskCorruptTest, AttributeThatBreaksShapeInference) {
  edit_graph(file_, [](Graph& g) { g.nodes[0].attrs.set_ints("kernel_shape", {3, 3}); });
  expect_open_error(ErrorCode::InvalidModel, "failed to infer shape of node 'conv1'");
}

TEST_F(DskCorruptTest, GraphInputWithoutStaticShape) {
  edit_graph(file_, [](Graph& g) { g.value(g.inputs[0]).shape_known = false; });
  expect_open_error(ErrorCode::InvalidModel, "graph input 'x' has no valid static shape");
}

TEST_F(DskCorruptTest, RandomTableFlipsWithFixedChecksumNeverCrash) {
  // A hostile writer can make the checksum match: the decoders must still hold.
  FileParts valid = load_parts(file_);
  std::mt19937 rng(99);
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    FileParts p = valid;
    std::string& region = (trial % 2) ? p.table : p.graph;
    for (int k = 0; k < 2; ++k) region[rng() % region.size()] ^= static_cast<char>(1u << (rng() % 8));
    store_parts(file_, std::move(p));
    Result<DskFile> f = DskFile::open(file_);
    if (!f.ok()) {
      ++rejected;
      EXPECT_NE(f.status().code(), ErrorCode::Internal);
      EXPECT_NE(f.status().code(), ErrorCode::IOError) << f.status().to_string();
    }
  }
  EXPECT_GT(rejected, 0);
}

}  // namespace
}  // namespace deepshark::format::testing
