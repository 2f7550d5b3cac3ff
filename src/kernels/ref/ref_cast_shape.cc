// Cast (between F32/F64/F16/I64/I32/I16/I8/U8/U16/U32/U64/Bool; float -> int truncates toward
// zero like ONNX / numpy, out-of-range values saturate and NaN becomes 0 instead of being
// undefined), and the shape / constant producers: Shape, Constant, ConstantOfShape, Range.
#include <limits>
#include <type_traits>

#include "kernels/ref/ref_dtype_dispatch.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

struct Scalar {
  bool is_float = false;
  double f = 0;
  int64_t i = 0;
};

Scalar load(const TensorView& t, int64_t k) {
  switch (t.dtype) {
    case DType::F32: return {true, t.as<float>()[k], 0};
    case DType::F64: return {true, t.as<double>()[k], 0};
    case DType::F16: return {true, half_to_float(t.as<uint16_t>()[k]), 0};
    case DType::Bool: return {false, 0, t.as<uint8_t>()[k] != 0};
    case DType::U8: return {false, 0, t.as<uint8_t>()[k]};
    case DType::I8: return {false, 0, t.as<int8_t>()[k]};
    case DType::U16: return {false, 0, t.as<uint16_t>()[k]};
    case DType::I16: return {false, 0, t.as<int16_t>()[k]};
    case DType::I32: return {false, 0, t.as<int32_t>()[k]};
    case DType::U32: return {false, 0, t.as<uint32_t>()[k]};
    case DType::I64: return {false, 0, t.as<int64_t>()[k]};
    case DType::U64: return {false, 0, static_cast<int64_t>(t.as<uint64_t>()[k])};
  }
  return {};
}

template <typename T>
T to_int(const Scalar& s) {
  if (!s.is_float) return static_cast<T>(s.i);  // modular, as in numpy's astype
  const double v = std::trunc(s.f);
  if (std::isnan(v)) return T{0};
  if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
  if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
  return static_cast<T>(v);
}

void store(const TensorView& t, int64_t k, const Scalar& s) {
  const double f = s.is_float ? s.f : static_cast<double>(s.i);
  switch (t.dtype) {
    case DType::F32: t.as<float>()[k] = static_cast<float>(f); return;
    case DType::F64: t.as<double>()[k] = s.is_float ? s.f : static_cast<double>(s.i); return;
    case DType::F16: t.as<uint16_t>()[k] = float_to_half(static_cast<float>(f)); return;
    case DType::Bool: t.as<uint8_t>()[k] = s.is_float ? (s.f != 0) : (s.i != 0); return;
    case DType::U8: t.as<uint8_t>()[k] = to_int<uint8_t>(s); return;
    case DType::I8: t.as<int8_t>()[k] = to_int<int8_t>(s); return;
    case DType::U16: t.as<uint16_t>()[k] = to_int<uint16_t>(s); return;
    case DType::I16: t.as<int16_t>()[k] = to_int<int16_t>(s); return;
    case DType::I32: t.as<int32_t>()[k] = to_int<int32_t>(s); return;
    case DType::U32: t.as<uint32_t>()[k] = to_int<uint32_t>(s); return;
    case DType::I64: t.as<int64_t>()[k] = to_int<int64_t>(s); return;
    case DType::U64: t.as<uint64_t>()[k] = to_int<uint64_t>(s); return;
  }
}

}  // namespace

Status run_Cast(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const int64_t to_code = a.attrs().get_int("to", -1);
  auto to = dtype_from_onnx(static_cast<int>(to_code));
  if (!to || to_code < 0 || to_code > 64) return a.unsupported("cast target type code " + std::to_string(to_code));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, *to));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, a.in(0).shape));
  const int64_t n = a.in(0).numel();
  for (int64_t k = 0; k < n; ++k) store(a.out(0), k, load(a.in(0), k));
  return Status::ok_status();
}

Status run_Shape(const RefArgs& a) {
  if (a.inputs.empty() || a.outputs.empty()) return a.invalid("needs one input and one output");
  // Only the input's shape is read: its data may be absent.
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  int64_t start = std::clamp<int64_t>(a.attrs().get_int("start", 0), -rank - 1, rank + 1);
  int64_t end = std::clamp<int64_t>(a.attrs().get_int("end", rank), -rank - 1, rank + 1);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  const int64_t n = std::max<int64_t>(0, end - start);
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::I64));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, {n}));
  for (int64_t i = 0; i < n; ++i) a.out(0).as<int64_t>()[i] = xs[static_cast<size_t>(start + i)];
  return Status::ok_status();
}

