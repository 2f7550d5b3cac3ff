// The built-in constant folder for shape arithmetic (what torch exports around Reshape:
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape, Slice, Cast, integer Add/Sub/Mul/Div).
// It runs only where the reference kernels report Unsupported, so folding does not depend on
// every reference kernel being present. Shapes were validated by shape inference; the data
// movement ops copy bytes and so work for every dtype.
#include <algorithm>
#include <cstring>

#include "graph/shape_inference.h"
#include "transform/fold.h"

namespace deepshark {

namespace {

Status unsupported(const Node& n, const std::string& what) {
  return make_error(ErrorCode::Unsupported, "fold", "node", n.name, what);
}

int64_t read_int(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::I64: return t.as<int64_t>()[i];
    case DType::I32: return t.as<int32_t>()[i];
    case DType::F32: return static_cast<int64_t>(t.as<float>()[i]);
    case DType::F64: return static_cast<int64_t>(t.as<double>()[i]);
    case DType::Bool: return t.as<bool>()[i] ? 1 : 0;
    default: return 0;
  }
}

double read_double(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::F32: return t.as<float>()[i];
    case DType::F64: return t.as<double>()[i];
    default: return static_cast<double>(read_int(t, i));
  }
}

void write_value(const TensorView& t, int64_t i, double d, int64_t v, bool is_float) {
  switch (t.dtype) {
    case DType::I64: t.as<int64_t>()[i] = is_float ? static_cast<int64_t>(d) : v; break;
    case DType::I32: t.as<int32_t>()[i] = static_cast<int32_t>(is_float ? static_cast<int64_t>(d) : v); break;
    case DType::F32: t.as<float>()[i] = static_cast<float>(is_float ? d : static_cast<double>(v)); break;
    case DType::F64: t.as<double>()[i] = is_float ? d : static_cast<double>(v); break;
    case DType::Bool: t.as<bool>()[i] = is_float ? d != 0 : v != 0; break;
    default: break;
  }
}

bool numeric(DType t) {
  return t == DType::I64 || t == DType::I32 || t == DType::F32 || t == DType::F64 || t == DType::Bool;
}
bool integer(DType t) { return t == DType::I64 || t == DType::I32; }

Status copy_bytes(const TensorView& in, const TensorView& out) {
  if (in.bytes() != out.bytes()) return Status(ErrorCode::Internal, "fold: size mismatch");
  if (out.bytes() > 0) std::memcpy(out.data, in.data, out.bytes());
  return Status::ok_status();
}

// Offset into an input of shape `in` (right-aligned, broadcast) for output multi-index `idx`.
int64_t broadcast_offset(const Shape& in, const Shape& out, const std::vector<int64_t>& idx) {
  int64_t off = 0, stride = 1;
  size_t shift = out.size() - in.size();
  for (size_t k = in.size(); k-- > 0;) {
    int64_t i = in[k] == 1 ? 0 : idx[k + shift];
    off += i * stride;
    stride *= in[k];
  }
  return off;
}

void next_index(std::vector<int64_t>& idx, const Shape& shape) {
  for (size_t k = shape.size(); k-- > 0;) {
    if (++idx[k] < shape[k]) return;
    idx[k] = 0;
  }
}

Status arith(const Node& n, std::span<const TensorView> in, const TensorView& out) {
  const TensorView &a = in[0], &b = in[1];
  if (!integer(a.dtype) || a.dtype != b.dtype || out.dtype != a.dtype) return unsupported(n, "integer arithmetic only");
  std::vector<int64_t> idx(out.shape.size(), 0);
  for (int64_t i = 0; i < out.numel(); ++i, next_index(idx, out.shape)) {
    int64_t x = read_int(a, broadcast_offset(a.shape, out.shape, idx));
    int64_t y = read_int(b, broadcast_offset(b.shape, out.shape, idx));
    int64_t r = 0;
    switch (n.op) {
      case OpType::Add: r = static_cast<int64_t>(static_cast<uint64_t>(x) + static_cast<uint64_t>(y)); break;
      case OpType::Sub: r = static_cast<int64_t>(static_cast<uint64_t>(x) - static_cast<uint64_t>(y)); break;
      case OpType::Mul: r = static_cast<int64_t>(static_cast<uint64_t>(x) * static_cast<uint64_t>(y)); break;
      case OpType::Div:
        if (y == 0) return make_error(ErrorCode::InvalidModel, "fold", "node", n.name, "integer division by zero");
        if (x == INT64_MIN && y == -1) return make_error(ErrorCode::InvalidModel, "fold", "node", n.name, "integer overflow");
        r = x / y;  // ONNX integer Div truncates, like C++
        break;
      default: return unsupported(n, "not an arithmetic op");
    }
    write_value(out, i, 0, r, false);
  }
  return Status::ok_status();
}

Status gather(const Node& n, std::span<const TensorView> in, const TensorView& out) {
  const TensorView &x = in[0], &ix = in[1];
  int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = n.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1, dim = x.shape[static_cast<size_t>(axis)];
  for (int64_t i = 0; i < axis; ++i) outer *= x.shape[static_cast<size_t>(i)];
  for (int64_t i = axis + 1; i < rank; ++i) inner *= x.shape[static_cast<size_t>(i)];
  const uint64_t es = dtype_size(x.dtype);
  const int64_t count = ix.numel();
  auto* dst = static_cast<std::byte*>(out.data);
  const auto* src = static_cast<const std::byte*>(x.data);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < count; ++k) {
      int64_t j = read_int(ix, k);
      if (j < 0) j += dim;
      if (j < 0 || j >= dim) return make_error(ErrorCode::InvalidModel, "fold", "node", n.name, "gather index out of range");
      std::memcpy(dst, src + ((o * dim + j) * inner) * es, inner * es);
      dst += inner * es;
    }
  }
  return Status::ok_status();
}

