// File-level behaviour: external data confined to the model folder, size limits, unreadable
// files, and read_onnx_tensor on hostile .pb files.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/file.h"
#include "import/onnx/onnx_importer.h"
#include "unit/import_onnx/onnx_builder.h"

namespace deepshark {
namespace {

namespace fs = std::filesystem;
using testing::OnnxBuilder;
using TP = onnx::TensorProto;

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("ds_import_onnx_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  void write(const std::string& rel, const std::string& bytes) const {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel, std::ios::binary) << bytes;
  }

 private:
  fs::path path_;
};

std::string floats_bytes(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// A model whose initializer `w` [n] lives in external data.
OnnxBuilder external_model(const std::string& location, int64_t n, std::optional<uint64_t> offset = {},
                           std::optional<uint64_t> length = {}) {
  OnnxBuilder b;
  b.input("x", {n});
  TP* t = b.initializer("w", TP::FLOAT, {n});
  t->set_data_location(TP::EXTERNAL);
  auto add = [&](const std::string& k, const std::string& v) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", location);
  if (offset) add("offset", std::to_string(*offset));
  if (length) add("length", std::to_string(*length));
  b.node("Add", {"x", "w"}, {"y"}, "add");
  b.output("y");
  return b;
}

void expect_error(const Result<Graph>& r, ErrorCode code, const std::string& substring) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(error_code_name(r.status().code()), std::string(error_code_name(code))) << r.status().message();
  EXPECT_NE(r.status().message().find(substring), std::string::npos) << r.status().message();
}

TEST(ImportOnnxFiles, ExternalDataInsideTheFolder) {
  TempDir d;
  d.write("weights/w.bin", floats_bytes({9, 9, 1, 2, 3, 4}));
  d.write("m.onnx", external_model("weights/w.bin", 4, 8, 16).bytes());
  Result<Graph> r = import_onnx((d.path() / "m.onnx").string());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Tensor& w = *r->value(r->find_value("w")).constant;
  EXPECT_EQ(w.data<float>()[0], 1.f);
  EXPECT_EQ(w.data<float>()[3], 4.f);
  // Without offset/length: the whole tensor from offset 0.
  d.write("m2.onnx", external_model("weights/w.bin", 6).bytes());
  Result<Graph> r2 = import_onnx((d.path() / "m2.onnx").string());
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_EQ(r2->value(r2->find_value("w")).constant->data<float>()[5], 4.f);
}

TEST(ImportOnnxFiles, ExternalDataSymlinkEscapingIsRejected) {
  TempDir d;
  d.write("outside/secret.bin", floats_bytes({1, 2, 3, 4}));
  d.write("model/inside.bin", floats_bytes({5, 6, 7, 8}));
  fs::create_symlink(d.path() / "outside" / "secret.bin", d.path() / "model" / "link.bin");
  fs::create_symlink(d.path() / "model" / "inside.bin", d.path() / "model" / "ok_link.bin");
  d.write("model/m.onnx", external_model("link.bin", 4).bytes());
  expect_error(import_onnx((d.path() / "model" / "m.onnx").string()), ErrorCode::InvalidModel,
               "external data path 'link.bin' resolves outside the model's folder");
  // A symlink that stays inside is fine.
  d.write("model/m2.onnx", external_model("ok_link.bin", 4).bytes());
  Result<Graph> r = import_onnx((d.path() / "model" / "m2.onnx").string());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->value(r->find_value("w")).constant->data<float>()[0], 5.f);
}

