// Data movement on any dtype (copied by element size): Concat, Split, Slice, Gather,
// Transpose, Expand, Tile. Reshape-like ops (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Dropout) are in ref_reshape.cc.
#include <algorithm>

#include "kernels/ref/ref_dtype_dispatch.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

const std::byte* bytes_of(const TensorView& t) { return static_cast<const std::byte*>(t.data); }
std::byte* bytes_of_out(const TensorView& t) { return static_cast<std::byte*>(t.data); }

// y[o] = x[offset(idx)] for every output multi-index idx over `out`, in row-major order: the copy
// loop of Slice, Transpose and Tile, which differ only in where an output element comes from.
template <typename OffsetFn>
Status gather_copy(const RefArgs& a, const Shape& out, OffsetFn offset) {
  return dispatch_by_size(a, a.in(0).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    std::vector<int64_t> idx(out.size(), 0);
    int64_t o = 0;
    do {
      y[o++] = x[offset(idx)];
    } while (next_index(idx, out));
    return Status::ok_status();
  });
}

}  // namespace

Status run_Concat(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& s0 = a.in(0).shape;
  const DType t = a.in(0).dtype;
  const int64_t rank = static_cast<int64_t>(s0.size());
  auto axis = normalize_axis(a.attrs().get_int("axis", 0), rank);
  if (!axis) return a.invalid("axis out of range for rank " + std::to_string(rank));
  Shape out = s0;
  out[static_cast<size_t>(*axis)] = 0;
  for (size_t i = 0; i < a.inputs.size(); ++i) {
    const Shape& si = a.in(i).shape;
    DS_RETURN_IF_ERROR(a.require_dtype(i, t));
    bool ok = si.size() == s0.size();
    for (size_t d = 0; ok && d < si.size(); ++d) ok = static_cast<int64_t>(d) == *axis || si[d] == s0[d];
    if (!ok) return a.invalid("input " + std::to_string(i) + " shape " + expected_got("like " + shape_to_string(s0), shape_to_string(si)));
    if (!a.has_input(i) && a.in(i).numel() != 0) return a.invalid("input " + std::to_string(i) + " is absent");
    out[static_cast<size_t>(*axis)] += si[static_cast<size_t>(*axis)];
  }
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, t));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  const uint64_t es = dtype_size(t);
  const int64_t outer = numel(Shape(s0.begin(), s0.begin() + *axis));
  const uint64_t inner_bytes = static_cast<uint64_t>(numel(Shape(s0.begin() + *axis + 1, s0.end()))) * es;
  std::byte* y = bytes_of_out(a.out(0));
  for (int64_t o = 0; o < outer; ++o)
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      const uint64_t chunk = static_cast<uint64_t>(a.in(i).shape[static_cast<size_t>(*axis)]) * inner_bytes;
      if (chunk == 0) continue;
      std::memcpy(y, bytes_of(a.in(i)) + static_cast<uint64_t>(o) * chunk, chunk);
      y += chunk;
    }
  return Status::ok_status();
}

