#include "format/graph_codec.h"

#include <algorithm>
#include <cstring>

#include "format/byte_codec.h"

namespace deepshark::format {
namespace {

// Value flag bits.
constexpr uint8_t kShapeKnown = 1u << 0;
constexpr uint8_t kInlineConstant = 1u << 1;
constexpr uint8_t kPieceBacked = 1u << 2;
constexpr uint8_t kKnownFlags = kShapeKnown | kInlineConstant | kPieceBacked;

// Smallest encodings, used to cap counts by what the remaining bytes can hold.
constexpr uint64_t kMinValueBytes = 4 + 4 + 1 + 4;      // name, dtype, flags, rank
constexpr uint64_t kMinNodeBytes = 4 + 4 + 4 + 4 + 4;   // op, name, #in, #out, #attr
constexpr uint64_t kMinAttrBytes = 4 + 1 + 4;           // name, kind, smallest payload

Status encode_error(const std::string& what, const std::string& reason) {
  return make_error(ErrorCode::InvalidArgument, "encode", "graph", what, reason);
}

Status check_name(const std::string& name, const std::string& graph_name) {
  if (name.size() > kMaxNameBytes) {
    return encode_error(graph_name, "name too long " + expected_got("<= " + std::to_string(kMaxNameBytes) + " bytes",
                                                                    std::to_string(name.size())));
  }
  return Status::ok_status();
}

Status write_shape(ByteWriter& w, const Shape& s, const std::string& graph_name) {
  if (s.size() > kMaxRank) {
    return encode_error(graph_name, "rank too large " + expected_got("<= " + std::to_string(kMaxRank),
                                                                     std::to_string(s.size())));
  }
  w.u32(static_cast<uint32_t>(s.size()));
  for (int64_t d : s) w.i64(d);
  return Status::ok_status();
}

Status write_tensor_data(ByteWriter& w, const Tensor& t) {
  uint64_t bytes = t.bytes();
  w.u64(bytes);
  if (bytes) w.raw(t.raw(), bytes);
  return Status::ok_status();
}

Status write_tensor(ByteWriter& w, const Tensor& t, const std::string& graph_name) {
  w.str(dtype_name(t.dtype()));
  DS_RETURN_IF_ERROR(write_shape(w, t.shape(), graph_name));
  return write_tensor_data(w, t);
}

Status write_attr(ByteWriter& w, const std::string& name, const Attribute& a, const std::string& graph_name) {
  DS_RETURN_IF_ERROR(check_name(name, graph_name));
  w.str(name);
  w.u8(static_cast<uint8_t>(a.kind));
  switch (a.kind) {
    case AttrKind::Int: w.i64(a.i); break;
    case AttrKind::Float: w.f32(a.f); break;
    case AttrKind::String:
      if (a.s.size() > kMaxStringAttrBytes) return encode_error(graph_name, "string attribute '" + name + "' too long");
      w.str(a.s);
      break;
    case AttrKind::Ints:
      w.u32(static_cast<uint32_t>(a.ints.size()));
      for (int64_t v : a.ints) w.i64(v);
      break;
    case AttrKind::Floats:
      w.u32(static_cast<uint32_t>(a.floats.size()));
      for (float v : a.floats) w.f32(v);
      break;
    case AttrKind::Tensor: return write_tensor(w, a.t, graph_name);
  }
  return Status::ok_status();
}

void write_ids(ByteWriter& w, const std::vector<ValueId>& ids) {
  w.u32(static_cast<uint32_t>(ids.size()));
  for (ValueId id : ids) w.i32(id);
}

// ---- decoding ----

class Decoder {
 public:
  Decoder(std::string_view blob, const std::string& file) : r_(blob), file_(file) {}

  Result<DecodedGraph> run();

