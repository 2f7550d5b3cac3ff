// Tensors: an owning Tensor (dtype, shape, shared accounted buffer) and non-owning views.
// All tensors are dense and row-major (the "plain" layout); kernels that want another layout
// re-lay data themselves into memory they account for.
//
//   DS_TRY(ds::Tensor t, ds::Tensor::create(ds::DType::F32, {1, 3, 224, 224}));
//   float* p = t.data<float>();
//   ds::TensorView v = t.view();
#pragma once

#include <memory>
#include <string>

#include "base/dtype.h"
#include "base/memory.h"
#include "base/shape.h"

namespace deepshark {

struct TensorView {
  DType dtype = DType::F32;
  Shape shape;
  void* data = nullptr;

  int64_t numel() const { return deepshark::numel(shape); }
  uint64_t bytes() const { return static_cast<uint64_t>(numel()) * dtype_size(dtype); }
  template <typename T> T* as() const { return static_cast<T*>(data); }
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates numel(shape) elements (zeroed). Fails on shape overflow or allocation failure.
  static Result<Tensor> create(DType dtype, Shape shape, Allocator& alloc = default_allocator(),
                               MemoryClass cls = MemoryClass::Other);
  // Builds a small tensor from values (tests, constant folding of shape arithmetic).
  template <typename T>
  static Tensor from_values(Shape shape, const std::vector<T>& values);
  // A tensor that knows its dtype and shape but holds no data (raw() == nullptr): a weight whose
  // bytes live elsewhere (a piece of a .dsk file).
  static Tensor shape_only(DType dtype, Shape shape);
  bool has_data() const { return buffer_ != nullptr; }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return deepshark::numel(shape_); }
  uint64_t bytes() const { return static_cast<uint64_t>(numel()) * dtype_size(dtype_); }
  bool defined() const { return buffer_ != nullptr || numel() == 0; }
  std::byte* raw() const { return buffer_ ? buffer_->data() : nullptr; }
  template <typename T> T* data() const { return reinterpret_cast<T*>(raw()); }
  TensorView view() const { return TensorView{dtype_, shape_, raw()}; }
  // Same data, new shape with the same element count (DS_CHECKed).
  Tensor reshaped(Shape shape) const;

 private:
  DType dtype_ = DType::F32;
  Shape shape_;
  std::shared_ptr<Buffer> buffer_;
};

template <typename T>
Tensor Tensor::from_values(Shape shape, const std::vector<T>& values) {
  Result<Tensor> t = create(dtype_of<T>(), std::move(shape));
  DS_CHECK(t.ok());
  DS_CHECK(static_cast<int64_t>(values.size()) == t->numel());
  T* p = t->template data<T>();
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return std::move(t).value();
}

}  // namespace deepshark