// Split(input, split?) with axis; without `split` (input or older attribute) the axis is cut
// into equal parts, one per output (the last may be smaller, as in opset 18).
Status run_Split(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  auto axis = normalize_axis(a.attrs().get_int("axis", 0), rank);
  if (!axis) return a.invalid("axis out of range for rank " + std::to_string(rank));
  const int64_t D = xs[static_cast<size_t>(*axis)];
  const int64_t n = static_cast<int64_t>(a.outputs.size());
  std::vector<int64_t> parts;
  if (a.has_input(1)) {
    auto v = read_ints(a.in(1));
    if (!v) return a.unsupported(std::string("split dtype ") + dtype_name(a.in(1).dtype));
    parts = *v;
  } else if (a.attrs().has("split")) {
    parts = a.attrs().get_ints("split");
  } else {
    const int64_t each = (D + n - 1) / n;
    for (int64_t i = 0; i < n; ++i) parts.push_back(std::max<int64_t>(0, std::min(each, D - i * each)));
  }
  int64_t total = 0;
  for (int64_t p : parts) {
    if (p < 0) return a.invalid("negative split " + ints_to_string(parts));
    total += p;
  }
  if (static_cast<int64_t>(parts.size()) != n || total != D)
    return a.invalid("split " + ints_to_string(parts) + " " +
                     expected_got(std::to_string(n) + " parts summing to " + std::to_string(D), std::to_string(parts.size()) + " parts summing to " + std::to_string(total)));
  for (int64_t i = 0; i < n; ++i) {
    Shape s = xs;
    s[static_cast<size_t>(*axis)] = parts[static_cast<size_t>(i)];
    DS_RETURN_IF_ERROR(a.check_out_dtype(static_cast<size_t>(i), a.in(0).dtype));
    DS_RETURN_IF_ERROR(a.check_out_shape(static_cast<size_t>(i), s));
    if (a.out(static_cast<size_t>(i)).data == nullptr && numel(s) != 0)
      return a.invalid("output " + std::to_string(i) + " has no memory");
  }
  const uint64_t es = dtype_size(a.in(0).dtype);
  const int64_t outer = numel(Shape(xs.begin(), xs.begin() + *axis));
  const uint64_t inner_bytes = static_cast<uint64_t>(numel(Shape(xs.begin() + *axis + 1, xs.end()))) * es;
  const std::byte* x = bytes_of(a.in(0));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t chunk = static_cast<uint64_t>(parts[static_cast<size_t>(i)]) * inner_bytes;
      if (chunk == 0) continue;
      std::memcpy(bytes_of_out(a.out(static_cast<size_t>(i))) + static_cast<uint64_t>(o) * chunk, x, chunk);
      x += chunk;
    }
  return Status::ok_status();
}

Status run_Slice(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(3, 1));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  auto starts = read_ints(a.in(1));
  auto ends = read_ints(a.in(2));
  if (!starts || !ends) return a.unsupported("starts/ends must be I64 or I32");
  const size_t k = starts->size();
  std::vector<int64_t> axes(k), steps(k, 1);
  for (size_t i = 0; i < k; ++i) axes[i] = static_cast<int64_t>(i);
  if (a.has_input(3)) {
    auto v = read_ints(a.in(3));
    if (!v) return a.unsupported("axes must be I64 or I32");
    axes = *v;
  }
  if (a.has_input(4)) {
    auto v = read_ints(a.in(4));
    if (!v) return a.unsupported("steps must be I64 or I32");
    steps = *v;
  }
  if (ends->size() != k || axes.size() != k || steps.size() != k)
    return a.invalid("starts, ends, axes and steps must have equal lengths (got " + std::to_string(k) + ", " +
                     std::to_string(ends->size()) + ", " + std::to_string(axes.size()) + ", " + std::to_string(steps.size()) + ")");
  std::vector<int64_t> begin(xs.size(), 0), step(xs.size(), 1);
  Shape out = xs;
  std::vector<bool> seen(xs.size(), false);
  for (size_t i = 0; i < k; ++i) {
    auto ax = normalize_axis(axes[i], rank);
    if (!ax) return a.invalid("axis " + std::to_string(axes[i]) + " out of range for rank " + std::to_string(rank));
    const size_t d = static_cast<size_t>(*ax);
    if (seen[d]) return a.invalid("axis " + std::to_string(axes[i]) + " repeated");
    seen[d] = true;
    const int64_t dim = xs[d], st = steps[i];
    if (st == 0) return a.invalid("step 0");
    // Clamp to 64-bit-safe ranges first (starts/ends are often INT64_MAX / INT64_MIN).
    int64_t s = std::clamp<int64_t>((*starts)[i], -kMaxElements, kMaxElements);
    int64_t e = std::clamp<int64_t>((*ends)[i], -kMaxElements, kMaxElements);
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (dim == 0) {
      s = 0;
      out[d] = 0;
    } else if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      out[d] = e > s ? (e - s + st - 1) / st : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      out[d] = s > e ? (s - e + (-st) - 1) / (-st) : 0;
    }
    begin[d] = s;
    step[d] = st;
  }
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  if (numel(out) == 0) return Status::ok_status();
  const auto strides = row_major_strides(xs);
  return gather_copy(a, out, [&](const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += (begin[d] + idx[d] * step[d]) * strides[d];
    return off;
  });
}

