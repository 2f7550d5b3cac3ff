// Pad (constant / reflect / edge, pads and constant_value as inputs, negative pads crop),
// Resize (opset 13: nearest and linear modes, coordinate transformation modes half_pixel,
// asymmetric, align_corners, pytorch_half_pixel, tf_half_pixel_for_nearest; nearest modes
// round_prefer_floor / round_prefer_ceil / floor / ceil) and Upsample (= Resize asymmetric with
// nearest floor or linear). Cubic and tf_crop_and_resize are Unsupported.
#include <algorithm>

#include "kernels/ref/ref_dtype_dispatch.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {
namespace {

// Maps a (possibly out-of-range) coordinate into [0, n) by reflection without repeating the edge.
int64_t reflect(int64_t c, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  c %= period;
  if (c < 0) c += period;
  return c < n ? c : period - c;
}

enum class Coord { HalfPixel, Asymmetric, AlignCorners, PytorchHalfPixel, TfHalfPixelForNearest };
enum class Nearest { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };

struct Tap {
  int64_t i0 = 0, i1 = 0;
  double w1 = 0;  // weight of i1; i0 gets 1 - w1
};

double source_coord(Coord c, int64_t o, double scale, int64_t in, int64_t out) {
  switch (c) {
    case Coord::HalfPixel: return (o + 0.5) / scale - 0.5;
    case Coord::PytorchHalfPixel: return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
    case Coord::AlignCorners: return out == 1 ? 0.0 : static_cast<double>(o) * (in - 1) / static_cast<double>(out - 1);
    case Coord::Asymmetric: return o / scale;
    case Coord::TfHalfPixelForNearest: return (o + 0.5) / scale;
  }
  return 0;
}

int64_t nearest_index(Nearest m, double x) {
  switch (m) {
    case Nearest::RoundPreferFloor: return x == std::floor(x) + 0.5 ? static_cast<int64_t>(std::floor(x)) : static_cast<int64_t>(std::round(x));
    case Nearest::RoundPreferCeil: return static_cast<int64_t>(std::floor(x + 0.5));
    case Nearest::Floor: return static_cast<int64_t>(std::floor(x));
    case Nearest::Ceil: return static_cast<int64_t>(std::ceil(x));
  }
  return 0;
}

// Shared body of Resize and Upsample, on F32.
Status resize(const RefArgs& a, const std::vector<double>& scales, const Shape& out, bool linear, Coord coord,
              Nearest nearest) {
  const Shape& xs = a.in(0).shape;
  DS_RETURN_IF_ERROR(a.require_dtype(0, DType::F32));
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, DType::F32));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  if (numel(out) == 0) return Status::ok_status();
  if (a.in(0).numel() == 0) return a.invalid("cannot resize an empty input to a non-empty output");
  const size_t rank = xs.size();
  std::vector<std::vector<Tap>> taps(rank);
  for (size_t d = 0; d < rank; ++d) {
    taps[d].resize(static_cast<size_t>(out[d]));
    for (int64_t o = 0; o < out[d]; ++o) {
      const double x = source_coord(coord, o, scales[d], xs[d], out[d]);
      Tap& t = taps[d][static_cast<size_t>(o)];
      if (!linear) {
        t.i0 = t.i1 = std::clamp<int64_t>(nearest_index(nearest, std::clamp(x, -1.0, static_cast<double>(xs[d]))), 0, xs[d] - 1);
      } else {
        const double xc = std::clamp(x, 0.0, static_cast<double>(xs[d] - 1));
        t.i0 = static_cast<int64_t>(std::floor(xc));
        t.i1 = std::min(t.i0 + 1, xs[d] - 1);
        t.w1 = t.i1 == t.i0 ? 0.0 : xc - static_cast<double>(t.i0);
      }
    }
  }
  const auto strides = row_major_strides(xs);
  const float* x = a.in(0).as<float>();
  float* y = a.out(0).as<float>();
  std::vector<int64_t> idx(rank, 0);
  int64_t o = 0;
  do {
    double acc = 0;
    // Every corner of the interpolation cell: bit d picks i1 on dim d.
    for (uint32_t corner = 0; corner < (1u << rank); ++corner) {
      double w = 1;
      int64_t off = 0;
      for (size_t d = 0; d < rank && w != 0; ++d) {
        const Tap& t = taps[d][static_cast<size_t>(idx[d])];
        const bool hi = (corner >> d) & 1u;
        w *= hi ? t.w1 : 1.0 - t.w1;
        off += (hi ? t.i1 : t.i0) * strides[d];
      }
      if (w != 0) acc += w * x[off];
    }
    y[o++] = static_cast<float>(acc);
  } while (next_index(idx, out));
  return Status::ok_status();
}

