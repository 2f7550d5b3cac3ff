#include "kernels/ref/ref_common.h"

#include <bit>

namespace deepshark::ref {

Status RefArgs::unsupported(const std::string& what) const {
  return make_error(ErrorCode::Unsupported, "run", std::string("reference ") + op() + " node", node.name,
                    what);
}

Status RefArgs::unsupported_dtype(DType t) const {
  return unsupported(std::string("dtype ") + dtype_name(t) + " is not implemented");
}

Status RefArgs::invalid(const std::string& reason) const {
  return make_error(ErrorCode::InvalidArgument, "run", std::string("reference ") + op() + " node", node.name,
                    reason);
}

Status RefArgs::require(size_t min_in, size_t min_out) const {
  if (inputs.size() < min_in)
    return invalid("too few inputs " + expected_got(">= " + std::to_string(min_in), std::to_string(inputs.size())));
  for (size_t i = 0; i < min_in; ++i) {
    if (inputs[i].data == nullptr && inputs[i].numel() != 0)
      return invalid("required input " + std::to_string(i) + " is absent");
  }
  if (outputs.size() < min_out)
    return invalid("too few outputs " + expected_got(">= " + std::to_string(min_out), std::to_string(outputs.size())));
  for (size_t i = 0; i < min_out; ++i) {
    if (outputs[i].data == nullptr && outputs[i].numel() != 0)
      return invalid("output " + std::to_string(i) + " has no memory");
  }
  return Status::ok_status();
}

Status RefArgs::require_dtype(size_t i, DType t) const {
  if (inputs[i].dtype != t)
    return unsupported("input " + std::to_string(i) + " dtype " + expected_got(dtype_name(t), dtype_name(inputs[i].dtype)));
  return Status::ok_status();
}

Status RefArgs::check_out_shape(size_t o, const Shape& shape) const {
  if (outputs[o].shape != shape)
    return invalid("output " + std::to_string(o) + " shape " +
                   expected_got(shape_to_string(shape), shape_to_string(outputs[o].shape)));
  return Status::ok_status();
}

Status RefArgs::check_out_dtype(size_t o, DType t) const {
  if (outputs[o].dtype != t)
    return invalid("output " + std::to_string(o) + " dtype " + expected_got(dtype_name(t), dtype_name(outputs[o].dtype)));
  return Status::ok_status();
}

std::optional<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

std::optional<std::vector<int64_t>> read_ints(const TensorView& t) {
  std::vector<int64_t> v;
  int64_t n = t.numel();
  if (n > 0 && t.data == nullptr) return std::nullopt;
  v.reserve(static_cast<size_t>(n));
  if (t.dtype == DType::I64) {
    for (int64_t i = 0; i < n; ++i) v.push_back(t.as<int64_t>()[i]);
  } else if (t.dtype == DType::I32) {
    for (int64_t i = 0; i < n; ++i) v.push_back(t.as<int32_t>()[i]);
  } else {
    return std::nullopt;
  }
  return v;
}

double read_as_double(const TensorView& t, int64_t i) {
  switch (t.dtype) {
    case DType::F16: return half_to_float(t.as<uint16_t>()[i]);
#define DS_X(name, type, size, onnx) \
  case DType::name:                  \
    return static_cast<double>(t.as<type>()[i]);
    DS_X(F32, float, 4, 1)
    DS_X(U8, uint8_t, 1, 2)
    DS_X(I8, int8_t, 1, 3)
    DS_X(U16, uint16_t, 2, 4)
    DS_X(I16, int16_t, 2, 5)
    DS_X(I32, int32_t, 4, 6)
    DS_X(I64, int64_t, 8, 7)
    DS_X(Bool, bool, 1, 9)
    DS_X(F64, double, 8, 11)
    DS_X(U32, uint32_t, 4, 12)
    DS_X(U64, uint64_t, 8, 13)
#undef DS_X
  }
  return 0;
}

float half_to_float(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do { ++e; mant <<= 1; } while ((mant & 0x400) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t float_to_half(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00 | (abs > 0x7f800000u ? 0x200 : 0));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00);  // rounds to inf
  if (abs < 0x38800000u) {  // subnormal or zero in half
    if (abs < 0x33000000u) return sign;  // < 2^-25 rounds to 0
    uint32_t mant = (abs & 0x7fffff) | 0x800000;
    int shift = 126 - static_cast<int>(abs >> 23);  // 14 + (113 - e)
    uint32_t half_mant = mant >> (shift);
    uint32_t rem = mant & ((1u << shift) - 1);
    uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half_mant & 1))) ++half_mant;
    return static_cast<uint16_t>(sign | half_mant);
  }
  uint32_t e = (abs >> 23) - 127 + 15;
  uint32_t mant = abs & 0x7fffff;
  uint32_t h = (e << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;  // may carry into exponent: correct
  return static_cast<uint16_t>(sign | h);
}

std::optional<Shape> broadcast_pair(const Shape& a, const Shape& b) {
  size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == db || db == 1) out[i] = da;
    else if (da == 1) out[i] = db;
    else return std::nullopt;
  }
  return out;
}

bool broadcastable_to(const Shape& in, const Shape& out) {
  if (in.size() > out.size()) return false;
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != 1 && in[i] != out[i + off]) return false;
  }
  return true;
}

BroadcastIndex::BroadcastIndex(const Shape& in, const Shape& out)
    : out_shape_(out), in_strides_(out.size(), 0), counter_(out.size(), 0) {
  size_t off = out.size() - in.size();
  int64_t s = 1;
  for (size_t i = in.size(); i-- > 0;) {
    in_strides_[i + off] = in[i] == 1 ? 0 : s;
    s *= in[i];
  }
}

void BroadcastIndex::next() {
  for (size_t d = out_shape_.size(); d-- > 0;) {
    offset_ += in_strides_[d];
    if (++counter_[d] < out_shape_[d]) return;
    offset_ -= in_strides_[d] * counter_[d];
    counter_[d] = 0;
  }
}

std::string ints_to_string(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

bool next_index(std::vector<int64_t>& idx, const Shape& shape) {
  for (size_t d = shape.size(); d-- > 0;) {
    if (++idx[d] < shape[d]) return true;
    idx[d] = 0;
  }
  return false;
}

}  // namespace deepshark::ref
