// NumPy .npy files (format 1.0/2.0/3.0, little-endian, C order) for model inputs and outputs.
//
//   DS_TRY(ds::Tensor t, ds::read_npy("x.npy"));
//   DS_RETURN_IF_ERROR(ds::write_npy("y.npy", t.view()));
#pragma once

#include <string>

#include "base/status.h"
#include "base/tensor.h"

namespace deepshark {

// InvalidArgument for malformed headers, Fortran order, big-endian or unsupported dtypes, and a
// payload whose size disagrees with the header; IOError when unreadable.
Result<Tensor> read_npy(const std::string& path);
Result<Tensor> parse_npy(const std::string& bytes, const std::string& label);
// Writes atomically (temp file + rename) so a failure never leaves a partial file.
Status write_npy(const std::string& path, const TensorView& tensor);

}  // namespace deepshark
