#include "dsk_test_util.h"

#include <cstring>
#include <fstream>
#include <random>
#include <unistd.h>

#include "format/graph_codec.h"

namespace deepshark::format::testing {

void DskTest::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "ds_format_XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  dir_ = tmpl;
}

void DskTest::TearDown() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

namespace {

Graph make_graph() {
  Graph g;
  g.name = "small";
  ValueId x = g.add_value("x", DType::F32, {1, 16, 8, 8}, true);
  g.inputs.push_back(x);
  ValueId cw = g.add_value("conv.w", DType::F32, {16, 16, 1, 1}, true);
  ValueId cb = g.add_value("conv.b", DType::F32, {16}, true);
  ValueId y = g.add_value("y", DType::F32, {1, 16, 8, 8}, true);
  g.add_node(OpType::Conv, "conv1", {x, cw, cb}, {y}).attrs.set_ints("kernel_shape", {1, 1});
  ValueId f = g.add_value("f", DType::F32, {1, 1024}, true);
  g.add_node(OpType::Flatten, "flatten", {y}, {f}).attrs.set_int("axis", 1);
  ValueId fw = g.add_value("fc.w", DType::F32, {10, 1024}, true);
  ValueId fb = g.add_value("fc.b", DType::F32, {10}, true);
  ValueId o = g.add_value("out", DType::F32, {1, 10}, true);
  g.add_node(OpType::Gemm, "fc6", {f, fw, fb}, {o}).attrs.set_int("transB", 1);
  g.outputs.push_back(o);
  return g;
}

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

}  // namespace

std::string DskTest::write_valid(const std::string& name, const LayoutFingerprint& fp) {
  std::string p = path(name);
  Graph g = make_graph();
  auto w = DskWriter::create(p, fp);
  EXPECT_TRUE(w.ok()) << w.status().to_string();
  payloads_.clear();
  auto add = [&](const PieceMeta& meta, size_t bytes) {
    payloads_.push_back(random_bytes(bytes, static_cast<uint32_t>(payloads_.size() + 1)));
    auto k = (*w)->add_piece(meta, reinterpret_cast<const std::byte*>(payloads_.back().data()), bytes);
    EXPECT_TRUE(k.ok()) << k.status().to_string();
  };
  ValueId cw = g.find_value("conv.w"), cb = g.find_value("conv.b");
  ValueId fw = g.find_value("fc.w"), fb = g.find_value("fc.b");
  // conv: blocked weights (slot 0) + plain bias (input 2) = 1024 + 64 bytes.
  add({0, 0, 0, {{PartRole::WeightSlot, 0, cw, 0, 1024, "dnnl:OIhw16i16o"}, {PartRole::NodeInput, 2, cb, 1024, 64, "plain"}}},
      1088);
  // fc6 sliced: 5 outputs x 1024 x 4 bytes + 5 bias floats per slice.
  add({2, 0, 5, {{PartRole::WeightSlot, 0, fw, 0, 20480, "plain"}, {PartRole::NodeInput, 2, fb, 20480, 20, "plain"}}},
      20500);
  add({2, 5, 10, {{PartRole::WeightSlot, 0, fw, 0, 20480, "plain"}, {PartRole::NodeInput, 2, fb, 20480, 20, "plain"}}},
      20500);
  // A last, small piece: one part derived from several values (value id -1).
  add({2, 0, 0, {{PartRole::WeightSlot, 1, kNoValue, 0, 3, "plain"}}}, 3);
  Result<std::string> blob = encode_graph(g, [&](ValueId id, const Value&) {
    return id == cw || id == cb || id == fw || id == fb;
  });
  EXPECT_TRUE(blob.ok()) << blob.status().to_string();
  Status st = (*w)->finish(*blob);
  EXPECT_TRUE(st.ok()) << st.to_string();
  return p;
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

FileParts load_parts(const std::string& path) {
  std::string all = read_all(path);
  FileParts p;
  p.header_block = all.substr(0, kHeaderBytes);
  p.header = decode_header_fields(p.header_block);
  p.payload_area = all.substr(0, p.header.graph_offset);
  p.graph = all.substr(p.header.graph_offset, p.header.graph_bytes);
  p.table = all.substr(p.header.table_offset, p.header.table_bytes);
  return p;
}

void store_parts(const std::string& path, FileParts p, bool fix_layout, bool keep_checksum) {
  DskHeader& h = p.header;
  if (fix_layout) {
    h.graph_offset = p.payload_area.size();
    h.graph_bytes = p.graph.size();
    h.table_offset = h.graph_offset + h.graph_bytes;
    h.table_bytes = p.table.size();
    h.file_bytes = h.table_offset + h.table_bytes;
  }
  std::string block = encode_header(h);
  // Keep any raw bytes a test put into the header block beyond the known fields.
  block.replace(header_offset::kEnd, kHeaderBytes - header_offset::kEnd,
                p.header_block.substr(header_offset::kEnd));
  if (!keep_checksum) {
    uint64_t sum = tables_checksum(block, p.graph, p.table);
    std::memcpy(block.data() + header_offset::kTablesChecksum, &sum, 8);
  }
  std::string all = p.payload_area;
  all.replace(0, kHeaderBytes, block);
  write_all(path, all + p.graph + p.table);
}

void edit_tables(const std::string& path, const std::function<void(DskHeader&, std::vector<PieceEntry>&)>& edit) {
  FileParts p = load_parts(path);
  Result<std::vector<PieceEntry>> t = decode_piece_table(p.table, p.header.piece_count, path);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  edit(p.header, *t);
  p.table = encode_piece_table(*t);
  store_parts(path, std::move(p));
}

}  // namespace deepshark::format::testing
