// Writer -> reader round trips of .dsk files, and the writer's failure behaviour.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <xxhash.h>

#include "dsk_test_util.h"

namespace deepshark::format::testing {
namespace {

using DskFileTest = DskTest;

TEST_F(DskFileTest, RoundTripHeaderPiecesGraphAndPayloads) {
  std::string p = write_valid("m.dsk", {"avx512_core", "2.6.3", 2, "deepshark test"});
  EXPECT_FALSE(std::filesystem::exists(p + ".tmp"));
  Result<DskFile> f = DskFile::open(p);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  const DskHeader& h = f->header();
  EXPECT_EQ(h.version, kDskVersion);
  EXPECT_EQ(h.alignment, kDskAlignment);
  EXPECT_EQ(h.file_bytes, std::filesystem::file_size(p));
  EXPECT_EQ(h.fingerprint.isa, "avx512_core");
  EXPECT_EQ(h.fingerprint.dnnl_version, "2.6.3");
  EXPECT_EQ(h.fingerprint.threads, 2u);
  EXPECT_EQ(h.fingerprint.producer, "deepshark test");
  EXPECT_EQ(h.piece_count, 4u);
  EXPECT_EQ(h.graph_offset % kDskAlignment, 0u);

  const auto& pieces = f->pieces();
  ASSERT_EQ(pieces.size(), 4u);
  // Payloads at 4096-aligned offsets in order: 1088 -> 1 block, 20500 -> 6 blocks.
  EXPECT_EQ(pieces[0].offset, 4096u);
  EXPECT_EQ(pieces[1].offset, 8192u);
  EXPECT_EQ(pieces[2].offset, 8192u + 6 * 4096);
  EXPECT_EQ(pieces[3].offset, 8192u + 12 * 4096);
  EXPECT_EQ(h.graph_offset, pieces[3].offset + 4096);
  EXPECT_EQ(pieces[1].padded_bytes(), 6u * 4096);
  for (size_t i = 0; i < pieces.size(); ++i) {
    EXPECT_EQ(pieces[i].index, i);
    EXPECT_EQ(pieces[i].bytes, payloads_[i].size());
    EXPECT_EQ(pieces[i].checksum, XXH3_64bits(payloads_[i].data(), payloads_[i].size()));
    std::vector<std::byte> buf(pieces[i].bytes);
    Status st = f->read_piece(pieces[i], buf.data());
    ASSERT_TRUE(st.ok()) << st.to_string();
    EXPECT_EQ(0, std::memcmp(buf.data(), payloads_[i].data(), buf.size()));
  }
  EXPECT_EQ(pieces[0].node, 0u);
  EXPECT_FALSE(pieces[0].sliced());
  ASSERT_EQ(pieces[0].parts.size(), 2u);
  EXPECT_EQ(pieces[0].parts[0].role, PartRole::WeightSlot);
  EXPECT_EQ(pieces[0].parts[0].layout, "dnnl:OIhw16i16o");
  EXPECT_EQ(pieces[0].parts[1].role, PartRole::NodeInput);
  EXPECT_EQ(pieces[0].parts[1].index, 2u);
  EXPECT_EQ(pieces[0].parts[1].offset, 1024u);
  EXPECT_EQ(pieces[0].parts[1].bytes, 64u);
  EXPECT_TRUE(pieces[2].sliced());
  EXPECT_EQ(pieces[2].slice_begin, 5u);
  EXPECT_EQ(pieces[2].slice_end, 10u);
  EXPECT_EQ(pieces[3].parts[0].value_id, kNoValue);

  const Graph& g = f->graph();
  EXPECT_EQ(g.name, "small");
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[2].name, "fc6");
  EXPECT_EQ(g.nodes[2].op, OpType::Gemm);
  EXPECT_EQ(f->piece_backed().size(), 4u);
  EXPECT_TRUE(f->is_piece_backed(g.find_value("fc.w")));
  EXPECT_FALSE(f->is_piece_backed(g.find_value("x")));
  EXPECT_EQ(pieces[1].parts[0].value_id, g.find_value("fc.w"));
  EXPECT_EQ(f->first_piece_of_node(2), 1);
  EXPECT_EQ(f->first_piece_of_node(1), -1);
  EXPECT_TRUE(f->check_compatible("avx512_core", "2.6.3", 2).ok());
}

TEST_F(DskFileTest, PaddingIsZero) {
  std::string p = write_valid("m.dsk");
  std::string all = read_all(p);
  Result<DskFile> f = DskFile::open(p);
  ASSERT_TRUE(f.ok());
  for (const PieceEntry& e : f->pieces()) {
    for (uint64_t b = e.offset + e.bytes; b < e.offset + e.padded_bytes(); ++b) ASSERT_EQ(all[b], '\0') << b;
  }
}

TEST_F(DskFileTest, EmptyFileWithNoPiecesOpens) {
  std::string p = path("empty.dsk");
  auto w = DskWriter::create(p, {"avx2", "2.6.3", 1, ""});
  ASSERT_TRUE(w.ok());
  Graph g;
  g.name = "id";
  ValueId x = g.add_value("x", DType::F32, {2}, true);
  ValueId y = g.add_value("y", DType::F32, {2}, true);
  g.add_node(OpType::Relu, "relu", {x}, {y});
  g.inputs = {x};
  g.outputs = {y};
  ASSERT_TRUE((*w)->finish(encode_graph(g, nullptr).value()).ok());
  Result<DskFile> f = DskFile::open(p);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE(f->pieces().empty());
  EXPECT_EQ(f->header().graph_offset, kHeaderBytes);
}

TEST_F(DskFileTest, CreateInMissingFolderIsIOErrorNamingPath) {
  std::string p = path("no/such/dir/m.dsk");
  auto w = DskWriter::create(p, {"avx2", "2.6.3", 1, ""});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::IOError);
  EXPECT_NE(w.status().message().find("'" + p + "'"), std::string::npos) << w.status().message();
  EXPECT_NE(w.status().message().find("No such file or directory"), std::string::npos) << w.status().message();
}

