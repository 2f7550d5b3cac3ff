// Helpers for the Caffe importer tests: MNIST IDX files, sessions over imported graphs, paths.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "deepshark/deepshark.h"
#include "import/caffe/caffe_importer.h"

namespace deepshark::caffe_test {

struct Mnist {
  int count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> pixels, labels;
};
// Empty (count 0) when the files are missing or malformed.
Mnist load_mnist_test_set();

std::string mnist_dir();
std::string ultraface_dir();
bool exists(const std::string& path);

// Imports (with options) and opens an in-memory session; fails the test and returns null on error.
std::unique_ptr<Session> open_caffe(const std::string& prototxt, const std::string& weights, const std::string& mean,
                                    const CaffeImportOptions& options = {}, bool use_dnnl = true);
std::unique_ptr<Session> open_model(const std::string& path);
// Runs a single-input model; empty on failure (the test fails).
std::vector<NamedTensor> run1(Session& s, const Tensor& input);

}  // namespace deepshark::caffe_test
