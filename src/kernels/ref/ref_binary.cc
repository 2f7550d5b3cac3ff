// Broadcasting binary and n-ary elementwise ops: Add, Sub, Mul, Div, Pow, Min, Max, Sum
// (numeric dtypes, integer arithmetic wraps instead of overflowing, integer division by zero is
// an InvalidArgument error), Equal, Less, Greater (-> Bool), Where (any dtype by element size).
#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels/ref/ref_dtype_dispatch.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

enum class Arith { Add, Sub, Mul, Div, Min, Max };

template <typename T>
bool apply(Arith op, T x, T y, T& out) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    switch (op) {
      case Arith::Add: out = static_cast<T>(static_cast<U>(x) + static_cast<U>(y)); return true;
      case Arith::Sub: out = static_cast<T>(static_cast<U>(x) - static_cast<U>(y)); return true;
      case Arith::Mul: out = static_cast<T>(static_cast<U>(x) * static_cast<U>(y)); return true;
      case Arith::Div:
        if (y == 0) return false;
        if constexpr (std::is_signed_v<T>) {
          if (x == std::numeric_limits<T>::min() && y == -1) { out = x; return true; }  // wraps
        }
        out = static_cast<T>(x / y);  // truncates toward zero, like C and ONNX Runtime
        return true;
      case Arith::Min: out = std::min(x, y); return true;
      case Arith::Max: out = std::max(x, y); return true;
    }
  } else {
    switch (op) {
      case Arith::Add: out = x + y; return true;
      case Arith::Sub: out = x - y; return true;
      case Arith::Mul: out = x * y; return true;
      case Arith::Div: out = x / y; return true;
      // NaN propagates (numpy.minimum / maximum semantics).
      case Arith::Min: out = (std::isnan(x) || x < y) ? x : y; return true;
      case Arith::Max: out = (std::isnan(x) || x > y) ? x : y; return true;
    }
  }
  return true;
}

// Output shape of broadcasting every input; checks the output view against it.
Status check_broadcast(const RefArgs& a, size_t first, size_t count) {
  Shape s = a.in(first).shape;
  for (size_t i = first + 1; i < first + count; ++i) {
    auto b = broadcast_pair(s, a.in(i).shape);
    if (!b) return a.invalid("inputs do not broadcast " + expected_got(shape_to_string(s), shape_to_string(a.in(i).shape)));
    s = *b;
  }
  return a.check_out_shape(0, s);
}

// out = in0 (broadcast), then out = op(out, in_k) for k = 1.. in order.
Status run_arith(const RefArgs& a, Arith op, bool variadic) {
  DS_RETURN_IF_ERROR(a.require(variadic ? 1 : 2, 1));
  const size_t n = variadic ? a.inputs.size() : 2;
  for (size_t i = 0; i < n; ++i) {
    if (!a.has_input(i) && a.in(i).numel() != 0) return a.invalid("input " + std::to_string(i) + " is absent");
    DS_RETURN_IF_ERROR(a.require_dtype(i, a.in(0).dtype));
  }
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(check_broadcast(a, 0, n));
  const Shape& os = a.out(0).shape;
  const int64_t total = a.out(0).numel();
  return dispatch_numeric(a, a.in(0).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    T* y = a.out(0).as<T>();
    if (n == 2) {  // the common case: no pass over the output in between
      const T* x0 = a.in(0).as<T>();
      const T* x1 = a.in(1).as<T>();
      BroadcastIndex i0(a.in(0).shape, os), i1(a.in(1).shape, os);
      for (int64_t i = 0; i < total; ++i, i0.next(), i1.next()) {
        if (!apply<T>(op, x0[i0.offset()], x1[i1.offset()], y[i])) return a.invalid("integer division by zero");
      }
      return Status::ok_status();
    }
    {
      const T* x0 = a.in(0).as<T>();
      BroadcastIndex i0(a.in(0).shape, os);
      for (int64_t i = 0; i < total; ++i, i0.next()) y[i] = x0[i0.offset()];
    }
    for (size_t k = 1; k < n; ++k) {
      const T* xk = a.in(k).as<T>();
      BroadcastIndex ik(a.in(k).shape, os);
      for (int64_t i = 0; i < total; ++i, ik.next()) {
        if (!apply<T>(op, y[i], xk[ik.offset()], y[i])) return a.invalid("integer division by zero");
      }
    }
    return Status::ok_status();
  });
}

enum class Compare { Equal, Less, Greater };

