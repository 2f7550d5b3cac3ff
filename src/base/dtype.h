// Element types. One X-macro list; the enum, names, sizes and ONNX codes come from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace deepshark {

// X(Name, c++ type, size in bytes, ONNX TensorProto.DataType code)
#define DS_DTYPES(X)              \
  X(F32, float, 4, 1)             \
  X(U8, uint8_t, 1, 2)            \
  X(I8, int8_t, 1, 3)             \
  X(U16, uint16_t, 2, 4)          \
  X(I16, int16_t, 2, 5)           \
  X(I32, int32_t, 4, 6)           \
  X(I64, int64_t, 8, 7)           \
  X(Bool, bool, 1, 9)             \
  X(F16, uint16_t, 2, 10)         \
  X(F64, double, 8, 11)           \
  X(U32, uint32_t, 4, 12)         \
  X(U64, uint64_t, 8, 13)

enum class DType : uint8_t {
#define DS_X(name, type, size, onnx) name,
  DS_DTYPES(DS_X)
#undef DS_X
};

constexpr uint64_t dtype_size(DType t) {
  switch (t) {
#define DS_X(name, type, size, onnx) \
  case DType::name:                  \
    return size;
    DS_DTYPES(DS_X)
#undef DS_X
  }
  return 0;
}

const char* dtype_name(DType t);
std::optional<DType> dtype_from_name(std::string_view name);
int onnx_dtype_code(DType t);
std::optional<DType> dtype_from_onnx(int code);

template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::F32; }
template <> constexpr DType dtype_of<double>() { return DType::F64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::I64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::I32; }
template <> constexpr DType dtype_of<int8_t>() { return DType::I8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::U8; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

}  // namespace deepshark