Status run_Constant(const RefArgs& a) {
  if (a.outputs.empty()) return a.invalid("needs one output");
  const Attributes& at = a.attrs();
  const TensorView& y = a.out(0);
  if (const Tensor* t = at.get_tensor("value")) {
    DS_RETURN_IF_ERROR(a.check_out_dtype(0, t->dtype()));
    DS_RETURN_IF_ERROR(a.check_out_shape(0, t->shape()));
    if (t->bytes() > 0) std::memcpy(y.data, t->raw(), t->bytes());
    return Status::ok_status();
  }
  if (at.has("value_float") || at.has("value_floats")) {
    const bool one = at.has("value_float");
    std::vector<float> v = one ? std::vector<float>{at.get_float("value_float", 0.f)} : at.get_floats("value_floats");
    DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::F32));
    DS_RETURN_IF_ERROR(a.check_out_shape(0, one ? Shape{} : Shape{static_cast<int64_t>(v.size())}));
    std::copy(v.begin(), v.end(), y.as<float>());
    return Status::ok_status();
  }
  if (at.has("value_int") || at.has("value_ints")) {
    const bool one = at.has("value_int");
    std::vector<int64_t> v = one ? std::vector<int64_t>{at.get_int("value_int", 0)} : at.get_ints("value_ints");
    DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::I64));
    DS_RETURN_IF_ERROR(a.check_out_shape(0, one ? Shape{} : Shape{static_cast<int64_t>(v.size())}));
    std::copy(v.begin(), v.end(), y.as<int64_t>());
    return Status::ok_status();
  }
  return a.unsupported("Constant without value / value_float(s) / value_int(s)");
}

Status run_ConstantOfShape(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  auto shape = read_ints(a.in(0));
  if (!shape) return a.unsupported(std::string("shape dtype ") + dtype_name(a.in(0).dtype));
  DType t = DType::F32;
  const Tensor* value = a.attrs().get_tensor("value");
  if (value) {
    if (value->numel() != 1) return a.invalid("value must have one element " + expected_got("1", std::to_string(value->numel())));
    t = value->dtype();
  }
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, t));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, Shape(shape->begin(), shape->end())));
  const uint64_t es = dtype_size(t);
  std::byte* y = static_cast<std::byte*>(a.out(0).data);
  const int64_t n = a.out(0).numel();
  if (!value) {
    if (n > 0) std::memset(y, 0, static_cast<uint64_t>(n) * es);
    return Status::ok_status();
  }
  for (int64_t i = 0; i < n; ++i) std::memcpy(y + static_cast<uint64_t>(i) * es, value->raw(), es);
  return Status::ok_status();
}

Status run_Range(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(3, 1));
  const DType t = a.in(0).dtype;
  for (size_t i = 0; i < 3; ++i) {
    DS_RETURN_IF_ERROR(a.require_dtype(i, t));
    if (a.in(i).numel() != 1) return a.invalid("start, limit and delta must be scalars");
  }
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, t));
  return dispatch_numeric(a, t, [&](auto tag) -> Status {
    using T = decltype(tag);
    const T start = a.in(0).as<T>()[0], limit = a.in(1).as<T>()[0], delta = a.in(2).as<T>()[0];
    if (delta == T{0}) return a.invalid("delta is 0");
    const double count = std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
    if (!(count < static_cast<double>(kMaxElements))) return a.invalid("too many elements");
    const int64_t n = count > 0 ? static_cast<int64_t>(count) : 0;
    DS_RETURN_IF_ERROR(a.check_out_shape(0, {n}));
    T* y = a.out(0).as<T>();
    for (int64_t i = 0; i < n; ++i) {
      if constexpr (std::is_integral_v<T>) {
        y[i] = static_cast<T>(static_cast<int64_t>(start) + i * static_cast<int64_t>(delta));
      } else {
        y[i] = static_cast<T>(start + static_cast<T>(i) * delta);
      }
    }
    return Status::ok_status();
  });
}

}  // namespace deepshark::ref
