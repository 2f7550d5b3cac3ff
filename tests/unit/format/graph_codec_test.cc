// Graph blob round trips (all attribute kinds, all dtypes, inline and piece-backed constants)
// and rejection of broken blobs.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "format/graph_codec.h"

namespace deepshark::format {
namespace {

// A graph that exercises every field: each dtype as an inline constant, piece-backed weights,
// every attribute kind, an absent optional input and an unknown-shape value.
Graph make_graph(ValueId* w_out = nullptr, ValueId* b_out = nullptr) {
  Graph g;
  g.name = "codec-graph";
  ValueId x = g.add_value("x", DType::F32, {1, 3, 8, 8}, true);
  g.inputs.push_back(x);
  Tensor w = Tensor::from_values<float>({2, 3, 1, 1}, {1, 2, 3, 4, 5, 6});
  ValueId wid = g.add_constant("conv.w", w);
  ValueId bid = g.add_constant("conv.b", Tensor::from_values<float>({2}, {0.5f, -0.5f}));
  ValueId y = g.add_value("y", DType::F32, {1, 2, 8, 8}, true);
  Node& conv = g.add_node(OpType::Conv, "conv", {x, wid, bid}, {y});
  conv.attrs.set_int("group", 1);
  conv.attrs.set_float("alpha", 0.25f);
  conv.attrs.set_string("auto_pad", "NOTSET");
  conv.attrs.set_ints("kernel_shape", {1, 1});
  conv.attrs.set_floats("scales", {1.5f, -2.f, 0.f});
  conv.attrs.set_tensor("value", Tensor::from_values<int64_t>({3}, {7, -8, 9}));
  ValueId shape = g.add_constant("shape", Tensor::from_values<int64_t>({2}, {1, -1}));
  ValueId z = g.add_value("z");  // shape unknown
  g.add_node(OpType::Reshape, "reshape", {y, shape}, {z});
  ValueId c = g.add_value("c", DType::F32, {1, 128}, true);
  g.add_node(OpType::Clip, "clip", {z, kNoValue, kNoValue}, {c});
  g.outputs.push_back(c);
  // One inline constant of every dtype, with a byte pattern.
#define DS_X(name, type, size, onnx)                                          \
  {                                                                           \
    Result<Tensor> t = Tensor::create(DType::name, {2, 3});                   \
    EXPECT_TRUE(t.ok());                                                      \
    for (uint64_t i = 0; i < t->bytes(); ++i)                                 \
      t->raw()[i] = static_cast<std::byte>((i * 7 + size) & 0x01);            \
    g.add_constant("const_" #name, *t);                                       \
  }
  DS_DTYPES(DS_X)
#undef DS_X
  if (w_out) *w_out = wid;
  if (b_out) *b_out = bid;
  return g;
}

PieceBackedFn backed_by_name(std::vector<std::string> names) {
  return [names](ValueId, const Value& v) {
    return std::find(names.begin(), names.end(), v.name) != names.end();
  };
}

void expect_attr_eq(const Attribute& a, const Attribute& b, const std::string& name) {
  SCOPED_TRACE(name);
  ASSERT_EQ(a.kind, b.kind);
  switch (a.kind) {
    case AttrKind::Int: EXPECT_EQ(a.i, b.i); break;
    case AttrKind::Float: EXPECT_EQ(a.f, b.f); break;
    case AttrKind::String: EXPECT_EQ(a.s, b.s); break;
    case AttrKind::Ints: EXPECT_EQ(a.ints, b.ints); break;
    case AttrKind::Floats: EXPECT_EQ(a.floats, b.floats); break;
    case AttrKind::Tensor:
      EXPECT_EQ(a.t.dtype(), b.t.dtype());
      EXPECT_EQ(a.t.shape(), b.t.shape());
      ASSERT_EQ(a.t.bytes(), b.t.bytes());
      EXPECT_EQ(0, std::memcmp(a.t.raw(), b.t.raw(), a.t.bytes()));
      break;
  }
}

TEST(GraphCodec, RoundTripKeepsEverything) {
  ValueId wid, bid;
  Graph g = make_graph(&wid, &bid);
  Result<std::string> blob = encode_graph(g, backed_by_name({"conv.w", "conv.b"}));
  ASSERT_TRUE(blob.ok()) << blob.status().to_string();
  Result<DecodedGraph> d = decode_graph(*blob, "t.dsk");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  const Graph& h = d->graph;
  EXPECT_EQ(h.name, g.name);
  EXPECT_EQ(h.inputs, g.inputs);
  EXPECT_EQ(h.outputs, g.outputs);
  EXPECT_EQ(d->piece_backed, (std::vector<ValueId>{wid, bid}));
  EXPECT_TRUE(d->is_piece_backed(wid));
  EXPECT_FALSE(d->is_piece_backed(wid + 5));
  ASSERT_EQ(h.values.size(), g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i) {
    const Value& a = g.values[i];
    const Value& b = h.values[i];
    SCOPED_TRACE(a.name);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.dtype, b.dtype);
    EXPECT_EQ(a.shape, b.shape);
    EXPECT_EQ(a.shape_known, b.shape_known);
    if (d->is_piece_backed(static_cast<ValueId>(i))) {
      EXPECT_FALSE(b.is_constant());  // shape and dtype only
      continue;
    }
    ASSERT_EQ(a.is_constant(), b.is_constant());
    if (a.is_constant()) {
      ASSERT_EQ(a.constant->bytes(), b.constant->bytes());
      EXPECT_EQ(a.constant->dtype(), b.constant->dtype());
      EXPECT_EQ(0, std::memcmp(a.constant->raw(), b.constant->raw(), a.constant->bytes()));
    }
  }
  ASSERT_EQ(h.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    EXPECT_EQ(h.nodes[i].op, g.nodes[i].op);
    EXPECT_EQ(h.nodes[i].name, g.nodes[i].name);
    EXPECT_EQ(h.nodes[i].inputs, g.nodes[i].inputs);
    EXPECT_EQ(h.nodes[i].outputs, g.nodes[i].outputs);
    ASSERT_EQ(h.nodes[i].attrs.all().size(), g.nodes[i].attrs.all().size());
    for (const auto& [name, a] : g.nodes[i].attrs.all()) {
      const Attribute* b = h.nodes[i].attrs.find(name);
      ASSERT_NE(b, nullptr) << name;
      expect_attr_eq(a, *b, name);
    }
  }
  EXPECT_EQ(h.nodes[2].inputs[1], kNoValue);
  EXPECT_EQ(h.nodes[0].attrs.all().size(), 6u);  // one of each kind
}

TEST(GraphCodec, PieceBackedValueNeedsNoDataToEncode) {
  Graph g = make_graph();
  ValueId w = g.find_value("conv.w");
  g.value(w).constant.reset();  // a packer may drop weight data once its piece is written
  Result<std::string> blob = encode_graph(g, backed_by_name({"conv.w", "conv.b"}));
  ASSERT_TRUE(blob.ok()) << blob.status().to_string();
  Result<DecodedGraph> d = decode_graph(*blob, "t.dsk");
  ASSERT_TRUE(d.ok()) << d.status().to_string();
  EXPECT_TRUE(d->is_piece_backed(w));
  EXPECT_EQ(d->graph.value(w).shape, (Shape{2, 3, 1, 1}));
  EXPECT_TRUE(d->graph.value(w).shape_known);
}

TEST(GraphCodec, EncodeRejectsPieceBackedValueWithoutStaticShape) {
  Graph g = make_graph();
  Result<std::string> blob = encode_graph(g, backed_by_name({"z"}));
  ASSERT_FALSE(blob.ok());
  EXPECT_EQ(blob.status().code(), ErrorCode::InvalidArgument);
  EXPECT_NE(blob.status().message().find("'z' has no static shape"), std::string::npos) << blob.status().message();
}

TEST(GraphCodec, MissingPieceBackingFailsVerify) {
  // Without the piece-backed flag, a weight whose data is gone is a dangling input.
  Graph g = make_graph();
  g.value(g.find_value("conv.w")).constant.reset();
  Result<std::string> blob = encode_graph(g, nullptr);
  ASSERT_TRUE(blob.ok());
  Result<DecodedGraph> d = decode_graph(*blob, "t.dsk");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), ErrorCode::InvalidModel);
  EXPECT_NE(d.status().message().find("conv.w"), std::string::npos) << d.status().message();
}