TEST_F(DskFileTest, UnfinishedWriterLeavesNoFile) {
  std::string p = path("m.dsk");
  {
    auto w = DskWriter::create(p, {"avx2", "2.6.3", 1, ""});
    ASSERT_TRUE(w.ok());
    std::string data(100, 'x');
    ASSERT_TRUE((*w)->add_piece({0, 0, 0, {}}, reinterpret_cast<const std::byte*>(data.data()), data.size()).ok());
    EXPECT_TRUE(std::filesystem::exists(p + ".tmp"));
  }
  EXPECT_FALSE(std::filesystem::exists(p));
  EXPECT_FALSE(std::filesystem::exists(p + ".tmp"));
}

TEST_F(DskFileTest, WriterRejectsBadParts) {
  auto w = DskWriter::create(path("m.dsk"), {"avx2", "2.6.3", 1, ""});
  ASSERT_TRUE(w.ok());
  std::string data(256, 'x');
  auto* d = reinterpret_cast<const std::byte*>(data.data());
  auto misaligned = (*w)->add_piece({0, 0, 0, {{PartRole::WeightSlot, 0, 1, 32, 64, "plain"}}}, d, data.size());
  ASSERT_FALSE(misaligned.ok());
  EXPECT_EQ(misaligned.status().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(misaligned.status().message().find("not 64-byte aligned"), std::string::npos);
  auto outside = (*w)->add_piece({0, 0, 0, {{PartRole::WeightSlot, 0, 1, 192, 128, "plain"}}}, d, data.size());
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("past the payload"), std::string::npos);
  auto overlap = (*w)->add_piece(
      {0, 0, 0, {{PartRole::WeightSlot, 0, 1, 0, 128, "plain"}, {PartRole::NodeInput, 2, 2, 64, 64, "plain"}}}, d,
      data.size());
  ASSERT_FALSE(overlap.ok());
  EXPECT_NE(overlap.status().message().find("overlap"), std::string::npos);
  EXPECT_TRUE((*w)->pieces().empty());
}

TEST_F(DskFileTest, WriterRejectsLongFingerprint) {
  auto w = DskWriter::create(path("m.dsk"), {std::string(64, 'a'), "2.6.3", 1, ""});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::InvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(path("m.dsk.tmp")));
}

TEST_F(DskFileTest, OpenMissingFileIsIOError) {
  Result<DskFile> f = DskFile::open(path("absent.dsk"));
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), ErrorCode::IOError);
  EXPECT_NE(f.status().message().find("failed to open block stream '"), std::string::npos);
}

TEST_F(DskFileTest, OpenedFileIsMovable) {
  std::string p = write_valid("m.dsk");
  Result<DskFile> f = DskFile::open(p);
  ASSERT_TRUE(f.ok());
  DskFile moved = std::move(*f);
  std::vector<std::byte> buf(moved.pieces()[0].bytes);
  EXPECT_TRUE(moved.read_piece(moved.pieces()[0], buf.data()).ok());
}

}  // namespace
}  // namespace deepshark::format::testing