bool present(const RefArgs& a, size_t i) { return i < a.inputs.size() && a.in(i).data != nullptr && a.in(i).numel() > 0; }

}  // namespace

Status run_Pad(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  const size_t rank = xs.size();
  std::vector<int64_t> pads;
  if (a.has_input(1)) {
    auto v = read_ints(a.in(1));
    if (!v) return a.unsupported(std::string("pads dtype ") + dtype_name(a.in(1).dtype));
    pads = *v;
  } else {
    pads = a.attrs().get_ints("pads");  // opset < 11
  }
  // Optional axes input (opset 18): pads then covers only those axes.
  std::vector<int64_t> axes;
  if (present(a, 3)) {
    auto v = read_ints(a.in(3));
    if (!v) return a.unsupported(std::string("axes dtype ") + dtype_name(a.in(3).dtype));
    axes = *v;
  } else {
    for (size_t d = 0; d < rank; ++d) axes.push_back(static_cast<int64_t>(d));
  }
  if (pads.size() != 2 * axes.size())
    return a.invalid("pads " + ints_to_string(pads) + " " + expected_got(std::to_string(2 * axes.size()) + " values", std::to_string(pads.size())));
  std::vector<int64_t> pb(rank, 0), pe(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto d = normalize_axis(axes[i], static_cast<int64_t>(rank));
    if (!d) return a.invalid("axis " + std::to_string(axes[i]) + " out of range");
    if (std::llabs(pads[i]) > kMaxElements || std::llabs(pads[i + axes.size()]) > kMaxElements) return a.invalid("pads out of range");
    pb[static_cast<size_t>(*d)] = pads[i];
    pe[static_cast<size_t>(*d)] = pads[i + axes.size()];
  }
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    out[d] = xs[d] + pb[d] + pe[d];
    if (out[d] < 0) return a.invalid("pads " + ints_to_string(pads) + " crop more than the input has");
  }
  const std::string mode = a.attrs().get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") return a.unsupported("mode '" + mode + "'");
  DS_RETURN_IF_ERROR(a.check_out_dtype(0, a.in(0).dtype));
  DS_RETURN_IF_ERROR(a.check_out_shape(0, out));
  if (numel(out) == 0) return Status::ok_status();
  if (mode != "constant" && a.in(0).numel() == 0) return a.invalid("cannot " + mode + "-pad an empty input");
  const bool has_value = present(a, 2);
  if (has_value) {
    DS_RETURN_IF_ERROR(a.require_dtype(2, a.in(0).dtype));
    if (a.in(2).numel() != 1) return a.invalid("constant_value must be a scalar");
  }
  const float attr_value = a.attrs().get_float("value", 0.f);
  const auto strides = row_major_strides(xs);
  return dispatch_by_size(a, a.in(0).dtype, [&](auto tag) -> Status {
    using T = decltype(tag);
    T fill{};
    if (has_value) {
      fill = a.in(2).as<T>()[0];
    } else if (a.in(0).dtype == DType::F32) {
      std::memcpy(&fill, &attr_value, sizeof(float) <= sizeof(T) ? sizeof(float) : sizeof(T));
    }
    const T* x = a.in(0).as<T>();
    T* y = a.out(0).as<T>();
    std::vector<int64_t> idx(rank, 0);
    int64_t o = 0;
    do {
      int64_t off = 0;
      bool inside = true;
      for (size_t d = 0; d < rank; ++d) {
        int64_t c = idx[d] - pb[d];
        if (c < 0 || c >= xs[d]) {
          if (mode == "constant") { inside = false; break; }
          c = mode == "edge" ? std::clamp<int64_t>(c, 0, xs[d] - 1) : reflect(c, xs[d]);
        }
        off += c * strides[d];
      }
      y[o++] = inside ? x[off] : fill;
    } while (next_index(idx, out));
    return Status::ok_status();
  });
}

