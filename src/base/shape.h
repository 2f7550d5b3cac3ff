// Static tensor shapes and overflow-checked element counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deepshark {

using Shape = std::vector<int64_t>;

// Largest element count any tensor may have (2^40): products beyond it are treated as overflow.
inline constexpr int64_t kMaxElements = int64_t{1} << 40;

// Number of elements, or nullopt if a dimension is negative or the product exceeds kMaxElements.
std::optional<int64_t> checked_numel(const Shape& shape);
// Number of elements of a shape already validated (DS_CHECKs on overflow).
int64_t numel(const Shape& shape);
// a*b with overflow detection (both >= 0).
std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b);
std::optional<uint64_t> checked_add(uint64_t a, uint64_t b);
// "[1,3,224,224]"
std::string shape_to_string(const Shape& shape);
// Row-major strides in elements.
std::vector<int64_t> row_major_strides(const Shape& shape);

}  // namespace deepshark
