// TensorProto -> Tensor. Data comes either as tensor_content (raw little-endian bytes, exactly
// numel * size) or as one of the typed *_val fields (0 values: zeros, 1 value: fill, else numel).
#include "import/tf/tf_tensor.h"

#include <cstring>
#include <vector>

namespace deepshark::tf_import {

namespace {

constexpr size_t kMaxRank = 16;

Status invalid(const std::string& thing, const std::string& name, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", thing, name, reason);
}

// Bytes per element as stored in tensor_content (before F16 widening).
uint64_t stored_size(int dtype) {
  switch (dtype) {
    case tf::DT_HALF: return 2;
    default: {
      std::optional<DType> d = dtype_from_tf(dtype);
      return d ? dtype_size(*d) : 0;
    }
  }
}

template <typename T, typename Field>
Status fill_from(Tensor& out, const Field& vals, const std::string& field, const std::string& thing,
                 const std::string& name, const Shape& shape) {
  const int64_t n = out.numel();
  const int64_t got = vals.size();
  T* p = out.data<T>();
  if (got == 0) return Status::ok_status();  // Tensor::create zeroes
  if (got == 1) {
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(vals.Get(0));
    return Status::ok_status();
  }
  if (got != n) {
    return invalid(thing, name, field + " count does not match shape " + shape_to_string(shape) + " " +
                                    expected_got("1 or " + std::to_string(n) + " values", std::to_string(got)));
  }
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(vals.Get(static_cast<int>(i)));
  return Status::ok_status();
}

}  // namespace

std::string tf_dtype_name(int dtype) {
  if (tf::DataType_IsValid(dtype)) return tf::DataType_Name(static_cast<tf::DataType>(dtype));
  return "DataType(" + std::to_string(dtype) + ")";
}

std::optional<DType> dtype_from_tf(int dtype) {
  switch (dtype) {
    case tf::DT_FLOAT: return DType::F32;
    case tf::DT_DOUBLE: return DType::F64;
    case tf::DT_INT32: return DType::I32;
    case tf::DT_UINT8: return DType::U8;
    case tf::DT_QUINT8: return DType::U8;
    case tf::DT_INT16: return DType::I16;
    case tf::DT_INT8: return DType::I8;
    case tf::DT_INT64: return DType::I64;
    case tf::DT_BOOL: return DType::Bool;
    case tf::DT_UINT16: return DType::U16;
    case tf::DT_HALF: return DType::F32;
    case tf::DT_UINT32: return DType::U32;
    case tf::DT_UINT64: return DType::U64;
    default: return std::nullopt;
  }
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t{h & 0x8000u} << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

Result<Shape> static_shape(const tf::TensorShapeProto& s, const std::string& thing, const std::string& name) {
  if (s.unknown_rank()) return invalid(thing, name, "a constant needs a known shape (unknown_rank is set)");
  if (static_cast<size_t>(s.dim_size()) > kMaxRank) {
    return invalid(thing, name, "rank too large " + expected_got("<= " + std::to_string(kMaxRank), std::to_string(s.dim_size())));
  }
  Shape shape;
  for (const auto& d : s.dim()) shape.push_back(d.size());
  for (int64_t d : shape) {
    if (d < 0) return invalid(thing, name, "negative dimension in shape " + shape_to_string(shape));
  }
  if (!checked_numel(shape)) return invalid(thing, name, "element count of shape " + shape_to_string(shape) + " overflows");
  return shape;
}

Result<Tensor> decode_tensor(const tf::TensorProto& t, const std::string& thing, const std::string& name,
                             uint64_t& splat_budget) {
  const int dt = t.dtype();
  std::optional<DType> dtype = dtype_from_tf(dt);
  if (!dtype) return make_error(ErrorCode::Unsupported, "import", thing, name, "unsupported data type '" + tf_dtype_name(dt) + "'");
  DS_TRY(Shape shape, static_shape(t.tensor_shape(), thing, name));
  const int64_t n = *checked_numel(shape);
  const uint64_t elem = stored_size(dt);
  const std::string what = "shape " + shape_to_string(shape) + " of " + tf_dtype_name(dt);
  if (!t.tensor_content().empty()) {
    const uint64_t want = static_cast<uint64_t>(n) * elem;  // n <= 2^40, elem <= 8: no overflow
    if (t.tensor_content().size() != want) {
      return invalid(thing, name, "tensor_content size does not match " + what + " " +
                                      expected_got(std::to_string(want) + " bytes", std::to_string(t.tensor_content().size())));
    }
    DS_TRY(Tensor out, Tensor::create(*dtype, shape));
    const char* src = t.tensor_content().data();
    if (dt == tf::DT_HALF) {
      float* p = out.data<float>();
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        p[i] = half_to_float(h);
      }
    } else if (*dtype == DType::Bool) {
      bool* p = out.data<bool>();
      for (int64_t i = 0; i < n; ++i) p[i] = src[i] != 0;  // any other byte would be UB as bool
    } else if (want > 0) {
      std::memcpy(out.raw(), src, want);
    }
    return out;
  }
  // Typed values: a splat may describe a huge tensor from a few bytes.
  const uint64_t out_bytes = static_cast<uint64_t>(n) * dtype_size(*dtype);
  if (out_bytes > 8 * t.ByteSizeLong()) {
    if (out_bytes > splat_budget) {
      return invalid(thing, name, "constant " + what + " is too large to build from " + std::to_string(t.ByteSizeLong()) +
                                      " stored bytes " +
                                      expected_got("<= " + std::to_string(splat_budget) + " bytes (what is left of " +
                                                       std::to_string(kMaxSplatBytes) + " for the graph's splats)",
                                                   std::to_string(out_bytes)));
    }
    splat_budget -= out_bytes;
  }
  DS_TRY(Tensor out, Tensor::create(*dtype, shape));
  Status st;
  switch (dt) {
    case tf::DT_FLOAT: st = fill_from<float>(out, t.float_val(), "float_val", thing, name, shape); break;
    case tf::DT_DOUBLE: st = fill_from<double>(out, t.double_val(), "double_val", thing, name, shape); break;
    case tf::DT_INT32: st = fill_from<int32_t>(out, t.int_val(), "int_val", thing, name, shape); break;
    case tf::DT_INT16: st = fill_from<int16_t>(out, t.int_val(), "int_val", thing, name, shape); break;
    case tf::DT_INT8: st = fill_from<int8_t>(out, t.int_val(), "int_val", thing, name, shape); break;
    case tf::DT_UINT8:
    case tf::DT_QUINT8: st = fill_from<uint8_t>(out, t.int_val(), "int_val", thing, name, shape); break;
    case tf::DT_UINT16: st = fill_from<uint16_t>(out, t.int_val(), "int_val", thing, name, shape); break;
    case tf::DT_INT64: st = fill_from<int64_t>(out, t.int64_val(), "int64_val", thing, name, shape); break;
    case tf::DT_BOOL: st = fill_from<bool>(out, t.bool_val(), "bool_val", thing, name, shape); break;
    case tf::DT_HALF: {
      std::vector<float> vals;
      vals.reserve(static_cast<size_t>(t.half_val_size()));
      for (int32_t h : t.half_val()) vals.push_back(half_to_float(static_cast<uint16_t>(h)));
      google::protobuf::RepeatedField<float> rf(vals.begin(), vals.end());
      st = fill_from<float>(out, rf, "half_val", thing, name, shape);
      break;
    }
    default:
      return make_error(ErrorCode::Unsupported, "import", thing, name,
                        "data type '" + tf_dtype_name(dt) + "' is supported only as tensor_content");
  }
  if (!st.ok()) return st;
  return out;
}

}  // namespace deepshark::tf_import
