// Small file helpers for whole-file reads and atomic writes.
#pragma once

#include <string>

#include "base/status.h"

namespace deepshark {

// IOError naming the path with strerror; refuses files larger than max_bytes.
Result<std::string> read_file(const std::string& path, uint64_t max_bytes = uint64_t{1} << 34);
// Writes to path.tmp then renames; IOError on failure (and removes the temp file).
Status write_file_atomic(const std::string& path, const std::string& bytes);

}  // namespace deepshark