Status concat(const Node& n, std::span<const TensorView> in, const TensorView& out) {
  int64_t rank = static_cast<int64_t>(out.shape.size());
  int64_t axis = n.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= out.shape[static_cast<size_t>(i)];
  const uint64_t es = dtype_size(out.dtype);
  auto* dst = static_cast<std::byte*>(out.data);
  for (int64_t o = 0; o < outer; ++o) {
    for (const TensorView& t : in) {
      uint64_t chunk = static_cast<uint64_t>(t.numel() / std::max<int64_t>(outer, 1)) * es;
      if (chunk) std::memcpy(dst, static_cast<const std::byte*>(t.data) + o * chunk, chunk);
      dst += chunk;
    }
  }
  return Status::ok_status();
}

Status slice(const Node& n, std::span<const TensorView> in, const TensorView& out) {
  const TensorView& x = in[0];
  const size_t rank = x.shape.size();
  std::vector<int64_t> start(rank, 0), step(rank, 1);
  const int64_t count = in[1].numel();
  for (int64_t i = 0; i < count; ++i) {
    int64_t axis = in.size() > 3 && in[3].data ? read_int(in[3], i) : i;
    if (axis < 0) axis += static_cast<int64_t>(rank);
    int64_t st = in.size() > 4 && in[4].data ? read_int(in[4], i) : 1;
    int64_t dim = x.shape[static_cast<size_t>(axis)];
    __int128 s = read_int(in[1], i);
    if (s < 0) s += dim;
    s = st > 0 ? std::clamp<__int128>(s, 0, dim) : std::clamp<__int128>(s, -1, dim - 1);
    start[static_cast<size_t>(axis)] = static_cast<int64_t>(s);
    step[static_cast<size_t>(axis)] = st;
  }
  const uint64_t es = dtype_size(x.dtype);
  std::vector<int64_t> strides = row_major_strides(x.shape);
  std::vector<int64_t> idx(rank, 0);
  auto* dst = static_cast<std::byte*>(out.data);
  for (int64_t i = 0; i < out.numel(); ++i, next_index(idx, out.shape)) {
    int64_t off = 0;
    for (size_t k = 0; k < rank; ++k) off += (start[k] + idx[k] * step[k]) * strides[k];
    std::memcpy(dst + i * es, static_cast<const std::byte*>(x.data) + off * es, es);
  }
  return Status::ok_status();
}

Status cast(const Node& n, const TensorView& x, const TensorView& out) {
  if (!numeric(x.dtype) || !numeric(out.dtype)) return unsupported(n, "cast between these dtypes");
  bool is_float = x.dtype == DType::F32 || x.dtype == DType::F64;
  for (int64_t i = 0; i < out.numel(); ++i) write_value(out, i, read_double(x, i), read_int(x, i), is_float);
  return Status::ok_status();
}

Status constant_of_shape(const Node& n, const TensorView& out) {
  const Tensor* v = n.attrs.get_tensor("value");
  if (!v) {
    if (out.bytes()) std::memset(out.data, 0, out.bytes());
    return Status::ok_status();
  }
  const uint64_t es = dtype_size(out.dtype);
  for (int64_t i = 0; i < out.numel(); ++i) std::memcpy(static_cast<std::byte*>(out.data) + i * es, v->raw(), es);
  return Status::ok_status();
}

Status range(const Node& n, std::span<const TensorView> in, const TensorView& out) {
  if (!numeric(out.dtype) || out.dtype == DType::Bool) return unsupported(n, "range of this dtype");
  bool is_float = out.dtype == DType::F32 || out.dtype == DType::F64;
  for (int64_t i = 0; i < out.numel(); ++i) {
    write_value(out, i, read_double(in[0], 0) + static_cast<double>(i) * read_double(in[2], 0),
                read_int(in[0], 0) + i * read_int(in[2], 0), is_float);
  }
  return Status::ok_status();
}

}  // namespace

Status fold_builtin(const Node& n, std::span<const TensorView> in, std::span<const TensorView> out) {
  if (out.empty() || out[0].data == nullptr || in.empty()) return unsupported(n, "no outputs");
  for (size_t i = 0; i < std::min<size_t>(in.size(), 3); ++i) {
    if (n.op != OpType::Slice && i > 0) break;
    if (in[i].data == nullptr) return unsupported(n, "absent input");
  }
  switch (n.op) {
    case OpType::Identity:
    case OpType::Reshape:
    case OpType::Flatten:
    case OpType::Squeeze:
    case OpType::Unsqueeze:
      return copy_bytes(in[0], out[0]);
    case OpType::Add:
    case OpType::Sub:
    case OpType::Mul:
    case OpType::Div:
      if (in.size() < 2 || in[1].data == nullptr) return unsupported(n, "absent input");
      return arith(n, in, out[0]);
    case OpType::Gather:
      if (in.size() < 2 || in[1].data == nullptr) return unsupported(n, "absent input");
      return gather(n, in, out[0]);
    case OpType::Concat:
      for (const TensorView& t : in) if (t.data == nullptr) return unsupported(n, "absent input");
      return concat(n, in, out[0]);
    case OpType::Slice:
      return slice(n, in, out[0]);
    case OpType::Cast:
      return cast(n, in[0], out[0]);
    case OpType::ConstantOfShape:
      return constant_of_shape(n, out[0]);
    case OpType::Range:
      if (in.size() < 3 || in[1].data == nullptr || in[2].data == nullptr) return unsupported(n, "absent input");
      return range(n, in, out[0]);
    default:
      return unsupported(n, "no built-in folder for this op");
  }
}

}  // namespace deepshark
