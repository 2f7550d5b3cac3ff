#include "base/dtype.h"

namespace deepshark {

const char* dtype_name(DType t) {
  switch (t) {
#define DS_X(name, type, size, onnx) \
  case DType::name:                  \
    return #name;
    DS_DTYPES(DS_X)
#undef DS_X
  }
  return "?";
}

std::optional<DType> dtype_from_name(std::string_view n) {
#define DS_X(name, type, size, onnx) \
  if (n == #name) return DType::name;
  DS_DTYPES(DS_X)
#undef DS_X
  return std::nullopt;
}

int onnx_dtype_code(DType t) {
  switch (t) {
#define DS_X(name, type, size, onnx) \
  case DType::name:                  \
    return onnx;
    DS_DTYPES(DS_X)
#undef DS_X
  }
  return 0;
}

std::optional<DType> dtype_from_onnx(int code) {
#define DS_X(name, type, size, onnx) \
  if (code == (onnx)) return DType::name;
  DS_DTYPES(DS_X)
#undef DS_X
  return std::nullopt;
}

}  // namespace deepshark
