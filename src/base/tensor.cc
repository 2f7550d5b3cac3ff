#include "base/tensor.h"

namespace deepshark {

Result<Tensor> Tensor::create(DType dtype, Shape shape, Allocator& alloc, MemoryClass cls) {
  auto n = checked_numel(shape);
  if (!n) {
    return make_error(ErrorCode::InvalidArgument, "create", "tensor", shape_to_string(shape),
                      "element count overflows or a dimension is negative");
  }
  auto bytes = checked_mul(static_cast<uint64_t>(*n), dtype_size(dtype));
  if (!bytes) {
    return make_error(ErrorCode::InvalidArgument, "create", "tensor", shape_to_string(shape),
                      "byte size overflows");
  }
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  if (*bytes > 0) {
    DS_TRY(Buffer b, Buffer::allocate(alloc, *bytes, cls, "tensor", /*zero=*/true));
    t.buffer_ = std::make_shared<Buffer>(std::move(b));
  }
  return t;
}

Tensor Tensor::shape_only(DType dtype, Shape shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  DS_CHECK(deepshark::numel(shape) == numel());
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace deepshark
