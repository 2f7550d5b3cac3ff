#include <gtest/gtest.h>

#include "base/npy.h"
#include "base/shape.h"
#include "base/status.h"
#include "support/test_support.h"

namespace deepshark::testing {
namespace {

TEST(Status, MessageGrammar) {
  Status s = make_error(ErrorCode::InvalidModel, "import", "node", "conv1", "bad " + expected_got("4", "3"));
  EXPECT_EQ(s.message(), "failed to import node 'conv1': bad (expected 4, got 3)");
  EXPECT_EQ(s.code(), ErrorCode::InvalidModel);
  EXPECT_EQ(s.with_context("ctx").message(), "ctx: failed to import node 'conv1': bad (expected 4, got 3)");
}

Result<int> half(int x) {
  if (x % 2) return Status(ErrorCode::InvalidArgument, "odd");
  return x / 2;
}
Result<int> quarter(int x) {
  DS_TRY(int h, half(x));
  return half(h);
}

TEST(Status, TryPropagates) {
  EXPECT_EQ(quarter(8).value(), 2);
  EXPECT_FALSE(quarter(6).ok());
  EXPECT_EQ(quarter(6).status().message(), "odd");
}

TEST(Shape, CheckedNumelRejectsOverflow) {
  EXPECT_EQ(*checked_numel({2, 3, 4}), 24);
  EXPECT_EQ(*checked_numel({}), 1);
  EXPECT_EQ(*checked_numel({5, 0, int64_t{1} << 62}), 0);
  EXPECT_FALSE(checked_numel({int64_t{1} << 32, int64_t{1} << 32}).has_value());
  EXPECT_FALSE(checked_numel({-1, 3}).has_value());
}

TEST(Npy, RoundTrip) {
  Tensor t = Tensor::from_values<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  std::string path = ::testing::TempDir() + "/rt.npy";
  ASSERT_TRUE(write_npy(path, t.view()).ok());
  auto r = read_npy(path);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(bit_identical(r->view(), t.view()));
}

TEST(Npy, RejectsMalformed) {
  EXPECT_FALSE(parse_npy("hello", "x").ok());
  std::string hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string f = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(hdr.size()) + '\0' + hdr + std::string(20, 'a');
  auto r = parse_npy(f, "short");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("expected 24 bytes, got 20"), std::string::npos) << r.status().message();
  std::string fort = "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }";
  std::string f2 = std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(fort.size()) + '\0' + fort + std::string(24, 'a');
  EXPECT_FALSE(parse_npy(f2, "fortran").ok());
}

}  // namespace
}  // namespace deepshark::testing
