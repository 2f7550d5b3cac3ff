#include "unit/import_caffe/caffe_test_util.h"

#include <sys/stat.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace deepshark::caffe_test {

namespace {

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return {};
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

uint32_t be32(const std::string& d, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(d.data() + at);
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

std::string mnist_dir() { return testing::shared_models_dir() + "/mnist"; }
std::string ultraface_dir() { return testing::shared_models_dir() + "/ultraface"; }

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Mnist load_mnist_test_set() {
  Mnist m;
  std::string im = gunzip(mnist_dir() + "/data/t10k-images-idx3-ubyte.gz");
  std::string lb = gunzip(mnist_dir() + "/data/t10k-labels-idx1-ubyte.gz");
  if (im.size() < 16 || lb.size() < 8 || be32(im, 0) != 2051 || be32(lb, 0) != 2049) return m;
  const uint32_t count = be32(im, 4), rows = be32(im, 8), cols = be32(im, 12);
  if (uint64_t{count} * rows * cols + 16 != im.size() || be32(lb, 4) != count || lb.size() != 8 + count) return m;
  m.count = static_cast<int>(count);
  m.rows = static_cast<int>(rows);
  m.cols = static_cast<int>(cols);
  m.pixels.assign(im.begin() + 16, im.end());
  m.labels.assign(lb.begin() + 8, lb.end());
  return m;
}

std::unique_ptr<Session> open_caffe(const std::string& prototxt, const std::string& weights, const std::string& mean,
                                    const CaffeImportOptions& options, bool use_dnnl) {
  Result<Graph> g = import_caffe(prototxt, weights, mean, options);
  EXPECT_TRUE(g.ok()) << g.status().message();
  if (!g.ok()) return nullptr;
  SessionOptions so;
  so.use_dnnl = use_dnnl;
  auto s = Session::create(std::move(g).value(), so);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

std::unique_ptr<Session> open_model(const std::string& path) {
  auto s = Session::open(path, SessionOptions{});
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

std::vector<NamedTensor> run1(Session& s, const Tensor& input) {
  auto out = s.run({{s.inputs()[0].name, input}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok()) return {};
  return std::move(out).value();
}

}  // namespace deepshark::caffe_test
