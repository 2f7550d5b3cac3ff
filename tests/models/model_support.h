// Helpers for whole-model tests: labelled image sets (IDX), sessions on real models, references.
#pragma once

#include <string>
#include <vector>

#include "deepshark/deepshark.h"
#include "support/test_support.h"

namespace deepshark::testing {

struct IdxImages {
  int count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols
};

// Reads a gzip-compressed IDX image file (magic 2051) / label file (magic 2049).
Result<IdxImages> read_idx_images(const std::string& gz_path);
Result<std::vector<uint8_t>> read_idx_labels(const std::string& gz_path);

// Opens a session or fails the test with the status message.
std::unique_ptr<Session> open_session(const std::string& path, const SessionOptions& options);
// Runs one input (the model's first input) and returns the outputs, failing the test on error.
std::vector<NamedTensor> run_one(Session& s, const Tensor& input);

// Index of the largest element in [p, p+n).
int argmax(const float* p, int n);

}  // namespace deepshark::testing
