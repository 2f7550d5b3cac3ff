#include "base/shape.h"

#include "base/status.h"

namespace deepshark {

std::optional<int64_t> checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (d == 0) return int64_t{0};
  }
  for (int64_t d : shape) {
    if (n > kMaxElements / d) return std::nullopt;
    n *= d;
  }
  if (n > kMaxElements) return std::nullopt;
  return n;
}

int64_t numel(const Shape& shape) {
  auto n = checked_numel(shape);
  DS_CHECK_MSG(n.has_value(), "shape " + shape_to_string(shape) + " overflows");
  return *n;
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

std::string shape_to_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::vector<int64_t> row_major_strides(const Shape& shape) {
  std::vector<int64_t> st(shape.size(), 1);
  for (int i = static_cast<int>(shape.size()) - 2; i >= 0; --i) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

}  // namespace deepshark
