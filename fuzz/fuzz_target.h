// Fuzz targets: functions that take any bytes and must never crash, hang, return an error outside
// the error grammar, or allocate past the ceiling (docs/robustness.md). Each fuzz/<target>.cc
// defines one; built as a libFuzzer binary (DS_FUZZ_MAIN, scripts/fuzz.sh) it also defines the
// LLVMFuzzerTestOneInput that calls it, and the replay test (tests/unit/fuzz_replay) calls the same
// functions on every regression file and checked-in seed, in the normal builds.
//
//   ds::fuzz::set_violation_handler([](const std::string& what) { ADD_FAILURE() << what; });
//   ds::fuzz::onnx_import(bytes.data(), bytes.size());
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

#include "base/status.h"
#include "graph/graph.h"

// The one list of fuzz targets: fuzz/<name>.cc, fuzz/corpus/<name>/, fuzz/regressions/<name>/,
// binary build/fuzz/fuzz/fuzz_<name>.
#define DS_FUZZ_TARGETS(X) \
  X(onnx_import)           \
  X(caffe_text)            \
  X(caffe_binary)          \
  X(tf_import)             \
  X(dsk_open_run)          \
  X(cli_args)

namespace deepshark::fuzz {

#define DS_FUZZ_DECLARE(name) void name(const uint8_t* data, size_t size);
DS_FUZZ_TARGETS(DS_FUZZ_DECLARE)
#undef DS_FUZZ_DECLARE

// What a violated property does: by default print it and abort() (libFuzzer then keeps the input as
// a crash); the replay test records a test failure instead.
void set_violation_handler(std::function<void(const std::string&)> handler);
void violation(const std::string& what);

// A failed Status must carry a user-facing category (not Ok, not Internal) and a message in the
// error grammar ("failed to ..."); anything else is a violation. With DS_FUZZ_VERBOSE set in the
// environment every outcome is printed (for checking what seeds reach).
void check_error(const Status& s, const char* stage);

// Heap ceiling of one call: measures the peak heap growth (every malloc under ASan; operator new
// plus the default CountingAllocator otherwise) from construction to destruction and reports a
// violation when it exceeds `bound_bytes`.
class Ceiling {
 public:
  Ceiling(const char* what, uint64_t bound_bytes);
  ~Ceiling();
  Ceiling(const Ceiling&) = delete;
  Ceiling& operator=(const Ceiling&) = delete;
  // Peak heap growth so far.
  uint64_t peak_bytes() const;

 private:
  const char* what_;
  uint64_t bound_;
  int64_t start_;
  uint64_t start_counting_;
};

// The import ceiling (docs/robustness.md): importing and preparing a model file of `file_bytes`
// bytes grows the heap by at most 600 * file_bytes + 512 MiB.
uint64_t import_ceiling_bytes(uint64_t file_bytes);

// Binds every dynamic input dimension (and every input without a declared shape) to 1 and runs
// prepare_graph (shape inference, constant folding, fusion); errors go through check_error.
void prepare_imported(Graph& g, const char* stage);

// True when the heap meter sees every allocation (ASan builds); otherwise it sees operator new and
// the default CountingAllocator.
bool heap_meter_sees_malloc();

// Throws away what the importers and the CLI parser print (std::cerr), for the life of the object.
class QuietStderr {
 public:
  QuietStderr();
  ~QuietStderr();

 private:
  std::streambuf* saved_;
};

}  // namespace deepshark::fuzz

// Defines the libFuzzer entry of a target in its libFuzzer binary only.
#ifdef DS_FUZZ_MAIN
#define DS_FUZZ_ENTRY(name)                                                  \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    ::deepshark::fuzz::name(data, size);                                     \
    return 0;                                                                \
  }
#else
#define DS_FUZZ_ENTRY(name)
#endif