// ---- hostile blobs ----

std::string valid_blob() {
  Result<std::string> blob = encode_graph(make_graph(), backed_by_name({"conv.w", "conv.b"}));
  EXPECT_TRUE(blob.ok());
  return *blob;
}

void put_u32(std::string& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }

void expect_error(const std::string& blob, ErrorCode code, const std::string& substr) {
  Result<DecodedGraph> d = decode_graph(blob, "bad.dsk");
  ASSERT_FALSE(d.ok()) << "expected " << error_code_name(code) << " containing '" << substr << "'";
  EXPECT_EQ(d.status().code(), code) << d.status().to_string();
  EXPECT_NE(d.status().message().find(substr), std::string::npos) << d.status().message();
  EXPECT_NE(d.status().message().find("'bad.dsk'"), std::string::npos) << d.status().message();
}

TEST(GraphCodecCorrupt, AbsurdValueCount) {
  std::string b = valid_blob();
  put_u32(b, 4 + std::strlen("codec-graph"), 0xFFFFFFFFu);
  expect_error(b, ErrorCode::Corruption, "value count");
}

TEST(GraphCodecCorrupt, UnknownOpNameIsUnsupported) {
  std::string b = valid_blob();
  size_t at = b.find("Reshape");
  ASSERT_NE(at, std::string::npos);
  b.replace(at, 7, "Reshapf");
  expect_error(b, ErrorCode::Unsupported, "unknown op 'Reshapf'");
}

