// The fuzz targets' shared checks: violations, the error grammar, the heap ceiling.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <new>

#include <google/protobuf/stubs/logging.h>

#include "base/memory.h"
#include "transform/prepare.h"
#include "fuzz_target.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DS_FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DS_FUZZ_ASAN 1
#endif

#ifdef DS_FUZZ_ASAN
// The sanitizer runtime's allocator interface (declared here: g++ ships no header for it).
extern "C" {
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, size_t),
                                              void (*free_hook)(const volatile void*));
size_t __sanitizer_get_allocated_size(const volatile void* p);
}
#else
#include <malloc.h>
#endif

namespace deepshark::fuzz {

namespace {

std::function<void(const std::string&)>& handler() {
  static std::function<void(const std::string&)> h;
  return h;
}

// Live heap bytes and their high-water mark (since the last Ceiling started). Signed: frees of
// blocks allocated before the hooks were installed take the count below zero.
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};

void heap_add(uint64_t n) {
  int64_t now = g_live.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed) + static_cast<int64_t>(n);
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
void heap_sub(uint64_t n) { g_live.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed); }

#ifdef DS_FUZZ_ASAN
// The sanitizer's allocation hooks see every malloc, new and aligned_alloc of the process.
void malloc_hook(const volatile void*, size_t size) { heap_add(size); }
void free_hook(const volatile void* p) { heap_sub(__sanitizer_get_allocated_size(p)); }
bool install_hooks() {
  __sanitizer_install_malloc_and_free_hooks(malloc_hook, free_hook);
  return true;
}
#else
bool install_hooks() { return true; }
#endif

void ensure_hooks() {
  static bool installed = [] {
    // Protobuf logs every invalid UTF-8 string field it parses: millions of lines per run.
    google::protobuf::SetLogHandler(nullptr);
    return install_hooks();
  }();
  (void)installed;
}

}  // namespace

void set_violation_handler(std::function<void(const std::string&)> h) { handler() = std::move(h); }

void violation(const std::string& what) {
  if (handler()) {
    handler()(what);
    return;
  }
  std::fprintf(stderr, "deepshark fuzz: violation: %s\n", what.c_str());
  std::abort();
}

bool verbose() {
  static const bool v = std::getenv("DS_FUZZ_VERBOSE") != nullptr;
  return v;
}

void check_error(const Status& s, const char* stage) {
  if (verbose()) std::fprintf(stderr, "deepshark fuzz: %s: %s\n", stage, s.ok() ? "ok" : s.to_string().c_str());
  if (s.ok()) return;
  if (s.code() == ErrorCode::Internal) violation(std::string(stage) + ": internal error: " + s.message());
  if (s.message().rfind("failed to ", 0) != 0) {
    violation(std::string(stage) + ": error outside the grammar 'failed to ...': " + s.to_string());
  }
}

uint64_t import_ceiling_bytes(uint64_t file_bytes) { return 600 * file_bytes + (uint64_t{512} << 20); }

void prepare_imported(Graph& g, const char* stage) {
  PrepareOptions options;
  for (ValueId id : g.inputs) {
    if (id < 0 || static_cast<size_t>(id) >= g.values.size()) continue;
    const Value& v = g.value(id);
    if (v.shape_known) continue;
    Shape s = v.shape.empty() ? Shape{1} : v.shape;
    for (int64_t& d : s) d = d < 0 ? 1 : d;
    options.input_shapes[v.name] = s;
  }
  check_error(prepare_graph(g, options), stage);
}

bool heap_meter_sees_malloc() {
#ifdef DS_FUZZ_ASAN
  return true;
#else
  return false;
#endif
}

Ceiling::Ceiling(const char* what, uint64_t bound_bytes) : what_(what), bound_(bound_bytes) {
  ensure_hooks();
  start_ = g_live.load();
  g_peak.store(start_);
  default_allocator().reset_peak();
  start_counting_ = default_allocator().current_bytes();
}

uint64_t Ceiling::peak_bytes() const {
  uint64_t peak = static_cast<uint64_t>(std::max<int64_t>(0, g_peak.load() - start_));
  // Without ASan the meter does not see the CountingAllocator's aligned_alloc: add its peak.
  if (!heap_meter_sees_malloc()) peak += default_allocator().peak_bytes() - start_counting_;
  return peak;
}

Ceiling::~Ceiling() {
  uint64_t peak = peak_bytes();
  if (verbose()) std::fprintf(stderr, "deepshark fuzz: %s: heap peak %llu bytes (ceiling %llu)\n", what_,
                              static_cast<unsigned long long>(peak), static_cast<unsigned long long>(bound_));
  if (peak > bound_) {
    violation(std::string(what_) + ": heap grew by " + std::to_string(peak) + " bytes, over the ceiling of " +
              std::to_string(bound_) + " bytes (docs/robustness.md)");
  }
}

namespace {
class NullBuf : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};
NullBuf g_null;
}  // namespace

QuietStderr::QuietStderr() : saved_(std::cerr.rdbuf(&g_null)) {}
QuietStderr::~QuietStderr() { std::cerr.rdbuf(saved_); }

}  // namespace deepshark::fuzz

#ifndef DS_FUZZ_ASAN
// Without ASan: count operator new (every library's, the executable's definition wins) through
// malloc_usable_size, which new and delete agree on.
void* operator new(size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  deepshark::fuzz::heap_add(malloc_usable_size(p));
  return p;
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  void* p = std::malloc(n ? n : 1);
  if (p) deepshark::fuzz::heap_add(malloc_usable_size(p));
  return p;
}
void* operator new[](size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void* operator new(size_t n, std::align_val_t a) {
  size_t al = static_cast<size_t>(a) < sizeof(void*) ? sizeof(void*) : static_cast<size_t>(a);
  void* p = nullptr;
  if (posix_memalign(&p, al, n ? n : 1) != 0) throw std::bad_alloc();
  deepshark::fuzz::heap_add(malloc_usable_size(p));
  return p;
}
void* operator new[](size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept {
  if (!p) return;
  deepshark::fuzz::heap_sub(malloc_usable_size(p));
  std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, size_t) noexcept { operator delete(p); }
void operator delete[](void* p, size_t) noexcept { operator delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { operator delete(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { operator delete(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { operator delete(p); }
#endif
