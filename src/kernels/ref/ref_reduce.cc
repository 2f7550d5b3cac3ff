// Reductions: ReduceSum (axes input, opset 13), ReduceMean / ReduceMax / ReduceMin (axes
// attribute, opset 13; an axes input as in opset 18 is accepted too), keepdims and
// noop_with_empty_axes; ArgMax (axis, keepdims, select_last_index) -> I64.
// Float sums accumulate in double; integer sums wrap.
#include <algorithm>
#include <limits>
#include <type_traits>

#include "kernels/ref/ref_dtype_dispatch.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

enum class Reduce { Sum, Mean, Max, Min };

// Which axes to reduce (a mask over the input's rank), or an error. An empty mask with
// noop=true means identity.
Result<std::vector<bool>> reduce_mask(const RefArgs& a, int64_t rank, bool& noop) {
  std::vector<int64_t> axes;
  bool given = false;
  if (a.has_input(1)) {  // an empty axes tensor may arrive with data == nullptr: same meaning
    auto v = read_ints(a.in(1));
    if (!v) return a.unsupported(std::string("axes dtype ") + dtype_name(a.in(1).dtype));
    axes = *v;
    given = true;
  } else if (a.attrs().has("axes")) {
    axes = a.attrs().get_ints("axes");
    given = true;
  }
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  noop = false;
  if (!given || axes.empty()) {
    if (a.attrs().get_int("noop_with_empty_axes", 0) != 0) {
      noop = true;
      return mask;
    }
    std::fill(mask.begin(), mask.end(), true);
    return mask;
  }
  for (int64_t ax : axes) {
    auto n = normalize_axis(ax, rank);
    if (!n) return a.invalid("axis " + std::to_string(ax) + " out of range for rank " + std::to_string(rank));
    if (mask[static_cast<size_t>(*n)]) return a.invalid("axis " + std::to_string(ax) + " repeated");
    mask[static_cast<size_t>(*n)] = true;
  }
  return mask;
}

Status run_reduce(const RefArgs& a, Reduce kind) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  bool noop = false;
  DS_TRY(std::vector<bool> mask, reduce_mask(a, rank, noop));
  const bool keepdims = a.attrs().get_int("keepdims", 1) != 0;
  Shape kept = xs, out;
  for (size_t d = 0; d < xs.size(); ++d) {
    if (mask[d]) kept[d] = 1;
    if (!mask[d] || keepdims) out.push_back(kept[d]);
  }
  if (noop) {
    kept = xs;
    out = xs;
  }
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  const int64_t n_out = numel(kept);
  const int64_t n_in = a.in(0).numel();
  if (n_in == 0 && n_out > 0 && (kind == Reduce::Max || kind == Reduce::Min))
    return a.invalid("cannot take max/min over an empty axis");
  return dispatch_numeric(a, a.in(0).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    std::vector<Acc> acc(static_cast<size_t>(n_out), Acc{0});
    std::vector<bool> seen(static_cast<size_t>(n_out), false);
    BroadcastIndex oi(kept, xs);
    for (int64_t i = 0; i < n_in; ++i, oi.next()) {
      const size_t o = static_cast<size_t>(oi.offset());
      const Acc v = static_cast<Acc>(x[i]);
      switch (kind) {
        case Reduce::Sum:
        case Reduce::Mean:
          if constexpr (std::is_integral_v<Acc>) acc[o] = static_cast<Acc>(static_cast<uint64_t>(acc[o]) + static_cast<uint64_t>(v));
          else acc[o] += v;
          break;
        case Reduce::Max:
          if (!seen[o] || v > acc[o] || (std::is_floating_point_v<Acc> && v != v)) acc[o] = v;
          break;
        case Reduce::Min:
          if (!seen[o] || v < acc[o] || (std::is_floating_point_v<Acc> && v != v)) acc[o] = v;
          break;
      }
      seen[o] = true;
    }
    const int64_t count = n_out == 0 ? 0 : n_in / n_out;
    for (int64_t o = 0; o < n_out; ++o) {
      Acc v = acc[static_cast<size_t>(o)];
      if (kind == Reduce::Mean) {
        if constexpr (std::is_floating_point_v<Acc>) v = count > 0 ? v / static_cast<double>(count) : NAN;
        else v = count > 0 ? v / count : 0;
      }
      y[o] = static_cast<T>(v);
    }
    return Status::ok_status();
  });
}

}  // namespace

Status run_ReduceSum(const RefArgs& a) { return run_reduce(a, Reduce::Sum); }
Status run_ReduceMean(const RefArgs& a) { return run_reduce(a, Reduce::Mean); }
Status run_ReduceMax(const RefArgs& a) { return run_reduce(a, Reduce::Max); }
Status run_ReduceMin(const RefArgs& a) { return run_reduce(a, Reduce::Min); }

Status run_ArgMax(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::I64));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  auto axis = normalize_axis(a.attrs().get_int("axis", 0), rank);
  if (!axis) return a.invalid("axis out of range for rank " + std::to_string(rank));
  const bool keepdims = a.attrs().get_int("keepdims", 1) != 0;
  const bool last = a.attrs().get_int("select_last_index", 0) != 0;
  Shape out = xs;
  if (keepdims) out[static_cast<size_t>(*axis)] = 1;
  else out.erase(out.begin() + *axis);
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  const int64_t D = xs[static_cast<size_t>(*axis)];
  if (D == 0 && a.out(0).numel() > 0) return a.invalid("cannot take argmax over an empty axis");
  const int64_t inner = numel(Shape(xs.begin() + *axis + 1, xs.end()));
  const int64_t outer = numel(Shape(xs.begin(), xs.begin() + *axis));
  return dispatch_numeric(a, a.in(0).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* x = a.in(0).as<T>();
    int64_t* y = a.out(0).as<int64_t>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const T* p = x + o * D * inner + i;
        int64_t best = 0;
        for (int64_t d = 1; d < D; ++d) {
          const T v = p[d * inner], b = p[best * inner];
          if (v > b || (last && v == b)) best = d;
        }
        y[o * inner + i] = best;
      }
    return Status::ok_status();
  });
}

}  // namespace deepshark::ref