Status run_Resize(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  const size_t rank = xs.size();
  const std::string mode = a.attrs().get_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear") return a.unsupported("mode '" + mode + "'");
  const std::string ctm = a.attrs().get_string("coordinate_transformation_mode", "half_pixel");
  Coord coord;
  if (ctm == "half_pixel") coord = Coord::HalfPixel;
  else if (ctm == "asymmetric") coord = Coord::Asymmetric;
  else if (ctm == "align_corners") coord = Coord::AlignCorners;
  else if (ctm == "pytorch_half_pixel") coord = Coord::PytorchHalfPixel;
  else if (ctm == "tf_half_pixel_for_nearest") coord = Coord::TfHalfPixelForNearest;
  else return a.unsupported("coordinate_transformation_mode '" + ctm + "'");
  const std::string nm = a.attrs().get_string("nearest_mode", "round_prefer_floor");
  Nearest nearest;
  if (nm == "round_prefer_floor") nearest = Nearest::RoundPreferFloor;
  else if (nm == "round_prefer_ceil") nearest = Nearest::RoundPreferCeil;
  else if (nm == "floor") nearest = Nearest::Floor;
  else if (nm == "ceil") nearest = Nearest::Ceil;
  else return a.unsupported("nearest_mode '" + nm + "'");
  std::vector<double> scales(rank, 1.0);
  Shape out(rank);
  if (present(a, 3)) {
    auto sizes = read_ints(a.in(3));
    if (!sizes) return a.unsupported(std::string("sizes dtype ") + dtype_name(a.in(3).dtype));
    if (sizes->size() != rank) return a.invalid("sizes " + ints_to_string(*sizes) + " " + expected_got(std::to_string(rank) + " values", std::to_string(sizes->size())));
    for (size_t d = 0; d < rank; ++d) {
      if ((*sizes)[d] < 0) return a.invalid("negative size in " + ints_to_string(*sizes));
      out[d] = (*sizes)[d];
      scales[d] = xs[d] > 0 ? static_cast<double>(out[d]) / static_cast<double>(xs[d]) : 1.0;
    }
  } else if (present(a, 2)) {
    if (a.in(2).dtype != DType::F32 || a.in(2).numel() != static_cast<int64_t>(rank))
      return a.invalid("scales must be F32 with one value per dim " + expected_got(std::to_string(rank), shape_to_string(a.in(2).shape)));
    for (size_t d = 0; d < rank; ++d) {
      scales[d] = a.in(2).as<float>()[d];
      if (!(scales[d] > 0) || !(scales[d] < 1e9)) return a.invalid("scales must be positive and finite");
      out[d] = static_cast<int64_t>(std::floor(static_cast<double>(xs[d]) * scales[d]));
    }
  } else {
    return a.invalid("neither scales nor sizes is given");
  }
  return resize(a, scales, out, mode == "linear", coord, nearest);
}

Status run_Upsample(const RefArgs& a) {
  DS_RETURN_IF_ERROR(a.require(1, 1));
  const Shape& xs = a.in(0).shape;
  const size_t rank = xs.size();
  std::vector<double> scales;
  if (present(a, 1)) {
    if (a.in(1).dtype != DType::F32) return a.unsupported(std::string("scales dtype ") + dtype_name(a.in(1).dtype));
    for (int64_t i = 0; i < a.in(1).numel(); ++i) scales.push_back(a.in(1).as<float>()[i]);
  } else {
    for (float f : a.attrs().get_floats("scales")) scales.push_back(f);
  }
  if (scales.size() != rank) return a.invalid("scales " + expected_got(std::to_string(rank) + " values", std::to_string(scales.size())));
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (!(scales[d] > 0) || !(scales[d] < 1e9)) return a.invalid("scales must be positive and finite");
    out[d] = static_cast<int64_t>(std::floor(static_cast<double>(xs[d]) * scales[d]));
  }
  std::string mode = a.attrs().get_string("mode", "nearest");
  if (mode == "bilinear") mode = "linear";
  if (mode != "nearest" && mode != "linear") return a.unsupported("mode '" + mode + "'");
  return resize(a, scales, out, mode == "linear", Coord::Asymmetric, Nearest::Floor);
}

}  // namespace deepshark::ref