TEST(ImportOnnxFiles, ExternalDataErrors) {
  TempDir d;
  d.write("w.bin", floats_bytes({1, 2, 3, 4}));
  const std::string dir = d.path().string();
  expect_error(external_model("missing.bin", 4).import(dir), ErrorCode::IOError, "cannot open external data file 'missing.bin'");
  expect_error(external_model("w.bin", 4, 0, 12).import(dir), ErrorCode::InvalidModel,
               "external data length does not match the tensor's shape (expected 16 bytes, got 12)");
  expect_error(external_model("w.bin", 4, uint64_t{1} << 63, 16).import(dir), ErrorCode::InvalidModel, "lies past the end");
  expect_error(external_model("w.bin", 4, 18446744073709551615ull, 16).import(dir), ErrorCode::InvalidModel, "got overflow");
  expect_error(external_model("w.bin", 4).import(""), ErrorCode::InvalidModel, "needs the model's folder");
  expect_error(external_model("a/../w.bin", 4).import(dir), ErrorCode::InvalidModel, "leaves the model's folder");
  expect_error(external_model(".", 4).import(dir), ErrorCode::InvalidModel, "is not a regular file");
  expect_error(external_model("", 4).import(dir), ErrorCode::InvalidModel, "external data has no location");
  OnnxBuilder bad_offset = external_model("w.bin", 4);
  auto* e = bad_offset.proto().mutable_graph()->mutable_initializer(0)->add_external_data();
  e->set_key("offset");
  e->set_value("12abc");
  expect_error(bad_offset.import(dir), ErrorCode::InvalidModel, "external data offset '12abc' is not a number");
}

TEST(ImportOnnxFiles, MissingFileIsIOError) {
  Result<Graph> r = import_onnx("/nonexistent/dir/model.onnx");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::IOError);
  EXPECT_NE(r.status().message().find("/nonexistent/dir/model.onnx"), std::string::npos);
}

TEST(ImportOnnxFiles, FilesOver2GiBAreRefused) {
  TempDir d;
  const fs::path big = d.path() / "big.onnx";
  { std::ofstream(big, std::ios::binary) << "x"; }
  fs::resize_file(big, uint64_t{3} << 30);  // sparse: no disk space used, nothing is read
  Result<Graph> r = import_onnx(big.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::Unsupported);
  EXPECT_NE(r.status().message().find("(expected <= 2147483647 bytes, got 3221225472)"), std::string::npos)
      << r.status().message();
  Result<Tensor> t = read_onnx_tensor(big.string());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ErrorCode::Unsupported);
}

TEST(ImportOnnxFiles, ReadTensorErrors) {
  TempDir d;
  d.write("junk.pb", std::string("\xff\xff\xff\xff\xff", 5));
  Result<Tensor> t = read_onnx_tensor((d.path() / "junk.pb").string());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), ErrorCode::InvalidModel);
  EXPECT_NE(t.status().message().find("not a valid ONNX TensorProto"), std::string::npos);

  TP p;
  p.set_name("bad");
  p.set_data_type(TP::FLOAT);
  p.add_dims(3);
  p.set_raw_data(std::string(10, '\0'));
  d.write("bad.pb", p.SerializeAsString());
  t = read_onnx_tensor((d.path() / "bad.pb").string());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("failed to import tensor 'bad': raw data size does not match shape [3] "
                                      "(expected 12 bytes, got 10)"),
            std::string::npos) << t.status().message();

  p.set_raw_data(floats_bytes({1, 2, 3}));
  d.write("good.pb", p.SerializeAsString());
  t = read_onnx_tensor((d.path() / "good.pb").string());
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->data<float>()[2], 3.f);
}

// Import works the same from memory: bytes + folder.
TEST(ImportOnnxFiles, BytesAndPathAgree) {
  TempDir d;
  OnnxBuilder b;
  b.input("x", {2});
  b.float_initializer("w", {2}, {1, 2});
  b.node("Mul", {"x", "w"}, {"y"}, "mul");
  b.output("y");
  d.write("m.onnx", b.bytes());
  Result<Graph> a = import_onnx((d.path() / "m.onnx").string());
  Result<Graph> c = b.import(d.path().string());
  ASSERT_TRUE(a.ok() && c.ok());
  EXPECT_EQ(a->nodes.size(), c->nodes.size());
  EXPECT_EQ(a->constant_bytes(), c->constant_bytes());
  expect_error(import_onnx_bytes("", "", "empty"), ErrorCode::InvalidModel,
               "failed to import model 'empty': not a valid ONNX ModelProto");
}

}  // namespace
}  // namespace deepshark
