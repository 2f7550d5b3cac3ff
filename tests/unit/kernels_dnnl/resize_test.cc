// Resize / Upsample on oneDNN's nearest resampling: bit-identical to the reference for whole
// upscaling factors under the coordinate modes whose index is floor(o / s); the rest is refused.
#include <gtest/gtest.h>

#include "kernels/dnnl/dnnl_kernels.h"
#include "unit/kernels_dnnl/op_tester.h"

namespace deepshark::testing {
namespace {

KernelConfig blocked() {
  KernelConfig c;
  c.input_layouts = {ActLayout::Blocked};
  c.output_layouts = {ActLayout::Blocked};
  return c;
}

TEST(DnnlResize, NearestWholeFactorsMatchTheReferenceExactly) {
  for (const KernelConfig& cfg : {KernelConfig{}, blocked()}) {
    // asymmetric + floor, scales input (PaddleOCR's detector upsamples x2, x4, x8 this way).
    for (float f : {1.f, 2.f, 4.f, 8.f}) {
      const int64_t s = static_cast<int64_t>(f);
      OpTester(OpType::Resize).input({1, 16, 5, 7}).absent_input().constant_values({4}, {1.f, 1.f, f, f})
          .output({1, 16, 5 * s, 7 * s}).attr("mode", std::string("nearest"))
          .attr("coordinate_transformation_mode", std::string("asymmetric")).attr("nearest_mode", std::string("floor"))
          .config(cfg).tolerance(0).describe("asymmetric floor x" + std::to_string(s)).test();
    }
    // half_pixel + round_prefer_floor / ceil, sizes input, odd and even factors, unequal per dim.
    for (const char* nm : {"round_prefer_floor", "round_prefer_ceil"}) {
      OpTester(OpType::Resize).input({1, 16, 4, 5}).absent_input().absent_input().constant_i64({4}, {1, 16, 12, 10})
          .output({1, 16, 12, 10}).attr("mode", std::string("nearest"))
          .attr("coordinate_transformation_mode", std::string("half_pixel")).attr("nearest_mode", std::string(nm))
          .config(cfg).tolerance(0).describe(std::string("half_pixel ") + nm + " x3 x2").test();
    }
    // Upsample (asymmetric floor), scales attribute.
    OpTester(OpType::Upsample).input({1, 16, 3, 4}).output({1, 16, 6, 8}).attr("mode", std::string("nearest"))
        .attr("scales", std::vector<float>{1.f, 1.f, 2.f, 2.f}).config(cfg).tolerance(0).describe("Upsample x2").test();
  }
}

TEST(DnnlResize, OtherModesAndFactorsAreLeftToTheReference) {
  auto resize = [](const Shape& in, const Shape& out, const std::vector<float>& scales, const std::string& ctm,
                   const std::string& nm, const std::string& mode) {
    OpTester t(OpType::Resize);
    t.input(in).absent_input().constant_values({4}, scales).output(out).attr("mode", mode)
        .attr("coordinate_transformation_mode", ctm).attr("nearest_mode", nm).describe(ctm + " " + nm + " " + mode);
    return t;
  };
  resize({1, 4, 5, 5}, {1, 4, 10, 10}, {1, 1, 2, 2}, "asymmetric", "floor", "linear").expect_unsupported();
  resize({1, 4, 5, 5}, {1, 4, 10, 10}, {1, 1, 2, 2}, "asymmetric", "round_prefer_ceil", "nearest").expect_unsupported();
  resize({1, 4, 5, 5}, {1, 4, 10, 10}, {1, 1, 2, 2}, "half_pixel", "floor", "nearest").expect_unsupported();
  resize({1, 4, 5, 5}, {1, 4, 10, 10}, {1, 1, 2, 2}, "align_corners", "round_prefer_floor", "nearest").expect_unsupported();
  resize({1, 4, 8, 8}, {1, 4, 4, 4}, {1, 1, 0.5f, 0.5f}, "asymmetric", "floor", "nearest").expect_unsupported();
  resize({1, 4, 4, 4}, {1, 4, 10, 10}, {1, 1, 2.5f, 2.5f}, "asymmetric", "floor", "nearest").expect_unsupported();
  // A scale a hair above 2 gives 2x the size but maps through the scale: floor(o / 2.0001).
  resize({1, 4, 5, 5}, {1, 4, 10, 10}, {1, 1, 2.0001f, 2.0001f}, "asymmetric", "floor", "nearest").expect_unsupported();
}

}  // namespace
}  // namespace deepshark::testing
