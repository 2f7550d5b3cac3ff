// Activations and unary math: elementwise, output shape == input shape. Float ops in float32
// (and float64); Abs, Neg, Relu and Clip also on integers; Not on Bool. PRelu (unidirectional
// slope broadcast) lives here too since it is an activation.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels/ref/ref_dtype_dispatch.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

Status check_same_shape(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  return a.check_out_shape(0, a.in(0).shape);
}

// Applies f(double) -> double to a float tensor.
template <typename F>
Status unary_float(const RefArgs& a, F f) {
  DS_RETURN_IF_ERROR(check_same_shape(a));
  return dispatch_float(a, a.in(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    const int64_t n = a.in(0).numel();
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<T>(f(static_cast<double>(x[i])));
    return Status::ok_status();
  });
}

// Applies f(T) -> T to any numeric tensor (f must be generic).
template <typename F>
Status unary_numeric(const RefArgs& a, F f) {
  DS_RETURN_IF_ERROR(check_same_shape(a));
  return dispatch_numeric(a, a.in(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    const int64_t n = a.in(0).numel();
    for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
    return Status::ok_status();
  });
}

}  // namespace

Status run_Relu(const RefArgs& a) {
  return unary_numeric(a, [](auto v) { return v > decltype(v){0} ? v : decltype(v){0}; });
}
Status run_LeakyRelu(const RefArgs& a) {
  const double alpha = a.attrs().get_float("alpha", 0.01f);
  return unary_float(a, [&](double v) { return v >= 0 ? v : alpha * v; });
}
Status run_Elu(const RefArgs& a) {
  const double alpha = a.attrs().get_float("alpha", 1.0f);
  return unary_float(a, [&](double v) { return v >= 0 ? v : alpha * (std::exp(v) - 1.0); });
}
Status run_Sigmoid(const RefArgs& a) {
  return unary_float(a, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
}
Status run_Tanh(const RefArgs& a) { return unary_float(a, [](double v) { return std::tanh(v); }); }
Status run_HardSigmoid(const RefArgs& a) {
  const double alpha = a.attrs().get_float("alpha", 0.2f);
  const double beta = a.attrs().get_float("beta", 0.5f);
  return unary_float(a, [&](double v) { return std::max(0.0, std::min(1.0, alpha * v + beta)); });
}
Status run_HardSwish(const RefArgs& a) {
  return unary_float(a, [](double v) { return v * std::max(0.0, std::min(1.0, v / 6.0 + 0.5)); });
}
Status run_Softplus(const RefArgs& a) {
  // log(1 + e^v) without overflow for large v.
  return unary_float(a, [](double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); });
}
// Gelu (ONNX opset 20): approximate "none" = x/2 (1 + erf(x/sqrt 2)); "tanh" = the tanh form.
Status run_Gelu(const RefArgs& a) {
  if (a.attrs().get_string("approximate", "none") == "tanh") {
    return unary_float(a, [](double v) {
      return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    });
  }
  return unary_float(a, [](double v) { return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0))); });
}
Status run_Erf(const RefArgs& a) { return unary_float(a, [](double v) { return std::erf(v); }); }
Status run_Exp(const RefArgs& a) { return unary_float(a, [](double v) { return std::exp(v); }); }
Status run_Log(const RefArgs& a) { return unary_float(a, [](double v) { return std::log(v); }); }
Status run_Sqrt(const RefArgs& a) { return unary_float(a, [](double v) { return std::sqrt(v); }); }
Status run_Reciprocal(const RefArgs& a) { return unary_float(a, [](double v) { return 1.0 / v; }); }
Status run_Floor(const RefArgs& a) { return unary_float(a, [](double v) { return std::floor(v); }); }
Status run_Ceil(const RefArgs& a) { return unary_float(a, [](double v) { return std::ceil(v); }); }

Status run_Neg(const RefArgs& a) {
  return unary_numeric(a, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_integral_v<T>) {
      // Wrapping negation: -INT_MIN stays INT_MIN instead of being undefined.
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(U{0} - static_cast<U>(v));
    } else {
      return static_cast<T>(-v);
    }
  });
}
Status run_Abs(const RefArgs& a) {
  return unary_numeric(a, [](auto v) {
    using T = decltype(v);
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
      using U = std::make_unsigned_t<T>;
      return v < 0 ? static_cast<T>(U{0} - static_cast<U>(v)) : v;
    } else if constexpr (std::is_integral_v<T>) {
      return v;
    } else {
      return static_cast<T>(std::fabs(v));
    }
  });
}

Status run_Not(const RefArgs& a) {
  DS_RETURN_IF_ERROR(check_same_shape(a));
  DS_RETURN_IF_ERROR(a.require_dtype(0, DType::Bool));
  const uint8_t* x = a.in(0).as<uint8_t>();
  uint8_t* y = a.out(0).as<uint8_t>();
  for (int64_t i = 0; i < a.in(0).numel(); ++i) y[i] = x[i] ? 0 : 1;
  return Status::ok_status();
}

// Clip(x, min?, max?) (opset 13 inputs); older min/max attributes are accepted when the inputs
// are absent.
Status run_Clip(const RefArgs& a) {
  DS_RETURN_IF_ERROR(check_same_shape(a));
  const DType t = a.in(0).dtype;
  for (size_t i = 1; i < 3; ++i) {
    if (!a.has_input(i)) continue;
    if (a.in(i).numel() != 1)
      return a.invalid("min/max must be scalars " + expected_got("1 element", shape_to_string(a.in(i).shape)));
    DS_RETURN_IF_ERROR(a.require_dtype(i, t));
  }
  return dispatch_numeric(a, t, [&](auto tag) {
    using T = decltype(tag);
    T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
    if constexpr (std::is_floating_point_v<T>) {
      lo = -std::numeric_limits<T>::infinity();
      hi = std::numeric_limits<T>::infinity();
      if (a.attrs().has("min")) lo = static_cast<T>(a.attrs().get_float("min", 0.f));
      if (a.attrs().has("max")) hi = static_cast<T>(a.attrs().get_float("max", 0.f));
    }
    if (a.has_input(1)) lo = a.in(1).as<T>()[0];
    if (a.has_input(2)) hi = a.in(2).as<T>()[0];
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    for (int64_t i = 0; i < a.in(0).numel(); ++i) {
      T v = x[i];
      if (v < lo) v = lo;
      if (v > hi) v = hi;  // ONNX: min(max(x, lo), hi), so hi wins when lo > hi
      y[i] = v;
    }
    return Status::ok_status();
  });
}

Status run_PRelu(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  DS_RETURN_IF_ERROR(check_same_shape(a));
  DS_RETURN_IF_ERROR(a.require_dtype(1, a.in(0).dtype));
  const Shape& xs = a.in(0).shape;
  const Shape& ss = a.in(1).shape;
  if (!broadcastable_to(ss, xs))
    return a.invalid("slope shape " + expected_got("broadcastable to " + shape_to_string(xs), shape_to_string(a.in(1).shape)));
  return dispatch_float(a, a.in(0).dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = a.in(0).as<T>();
    const T* s = a.in(1).as<T>();
    T* y = a.out(0).as<T>();
    BroadcastIndex si(ss, xs);
    for (int64_t i = 0; i < a.in(0).numel(); ++i, si.next()) y[i] = x[i] < 0 ? x[i] * s[si.offset()] : x[i];
    return Status::ok_status();
  });
}

}  // namespace deepshark::ref
