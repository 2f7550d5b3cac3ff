#include "support/test_support.h"

#include <cmath>
#include <cstring>
#include <filesystem>

namespace deepshark::testing {

std::string source_dir() { return DS_SOURCE_DIR; }

std::string shared_models_dir() {
  if (const char* env = std::getenv("DS_SHARED_MODELS")) return env;
  std::filesystem::path p = std::filesystem::path(DS_SOURCE_DIR) / ".." / "shared" / "models";
  return std::filesystem::is_directory(p) ? std::filesystem::canonical(p).string() : "";
}

std::string generated_models_dir() {
  if (const char* env = std::getenv("DS_GENERATED_MODELS")) return env;
  std::filesystem::path p = std::filesystem::path(DS_SOURCE_DIR) / "build" / "models";
  return std::filesystem::is_directory(p) ? p.string() : "";
}

double max_abs_diff(const TensorView& a, const TensorView& b) {
  DS_CHECK(a.shape == b.shape && a.dtype == DType::F32 && b.dtype == DType::F32);
  double m = 0;
  const float* pa = a.as<float>();
  const float* pb = b.as<float>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    double d = std::fabs(static_cast<double>(pa[i]) - pb[i]);
    if (std::isnan(d)) return INFINITY;
    m = std::max(m, d);
  }
  return m;
}

double max_abs(const TensorView& a) {
  DS_CHECK(a.dtype == DType::F32);
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(static_cast<double>(a.as<float>()[i])));
  return m;
}

void expect_near_references(const Tensor& y, const std::vector<const Tensor*>& refs, double tol) {
  ASSERT_FALSE(refs.empty());
  const Tensor& first = *refs.front();
  ASSERT_EQ(y.numel(), first.numel());
  const TensorView yv{DType::F32, first.shape(), y.raw()};
  const double scale = std::max(1e-6, max_abs(first.view()));
  for (const Tensor* r : refs) EXPECT_LE(max_abs_diff(yv, r->view()) / scale, tol) << "scale " << scale;
}

bool bit_identical(const TensorView& a, const TensorView& b) {
  return a.dtype == b.dtype && a.shape == b.shape && std::memcmp(a.data, b.data, a.bytes()) == 0;
}

void fill_uniform(const TensorView& t, uint32_t seed, float lo, float hi) {
  DS_CHECK(t.dtype == DType::F32);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.as<float>()[i] = dist(rng);
}

}  // namespace deepshark::testing