TEST(GraphCodecCorrupt, UnknownDTypeNameIsUnsupported) {
  std::string b = valid_blob();
  size_t at = b.find(std::string("\x03\0\0\0F64", 7));  // the dtype string, not a value name
  ASSERT_NE(at, std::string::npos);
  b.replace(at + 4, 3, "F65");
  expect_error(b, ErrorCode::Unsupported, "unknown dtype 'F65'");
}

TEST(GraphCodecCorrupt, TrailingBytes) {
  expect_error(valid_blob() + "xx", ErrorCode::Corruption, "trailing bytes");
}

TEST(GraphCodecCorrupt, ValueIdOutOfRange) {
  // The graph input list follows the values: find it by encoding a graph with a known marker.
  Graph g = make_graph();
  g.inputs[0] = 0x7EADBEEF;  // encode does not validate ids; decode must
  Result<std::string> blob = encode_graph(g, backed_by_name({"conv.w", "conv.b"}));
  ASSERT_TRUE(blob.ok());
  expect_error(*blob, ErrorCode::InvalidModel, "input 0 of graph is out of range");
}

TEST(GraphCodecCorrupt, InlineConstantSizeMismatch) {
  Graph g = make_graph();
  std::string b = encode_graph(g, backed_by_name({"conv.w", "conv.b"})).value();
  // 'shape' is an I64 [2] constant: its u64 byte count (16) follows its dims.
  std::string name = "shape";
  size_t at = b.find(std::string("\x05\0\0\0", 4) + name);
  ASSERT_NE(at, std::string::npos);
  size_t count_at = at + 4 + name.size() + 4 + 3 + 1 + 4 + 8;  // name, dtype "I64", flags, rank 1, dim
  ASSERT_EQ(b.substr(at + 4 + name.size(), 7), std::string("\x03\0\0\0I64", 7));
  uint64_t bytes;
  std::memcpy(&bytes, b.data() + count_at, 8);
  ASSERT_EQ(bytes, 16u);
  bytes = 24;
  std::memcpy(b.data() + count_at, &bytes, 8);
  expect_error(b, ErrorCode::InvalidModel, "wrong size (expected 16 bytes, got 24)");
}

TEST(GraphCodecCorrupt, EveryTruncationFailsCleanly) {
  std::string b = valid_blob();
  for (size_t n = 0; n < b.size(); ++n) {
    Result<DecodedGraph> d = decode_graph(std::string_view(b).substr(0, n), "t.dsk");
    ASSERT_FALSE(d.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_TRUE(d.status().code() == ErrorCode::Corruption || d.status().code() == ErrorCode::InvalidModel)
        << d.status().to_string();
  }
}

TEST(GraphCodecCorrupt, RandomByteFlipsNeverCrash) {
  std::string b = valid_blob();
  std::mt19937 rng(1234);
  int errors = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string m = b;
    int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) m[rng() % m.size()] ^= static_cast<char>(1u << (rng() % 8));
    Result<DecodedGraph> d = decode_graph(m, "t.dsk");
    if (!d.ok()) {
      ++errors;
      EXPECT_NE(d.status().code(), ErrorCode::Internal);
    }
  }
  EXPECT_GT(errors, 0);
}

}  // namespace
}  // namespace deepshark::format
