// Internal: calls a generic lambda with a value of the C++ type behind a runtime DType.
//
//   return dispatch_numeric(a, t.dtype, [&](auto tag) { using T = decltype(tag); ...; return ok; });
#pragma once

#include "kernels/ref/ref_common.h"

namespace deepshark::ref {

// F32, F64, I64, I32, I8, U8 (the arithmetic types ONNX models use); Unsupported otherwise.
template <typename F>
Status dispatch_numeric(const RefArgs& a, DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    case DType::I64: return f(int64_t{});
    case DType::I32: return f(int32_t{});
    case DType::I8: return f(int8_t{});
    case DType::U8: return f(uint8_t{});
    default: return a.unsupported_dtype(t);
  }
}

// Float types only.
template <typename F>
Status dispatch_float(const RefArgs& a, DType t, F&& f) {
  switch (t) {
    case DType::F32: return f(float{});
    case DType::F64: return f(double{});
    default: return a.unsupported_dtype(t);
  }
}

// Copies by element size (data movement ops work on any dtype).
template <typename F>
Status dispatch_by_size(const RefArgs& a, DType t, F&& f) {
  switch (dtype_size(t)) {
    case 1: return f(uint8_t{});
    case 2: return f(uint16_t{});
    case 4: return f(uint32_t{});
    case 8: return f(uint64_t{});
    default: return a.unsupported_dtype(t);
  }
}

}  // namespace deepshark::ref
