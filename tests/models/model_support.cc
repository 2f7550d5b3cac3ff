#include "models/model_support.h"

#include <zlib.h>

namespace deepshark::testing {

namespace {
Result<std::string> gunzip_file(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return make_error(ErrorCode::IOError, "open", "file", path, "gzopen failed");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  if (n < 0) return make_error(ErrorCode::IOError, "read", "file", path, "gzip stream error");
  return out;
}
uint32_t be32(const std::string& s, size_t off) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[off])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[off + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[off + 2])) << 8) | static_cast<uint8_t>(s[off + 3]);
}
}  // namespace

Result<IdxImages> read_idx_images(const std::string& gz_path) {
  DS_TRY(std::string d, gunzip_file(gz_path));
  if (d.size() < 16 || be32(d, 0) != 2051) return Status(ErrorCode::InvalidArgument, "bad IDX image file " + gz_path);
  IdxImages im;
  im.count = static_cast<int>(be32(d, 4));
  im.rows = static_cast<int>(be32(d, 8));
  im.cols = static_cast<int>(be32(d, 12));
  size_t n = static_cast<size_t>(im.count) * im.rows * im.cols;
  if (d.size() != 16 + n) return Status(ErrorCode::InvalidArgument, "bad IDX image size " + gz_path);
  im.pixels.assign(d.begin() + 16, d.end());
  return im;
}

Result<std::vector<uint8_t>> read_idx_labels(const std::string& gz_path) {
  DS_TRY(std::string d, gunzip_file(gz_path));
  if (d.size() < 8 || be32(d, 0) != 2049 || d.size() != 8 + be32(d, 4)) {
    return Status(ErrorCode::InvalidArgument, "bad IDX label file " + gz_path);
  }
  return std::vector<uint8_t>(d.begin() + 8, d.end());
}

std::unique_ptr<Session> open_session(const std::string& path, const SessionOptions& options) {
  auto s = Session::open(path, options);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return nullptr;
  return std::move(s).value();
}

std::vector<NamedTensor> run_one(Session& s, const Tensor& input) {
  auto out = s.run({{s.inputs()[0].name, input}});
  EXPECT_TRUE(out.ok()) << out.status().message();
  if (!out.ok()) return {};
  return std::move(out).value();
}

int argmax(const float* p, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) if (p[i] > p[best]) best = i;
  return best;
}

}  // namespace deepshark::testing