 private:
  Status structural() {
    return make_error(ErrorCode::Corruption, "decode", "graph of block stream", file_, r_.error());
  }
  Status invalid(const std::string& reason) {
    return make_error(ErrorCode::InvalidModel, "decode", "graph of block stream", file_, reason);
  }
  Status unsupported(const std::string& reason) {
    return make_error(ErrorCode::Unsupported, "decode", "graph of block stream", file_,
                      reason + ": re-pack with this build's 'deepshark pack' or use a newer deepshark");
  }

  Result<DType> read_dtype(const std::string& where);
  Result<Shape> read_shape(bool must_be_static, const std::string& where);
  Result<Tensor> read_tensor_data(DType dtype, const Shape& shape, const std::string& where);
  Result<Tensor> read_tensor(const std::string& where);
  Status read_ids(std::vector<ValueId>& ids, size_t value_count, const char* what, const std::string& where);
  Status read_attr(Attributes& attrs, const std::string& where);

  ByteReader r_;
  std::string file_;
};

Result<DType> Decoder::read_dtype(const std::string& where) {
  std::string name = r_.str(64, "dtype name");
  if (r_.failed()) return structural();
  auto dt = dtype_from_name(name);
  if (!dt) return unsupported("unknown dtype '" + name + "' in " + where);
  return *dt;
}

Result<Shape> Decoder::read_shape(bool must_be_static, const std::string& where) {
  uint32_t rank = r_.count(8, "rank", kMaxRank);
  if (r_.failed()) return structural();
  Shape s(rank);
  for (uint32_t i = 0; i < rank; ++i) s[i] = r_.i64();
  if (r_.failed()) return structural();
  if (must_be_static) {
    if (!checked_numel(s)) return invalid("shape " + shape_to_string(s) + " of " + where + " is negative or overflows");
  } else {
    for (int64_t d : s) {
      if (d < -1) return invalid("shape " + shape_to_string(s) + " of " + where + " has a dimension below -1");
    }
  }
  return s;
}

Result<Tensor> Decoder::read_tensor_data(DType dtype, const Shape& shape, const std::string& where) {
  uint64_t bytes = r_.u64();
  if (r_.failed()) return structural();
  // The shape is already checked, so numel fits; the product with the dtype size is checked too.
  auto want = checked_mul(static_cast<uint64_t>(numel(shape)), dtype_size(dtype));
  if (!want || *want != bytes) {
    return invalid("data of " + where + " has the wrong size " +
                   expected_got(want ? std::to_string(*want) + " bytes" : "no overflow", std::to_string(bytes)));
  }
  const std::byte* src = r_.raw(bytes, "constant data");  // bounds-checked before allocating
  if (r_.failed()) return structural();
  DS_TRY(Tensor t, Tensor::create(dtype, shape));
  if (bytes) std::memcpy(t.raw(), src, bytes);
  return t;
}

Result<Tensor> Decoder::read_tensor(const std::string& where) {
  DS_TRY(DType dt, read_dtype(where));
  DS_TRY(Shape s, read_shape(true, where));
  return read_tensor_data(dt, s, where);
}

Status Decoder::read_ids(std::vector<ValueId>& ids, size_t value_count, const char* what, const std::string& where) {
  uint32_t n = r_.count(4, what);
  if (r_.failed()) return structural();
  ids.resize(n);
  for (uint32_t i = 0; i < n; ++i) {
    ids[i] = r_.i32();
    if (r_.failed()) return structural();
    if (ids[i] != kNoValue && (ids[i] < 0 || static_cast<size_t>(ids[i]) >= value_count)) {
      return invalid(std::string(what) + " " + std::to_string(i) + " of " + where + " is out of range " +
                     expected_got("-1 or [0, " + std::to_string(value_count) + ")", std::to_string(ids[i])));
    }
  }
  return Status::ok_status();
}

Status Decoder::read_attr(Attributes& attrs, const std::string& where) {
  std::string name = r_.str(kMaxNameBytes, "attribute name");
  uint8_t kind = r_.u8();
  if (r_.failed()) return structural();
  std::string at = "attribute '" + name + "' of " + where;
  switch (kind) {
    case static_cast<uint8_t>(AttrKind::Int): attrs.set_int(name, r_.i64()); break;
    case static_cast<uint8_t>(AttrKind::Float): attrs.set_float(name, r_.f32()); break;
    case static_cast<uint8_t>(AttrKind::String): attrs.set_string(name, r_.str(kMaxStringAttrBytes, "string attribute")); break;
    case static_cast<uint8_t>(AttrKind::Ints): {
      uint32_t n = r_.count(8, "ints attribute");
      std::vector<int64_t> v(n);
      for (auto& x : v) x = r_.i64();
      attrs.set_ints(name, std::move(v));
      break;
    }
    case static_cast<uint8_t>(AttrKind::Floats): {
      uint32_t n = r_.count(4, "floats attribute");
      std::vector<float> v(n);
      for (auto& x : v) x = r_.f32();
      attrs.set_floats(name, std::move(v));
      break;
    }
    case static_cast<uint8_t>(AttrKind::Tensor): {
      DS_TRY(Tensor t, read_tensor(at));
      attrs.set_tensor(name, std::move(t));
      break;
    }
    default:
      r_.fail("unknown kind " + std::to_string(kind) + " of " + at + " " + expected_got("0..5", std::to_string(kind)));
  }
  if (r_.failed()) return structural();
  return Status::ok_status();
}

Result<DecodedGraph> Decoder::run() {
  DecodedGraph out;
  Graph& g = out.graph;
  g.name = r_.str(kMaxNameBytes, "graph name");
  uint32_t nv = r_.count(kMinValueBytes, "value");
  if (r_.failed()) return structural();
  g.values.resize(nv);
  for (uint32_t i = 0; i < nv; ++i) {
    Value& v = g.values[i];
    v.name = r_.str(kMaxNameBytes, "value name");
    std::string where = "value " + std::to_string(i) + " '" + v.name + "'";
    DS_TRY(v.dtype, read_dtype(where));
    uint8_t flags = r_.u8();
    if (r_.failed()) return structural();
    if ((flags & ~kKnownFlags) != 0 || ((flags & kInlineConstant) && (flags & kPieceBacked))) {
      r_.fail("bad flags " + std::to_string(flags) + " of " + where);
      return structural();
    }
    bool has_data = flags & (kInlineConstant | kPieceBacked);
    if (has_data && !(flags & kShapeKnown)) return invalid(where + " is a constant without a static shape");
    v.shape_known = flags & kShapeKnown;
    DS_TRY(v.shape, read_shape(v.shape_known, where));
    if (flags & kInlineConstant) {
      DS_TRY(Tensor t, read_tensor_data(v.dtype, v.shape, where));
      v.constant = std::move(t);
    }
    if (flags & kPieceBacked) out.piece_backed.push_back(static_cast<ValueId>(i));
  }
  DS_RETURN_IF_ERROR(read_ids(g.inputs, nv, "input", "graph"));
  DS_RETURN_IF_ERROR(read_ids(g.outputs, nv, "output", "graph"));
  uint32_t nn = r_.count(kMinNodeBytes, "node");
  if (r_.failed()) return structural();
  g.nodes.resize(nn);
  for (uint32_t i = 0; i < nn; ++i) {
    Node& n = g.nodes[i];
    std::string op = r_.str(64, "op name");
    n.name = r_.str(kMaxNameBytes, "node name");
    if (r_.failed()) return structural();
    std::string where = "node " + std::to_string(i) + " '" + n.name + "'";
    auto opt = op_from_name(op);
    if (!opt) return unsupported("unknown op '" + op + "' in " + where);
    n.op = *opt;
    DS_RETURN_IF_ERROR(read_ids(n.inputs, nv, "input", where));
    DS_RETURN_IF_ERROR(read_ids(n.outputs, nv, "output", where));
    uint32_t na = r_.count(kMinAttrBytes, "attribute");
    if (r_.failed()) return structural();
    for (uint32_t a = 0; a < na; ++a) DS_RETURN_IF_ERROR(read_attr(n.attrs, where));
  }
  if (!r_.at_end()) {
    r_.fail(std::to_string(r_.remaining()) + " trailing bytes after the graph " +
            expected_got("0", std::to_string(r_.remaining())));
    return structural();
  }
  for (ValueId id : g.inputs) {
    if (id == kNoValue) return invalid("a graph input is absent (-1)");
  }
  for (ValueId id : g.outputs) {
    if (id == kNoValue) return invalid("a graph output is absent (-1)");
  }
  // Piece-backed values are available like constants: verify with them as extra inputs.
  size_t real_inputs = g.inputs.size();
  g.inputs.insert(g.inputs.end(), out.piece_backed.begin(), out.piece_backed.end());
  Status st = g.verify();
  g.inputs.resize(real_inputs);
  if (!st.ok()) return st.with_context(failure_message("decode", "graph of block stream", file_, ""));
  return out;
}

}  // namespace

bool DecodedGraph::is_piece_backed(ValueId id) const {
  return std::binary_search(piece_backed.begin(), piece_backed.end(), id);
}

Result<std::string> encode_graph(const Graph& g, const PieceBackedFn& piece_backed) {
  if (g.values.size() > INT32_MAX || g.nodes.size() > UINT32_MAX) {
    return encode_error(g.name, "too many values or nodes");
  }
  ByteWriter w;
  DS_RETURN_IF_ERROR(check_name(g.name, g.name));
  w.str(g.name);
  w.u32(static_cast<uint32_t>(g.values.size()));
  for (size_t i = 0; i < g.values.size(); ++i) {
    const Value& v = g.values[i];
    DS_RETURN_IF_ERROR(check_name(v.name, g.name));
    bool backed = piece_backed && piece_backed(static_cast<ValueId>(i), v);
    uint8_t flags = 0;
    if (v.shape_known || v.is_constant()) {
      flags |= kShapeKnown;
    } else if (backed) {
      return encode_error(g.name, "value '" + v.name + "' has no static shape (piece-backed values need one)");
    }
    if (backed) {
      flags |= kPieceBacked;
    } else if (v.is_constant()) {
      flags |= kInlineConstant;
    }
    // Constants carry their shape in the tensor; prefer it over a stale declared shape.
    const Shape& shape = v.is_constant() ? v.constant->shape() : v.shape;
    DType dtype = v.is_constant() ? v.constant->dtype() : v.dtype;
    if ((flags & kShapeKnown) && !checked_numel(shape)) {
      return encode_error(g.name, "value '" + v.name + "' has no static shape " + shape_to_string(shape));
    }
    w.str(v.name);
    w.str(dtype_name(dtype));
    w.u8(flags);
    DS_RETURN_IF_ERROR(write_shape(w, shape, g.name));
    if (flags & kInlineConstant) DS_RETURN_IF_ERROR(write_tensor_data(w, *v.constant));
  }
  write_ids(w, g.inputs);
  write_ids(w, g.outputs);
  w.u32(static_cast<uint32_t>(g.nodes.size()));
  for (const Node& n : g.nodes) {
    DS_RETURN_IF_ERROR(check_name(n.name, g.name));
    w.str(op_name(n.op));
    w.str(n.name);
    write_ids(w, n.inputs);
    write_ids(w, n.outputs);
    w.u32(static_cast<uint32_t>(n.attrs.all().size()));
    for (const auto& [name, a] : n.attrs.all()) DS_RETURN_IF_ERROR(write_attr(w, name, a, g.name));
  }
  return w.take();
}

Result<DecodedGraph> decode_graph(std::string_view blob, const std::string& file) {
  return Decoder(blob, file).run();
}

}  // namespace deepshark::format
