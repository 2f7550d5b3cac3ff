#include "import/onnx/onnx_external_data.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>

#include "base/shape.h"

namespace deepshark::onnx_import {

namespace fs = std::filesystem;

namespace {

Status bad(const std::string& thing, const std::string& name, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", thing, name, reason);
}

std::optional<uint64_t> parse_u64(const std::string& s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// True when `p` (canonical) is `dir` (canonical) or lies below it.
bool inside(const fs::path& dir, const fs::path& p) {
  auto d = dir.begin(), q = p.begin();
  for (; d != dir.end(); ++d, ++q) {
    if (q == p.end() || *d != *q) return false;
  }
  return true;
}

}  // namespace

Result<ExternalRange> resolve_external_data(const onnx::TensorProto& t, const std::string& model_dir,
                                            uint64_t expected_bytes, const std::string& thing,
                                            const std::string& name) {
  std::string location;
  std::optional<uint64_t> offset = 0, length;
  bool has_location = false;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
      has_location = true;
    } else if (kv.key() == "offset") {
      offset = parse_u64(kv.value());
      if (!offset) return bad(thing, name, "external data offset '" + kv.value() + "' is not a number");
    } else if (kv.key() == "length") {
      length = parse_u64(kv.value());
      if (!length) return bad(thing, name, "external data length '" + kv.value() + "' is not a number");
    }
  }
  if (!has_location || location.empty()) return bad(thing, name, "external data has no location");
  if (location.find('\0') != std::string::npos) return bad(thing, name, "external data location contains a NUL byte");
  if (model_dir.empty()) return bad(thing, name, "external data '" + location + "' needs the model's folder, and none is known");
  fs::path rel(location);
  if (rel.is_absolute()) {
    return bad(thing, name, "external data path '" + location + "' is absolute; it must stay inside the model's folder");
  }
  for (const fs::path& part : rel) {
    if (part == "..") {
      return bad(thing, name, "external data path '" + location + "' leaves the model's folder");
    }
  }
  std::error_code ec;
  fs::path dir = fs::canonical(model_dir, ec);
  if (ec) return make_error(ErrorCode::IOError, "import", thing, name, "cannot resolve model folder '" + model_dir + "': " + ec.message());
  fs::path target = fs::canonical(dir / rel, ec);
  if (ec) {
    return make_error(ErrorCode::IOError, "import", thing, name,
                      "cannot open external data file '" + location + "': " + ec.message());
  }
  if (!inside(dir, target)) {
    return bad(thing, name, "external data path '" + location + "' resolves outside the model's folder (through a symlink)");
  }
  struct stat st {};
  if (::stat(target.c_str(), &st) != 0) {
    return make_error(ErrorCode::IOError, "import", thing, name,
                      "cannot open external data file '" + location + "': " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return bad(thing, name, "external data path '" + location + "' is not a regular file");
  if (!length) length = expected_bytes;
  if (*length != expected_bytes) {
    return bad(thing, name, "external data length does not match the tensor's shape " +
                                expected_got(std::to_string(expected_bytes) + " bytes", std::to_string(*length)));
  }
  const uint64_t file_bytes = static_cast<uint64_t>(st.st_size);
  auto end = checked_add(*offset, *length);
  if (!end || *end > file_bytes) {
    return bad(thing, name, "external data range offset " + std::to_string(*offset) + " + length " +
                                std::to_string(*length) + " lies past the end of '" + location + "' " +
                                expected_got("<= " + std::to_string(file_bytes) + " bytes",
                                             end ? std::to_string(*end) : std::string("overflow")));
  }
  return ExternalRange{target.string(), *offset, *length};
}

Status read_external_data(const ExternalRange& range, void* dst, const std::string& thing, const std::string& name) {
  int fd = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::IOError, "import", thing, name,
                      "cannot open external data file '" + range.path + "': " + std::strerror(errno));
  }
  auto* p = static_cast<char*>(dst);
  uint64_t done = 0;
  while (done < range.length) {
    ssize_t n = ::pread(fd, p + done, range.length - done, static_cast<off_t>(range.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return make_error(ErrorCode::IOError, "import", thing, name,
                        "short read of external data '" + range.path + "' " +
                            expected_got(std::to_string(range.length) + " bytes", std::to_string(done)) +
                            (n < 0 ? std::string(": ") + std::strerror(err) : std::string()));
    }
    done += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return Status::ok_status();
}

}  // namespace deepshark::onnx_import