Status run_Gather(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  const Shape& xs = a.in(0).shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  auto axis = normalize_axis(a.attrs().get_int("axis", 0), rank);
  if (!axis) return a.invalid("axis out of range for rank " + std::to_string(rank));
  auto idx = read_ints(a.in(1));
  if (!idx) return a.unsupported(std::string("indices dtype ") + dtype_name(a.in(1).dtype));
  const int64_t D = xs[static_cast<size_t>(*axis)];
  Shape out(xs.begin(), xs.begin() + *axis);
  out.insert(out.end(), a.in(1).shape.begin(), a.in(1).shape.end());
  out.insert(out.end(), xs.begin() + *axis + 1, xs.end());
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  for (int64_t& i : *idx) {
    if (i < -D || i >= D)
      return a.invalid("index " + std::to_string(i) + " out of range " + expected_got("[" + std::to_string(-D) + ", " + std::to_string(D) + ")", std::to_string(i)));
    if (i < 0) i += D;
  }
  const uint64_t es = dtype_size(a.in(0).dtype);
  const int64_t outer = numel(Shape(xs.begin(), xs.begin() + *axis));
  const uint64_t inner_bytes = static_cast<uint64_t>(numel(Shape(xs.begin() + *axis + 1, xs.end()))) * es;
  if (inner_bytes == 0) return Status::ok_status();
  const std::byte* x = bytes_of(a.in(0));
  std::byte* y = bytes_of_out(a.out(0));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : *idx) {
      std::memcpy(y, x + (static_cast<uint64_t>(o * D + i)) * inner_bytes, inner_bytes);
      y += inner_bytes;
    }
  return Status::ok_status();
}

Status run_Transpose(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  const size_t rank = xs.size();
  std::vector<int64_t> perm = a.attrs().get_ints("perm");
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  std::vector<bool> used(rank, false);
  if (perm.size() != rank) return a.invalid("perm " + ints_to_string(perm) + " " + expected_got(std::to_string(rank) + " entries", std::to_string(perm.size())));
  for (int64_t& p : perm) {
    auto n = normalize_axis(p, static_cast<int64_t>(rank));
    if (!n || used[static_cast<size_t>(*n)]) return a.invalid("perm " + ints_to_string(perm) + " is not a permutation");
    p = *n;
    used[static_cast<size_t>(p)] = true;
  }
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) out[i] = xs[static_cast<size_t>(perm[i])];
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  if (numel(out) == 0) return Status::ok_status();
  const auto in_strides = row_major_strides(xs);
  std::vector<int64_t> step(rank);
  for (size_t i = 0; i < rank; ++i) step[i] = in_strides[static_cast<size_t>(perm[i])];
  return gather_copy(a, out, [&](const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * step[d];
    return off;
  });
}

Status run_Expand(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  auto shape = read_ints(a.in(1));
  if (!shape) return a.unsupported(std::string("shape dtype ") + dtype_name(a.in(1).dtype));
  auto out = broadcast_pair(a.in(0).shape, *shape);
  if (!out) return a.invalid("shape " + ints_to_string(*shape) + " does not broadcast with " + shape_to_string(a.in(0).shape));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, *out));
  return dispatch_by_size(a, a.in(0).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    BroadcastIndex bi(a.in(0).shape, *out);
    for (int64_t i = 0; i < numel(*out); ++i, bi.next()) y[i] = x[bi.offset()];
    return Status::ok_status();
  });
}

Status run_Tile(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(2, 1));
  const Shape& xs = a.in(0).shape;
  auto reps = read_ints(a.in(1));
  if (!reps) return a.unsupported(std::string("repeats dtype ") + dtype_name(a.in(1).dtype));
  if (reps->size() != xs.size()) return a.invalid("repeats " + ints_to_string(*reps) + " " + expected_got(std::to_string(xs.size()) + " entries", std::to_string(reps->size())));
  Shape out(xs.size());
  for (size_t d = 0; d < xs.size(); ++d) {
    if ((*reps)[d] < 0) return a.invalid("negative repeat " + ints_to_string(*reps));
    out[d] = xs[d] * (*reps)[d];
  }
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  if (numel(out) == 0) return Status::ok_status();
  const auto strides = row_major_strides(xs);
  return gather_copy(a, out, [&](const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t d = 0; d < idx.size(); ++d) off += (idx[d] % xs[d]) * strides[d];
    return off;
  });
}

}  // namespace deepshark::ref
