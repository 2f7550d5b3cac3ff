#include "base/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sys/stat.h>

namespace deepshark {

Result<std::string> read_file(const std::string& path, uint64_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ErrorCode::IOError, "read", "file", path, std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return make_error(ErrorCode::IOError, "read", "file", path, "is a directory");
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return make_error(ErrorCode::InvalidArgument, "read", "file", path,
                      "file too large " + expected_got("<= " + std::to_string(max_bytes) + " bytes",
                                                       std::to_string(st.st_size)));
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(ErrorCode::IOError, "read", "file", path, std::strerror(errno));
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = data.empty() ? 0 : std::fread(data.data(), 1, data.size(), f);
  bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err || got != data.size()) {
    return make_error(ErrorCode::IOError, "read", "file", path,
                      "short read " + expected_got(std::to_string(data.size()) + " bytes", std::to_string(got)));
  }
  return data;
}

Status write_file_atomic(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return make_error(ErrorCode::IOError, "write", "file", path, std::strerror(errno));
  size_t put = bytes.empty() ? 0 : std::fwrite(bytes.data(), 1, bytes.size(), f);
  bool ok = put == bytes.size() && std::fflush(f) == 0;
  int err = errno;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (!err) err = errno;
    std::remove(tmp.c_str());
    return make_error(ErrorCode::IOError, "write", "file", path, std::strerror(err));
  }
  return Status::ok_status();
}

}  // namespace deepshark
