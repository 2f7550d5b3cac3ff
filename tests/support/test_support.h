// Shared test helpers: paths to the project and to ../shared/models, and tensor comparison.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/tensor.h"

namespace deepshark::testing {

// Project source folder.
std::string source_dir();
// ../shared/models beside the project, or "" when absent.
std::string shared_models_dir();
// Folder of generated test models (scripts/make_models.py output), or "" when absent.
std::string generated_models_dir();

// Skips the current test with a visible message when ../shared/models is absent.
#define DS_REQUIRE_SHARED_MODELS()                                                            \
  do {                                                                                        \
    if (::deepshark::testing::shared_models_dir().empty())                                    \
      GTEST_SKIP() << "../shared/models is absent: skipping test that needs real models";     \
  } while (0)

// Max |a-b| over all elements (F32); DS_CHECKs equal shapes.
double max_abs_diff(const TensorView& a, const TensorView& b);
double max_abs(const TensorView& a);
// Expects y (any shape, the references' element count) within `tol` of each reference, relative
// to max(1e-6, max |first reference|) — a model's output against PyTorch and OpenCV references.
void expect_near_references(const Tensor& y, const std::vector<const Tensor*>& refs, double tol);
// True when every byte is equal.
bool bit_identical(const TensorView& a, const TensorView& b);
// Fills an F32 tensor with uniform values in [lo, hi) from a fixed seed.
void fill_uniform(const TensorView& t, uint32_t seed, float lo = -1.f, float hi = 1.f);

}  // namespace deepshark::testing
