#include "import/onnx/onnx_tensor.h"

#include <cstring>

#include "import/onnx/onnx_external_data.h"

namespace deepshark::onnx_import {

namespace {

using TP = onnx::TensorProto;

Status bad(const std::string& thing, const std::string& name, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", thing, name, reason);
}

// Which typed repeated field carries each dtype when raw_data is absent (onnx.proto comments).
enum class Field { Float, Int32, Int64, Double, Uint64 };

Field typed_field(DType d) {
  switch (d) {
    case DType::F32: return Field::Float;
    case DType::I64: return Field::Int64;
    case DType::F64: return Field::Double;
    case DType::U32:
    case DType::U64: return Field::Uint64;
    default: return Field::Int32;  // int32, int16, int8, uint16, uint8, bool, float16
  }
}

const char* field_name(Field f) {
  switch (f) {
    case Field::Float: return "float_data";
    case Field::Int32: return "int32_data";
    case Field::Int64: return "int64_data";
    case Field::Double: return "double_data";
    case Field::Uint64: return "uint64_data";
  }
  return "?";
}

int64_t field_count(const TP& t, Field f) {
  switch (f) {
    case Field::Float: return t.float_data_size();
    case Field::Int32: return t.int32_data_size();
    case Field::Int64: return t.int64_data_size();
    case Field::Double: return t.double_data_size();
    case Field::Uint64: return t.uint64_data_size();
  }
  return 0;
}

// Copies typed values into `dst` of storage dtype `d` (narrowing as onnx.proto prescribes).
void copy_typed(const TP& t, DType d, std::byte* dst, int64_t n) {
  auto put = [&](auto* out, auto get) {
    for (int64_t i = 0; i < n; ++i) out[i] = get(static_cast<int>(i));
  };
  switch (d) {
    case DType::F32: std::memcpy(dst, t.float_data().data(), static_cast<size_t>(n) * 4); break;
    case DType::I64: std::memcpy(dst, t.int64_data().data(), static_cast<size_t>(n) * 8); break;
    case DType::F64: std::memcpy(dst, t.double_data().data(), static_cast<size_t>(n) * 8); break;
    case DType::U64: std::memcpy(dst, t.uint64_data().data(), static_cast<size_t>(n) * 8); break;
    case DType::U32: put(reinterpret_cast<uint32_t*>(dst), [&](int i) { return static_cast<uint32_t>(t.uint64_data(i)); }); break;
    case DType::I32: std::memcpy(dst, t.int32_data().data(), static_cast<size_t>(n) * 4); break;
    case DType::I16: put(reinterpret_cast<int16_t*>(dst), [&](int i) { return static_cast<int16_t>(t.int32_data(i)); }); break;
    case DType::U16:
    case DType::F16: put(reinterpret_cast<uint16_t*>(dst), [&](int i) { return static_cast<uint16_t>(t.int32_data(i)); }); break;
    case DType::I8: put(reinterpret_cast<int8_t*>(dst), [&](int i) { return static_cast<int8_t>(t.int32_data(i)); }); break;
    case DType::U8: put(reinterpret_cast<uint8_t*>(dst), [&](int i) { return static_cast<uint8_t>(t.int32_data(i)); }); break;
    case DType::Bool: put(reinterpret_cast<uint8_t*>(dst), [&](int i) { return static_cast<uint8_t>(t.int32_data(i) != 0); }); break;
  }
}

}  // namespace

std::string onnx_dtype_name(int code) {
  if (TP::DataType_IsValid(code)) return TP::DataType_Name(static_cast<TP::DataType>(code));
  return "code " + std::to_string(code);
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal half: normalise
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400) == 0);
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

Result<Tensor> decode_tensor(const TP& t, const std::string& model_dir, const std::string& thing,
                             const std::string& name) {
  if (!t.has_data_type() || t.data_type() == TP::UNDEFINED) return bad(thing, name, "data type is undefined");
  std::optional<DType> stored = dtype_from_onnx(t.data_type());
  if (!stored) {
    return make_error(ErrorCode::Unsupported, "import", thing, name,
                      "unsupported data type '" + onnx_dtype_name(t.data_type()) + "'");
  }
  if (t.has_segment()) return make_error(ErrorCode::Unsupported, "import", thing, name, "segmented tensors are not supported");
  Shape shape(t.dims().begin(), t.dims().end());
  for (int64_t d : shape) {
    if (d < 0) return bad(thing, name, "negative dimension in shape " + shape_to_string(shape));
  }
  std::optional<int64_t> n = checked_numel(shape);
  if (!n) return bad(thing, name, "element count of shape " + shape_to_string(shape) + " overflows");
  std::optional<uint64_t> bytes = checked_mul(static_cast<uint64_t>(*n), dtype_size(*stored));
  if (!bytes) return bad(thing, name, "byte size of shape " + shape_to_string(shape) + " overflows");

  // Validate the data source against the shape before allocating anything.
  enum class Source { Raw, Typed, External } source;
  ExternalRange ext;
  if (t.has_data_location() && t.data_location() == TP::EXTERNAL) {
    source = Source::External;
    DS_TRY(ext, resolve_external_data(t, model_dir, *bytes, thing, name));
  } else if (t.has_raw_data()) {
    source = Source::Raw;
    if (t.raw_data().size() != *bytes) {
      return bad(thing, name, "raw data size does not match shape " + shape_to_string(shape) + " " +
                                  expected_got(std::to_string(*bytes) + " bytes", std::to_string(t.raw_data().size())));
    }
  } else {
    source = Source::Typed;
    Field f = typed_field(*stored);
    if (field_count(t, f) != *n) {
      return bad(thing, name, std::string(field_name(f)) + " count does not match shape " + shape_to_string(shape) +
                                  " " + expected_got(std::to_string(*n) + " values", std::to_string(field_count(t, f))));
    }
  }

  // Float16 is widened to F32: decode into a temporary of the stored type first.
  const bool widen = *stored == DType::F16;
  DS_TRY(Tensor out, Tensor::create(widen ? DType::F32 : *stored, shape, default_allocator(), MemoryClass::Weights));
  Tensor staging = out;
  if (widen) {
    DS_TRY(staging, Tensor::create(DType::F16, shape, default_allocator(), MemoryClass::Other));
  }
  if (*bytes > 0) {
    switch (source) {
      case Source::Raw: std::memcpy(staging.raw(), t.raw_data().data(), *bytes); break;
      case Source::Typed: copy_typed(t, *stored, staging.raw(), *n); break;
      case Source::External: DS_RETURN_IF_ERROR(read_external_data(ext, staging.raw(), thing, name)); break;
    }
  }
  if (*stored == DType::Bool) {
    // A bool byte other than 0/1 is undefined behaviour to load as bool: normalise.
    auto* p = reinterpret_cast<uint8_t*>(staging.raw());
    for (int64_t i = 0; i < *n; ++i) p[i] = p[i] != 0;
  }
  if (widen) {
    const auto* src = staging.data<uint16_t>();
    float* dst = out.data<float>();
    for (int64_t i = 0; i < *n; ++i) dst[i] = half_to_float(src[i]);
  }
  return out;
}

}  // namespace deepshark::onnx_import