Status run_compare(const RefArgs& a, Compare cmp) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  DS_RETURN_IF_ERROR(a.require_dtype(1, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::Bool));
  DS_RETURN_IF_ERROR(check_broadcast(a, 0, 2));
  const Shape& os = a.out(0).shape;
  DType t = a.in(0).dtype;
  auto body = [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* x0 = a.in(0).as<T>();
    const T* x1 = a.in(1).as<T>();
    uint8_t* y = a.out(0).as<uint8_t>();
    BroadcastIndex i0(a.in(0).shape, os), i1(a.in(1).shape, os);
    for (int64_t i = 0; i < a.out(0).numel(); ++i, i0.next(), i1.next()) {
      const T u = x0[i0.offset()], v = x1[i1.offset()];
      y[i] = cmp == Compare::Equal ? u == v : cmp == Compare::Less ? u < v : u > v;
    }
    return Status::ok_status();
  };
  if (t == DType::Bool) return body(uint8_t{});
  return dispatch_numeric(a, t, body);
}

}  // namespace

Status run_Add(const RefArgs& a) { return run_arith(a, Arith::Add, false); }
Status run_Sub(const RefArgs& a) { return run_arith(a, Arith::Sub, false); }
Status run_Mul(const RefArgs& a) { return run_arith(a, Arith::Mul, false); }
Status run_Div(const RefArgs& a) { return run_arith(a, Arith::Div, false); }
Status run_Min(const RefArgs& a) { return run_arith(a, Arith::Min, true); }
Status run_Max(const RefArgs& a) { return run_arith(a, Arith::Max, true); }
Status run_Sum(const RefArgs& a) { return run_arith(a, Arith::Add, true); }
Status run_Equal(const RefArgs& a) { return run_compare(a, Compare::Equal); }
Status run_Less(const RefArgs& a) { return run_compare(a, Compare::Less); }
Status run_Greater(const RefArgs& a) { return run_compare(a, Compare::Greater); }

// Pow(X, Y): the output has X's dtype; Y may be any numeric dtype (float exponent on a float
// base is the common case). Computed in double.
Status run_Pow(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(check_broadcast(a, 0, 2));
  DType et = a.in(1).dtype;
  if (et == DType::Bool || et == DType::F16 || et == DType::U64)
    return a.unsupported(std::string("exponent dtype ") + dtype_name(et));
  const Shape& os = a.out(0).shape;
  return dispatch_numeric(a, a.in(0).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    BroadcastIndex i0(a.in(0).shape, os), i1(a.in(1).shape, os);
    for (int64_t i = 0; i < a.out(0).numel(); ++i, i0.next(), i1.next()) {
      const double v = std::pow(static_cast<double>(x[i0.offset()]), read_as_double(a.in(1), i1.offset()));
      if constexpr (std::is_integral_v<T>) {
        // Saturate instead of the undefined float->int conversion of out-of-range values.
        if (!(v >= static_cast<double>(std::numeric_limits<T>::lowest()))) y[i] = std::numeric_limits<T>::lowest();
        else if (v >= static_cast<double>(std::numeric_limits<T>::max())) y[i] = std::numeric_limits<T>::max();
        else y[i] = static_cast<T>(v);
      } else {
        y[i] = static_cast<T>(v);
      }
    }
    return Status::ok_status();
  });
}

// Where(cond, X, Y): any X/Y dtype, copied by element size.
Status run_Where(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(3, 1));
  DS_RETURN_IF_ERROR(a.require_dtype(0, DType::Bool));
  DS_RETURN_IF_ERROR(a.require_dtype(2, a.in(1).dtype));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(1).dtype));
  DS_RETURN_IF_ERROR(check_broadcast(a, 0, 3));
  const Shape& os = a.out(0).shape;
  return dispatch_by_size(a, a.in(1).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    const uint8_t* c = a.in(0).as<uint8_t>();
    const T* x = a.in(1).as<T>();
    const T* z = a.in(2).as<T>();
    T* y = a.out(0).as<T>();
    BroadcastIndex ic(a.in(0).shape, os), ix(a.in(1).shape, os), iz(a.in(2).shape, os);
    for (int64_t i = 0; i < a.out(0).numel(); ++i, ic.next(), ix.next(), iz.next())
      y[i] = c[ic.offset()] ? x[ix.offset()] : z[iz.offset()];
    return Status::ok_status();
  });
}

}  // namespace deepshark::ref
