// DirectFile: a read-only file Storage that reads with O_DIRECT, bypassing the page cache (the page
// cache is memory too: a budget that ignores it is not a budget).
//
//   DS_TRY(std::unique_ptr<ds::DirectFile> f, ds::DirectFile::open(path));
//   if (!f->is_direct()) log("buffered fallback: " + f->fallback_reason());
//   DS_RETURN_IF_ERROR(f->read(0, 4096, aligned_buffer));
//
// Where the file system refuses O_DIRECT (EINVAL at open, or at the first read), the file falls
// back to buffered reads and says so through is_direct() / fallback_reason(); buffered reads drop
// the pages they read from the cache afterwards (posix_fadvise DONTNEED) so that streaming does not
// fill the page cache either. alignment() is fixed at open: kDirectIOAlignment when the file was
// opened for direct I/O (even if reads later fall back: the stricter rule stays valid), 1 when it
// was opened buffered.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "io/storage.h"

namespace deepshark {

class DirectFile final : public Storage {
 public:
  struct Options {
    bool direct = true;
    // Test seams: behave as if the file system refused O_DIRECT at open / at the first read, so
    // that the fallback paths are exercised where every file system here accepts O_DIRECT.
    bool refuse_direct_open_for_testing = false;
    bool refuse_direct_read_for_testing = false;
  };

  // IOError naming the path with strerror when the file cannot be opened or is not a regular file.
  static Result<std::unique_ptr<DirectFile>> open(const std::string& path, bool direct = true);
  static Result<std::unique_ptr<DirectFile>> open(const std::string& path, const Options& options);
  ~DirectFile() override;
  DirectFile(const DirectFile&) = delete;
  DirectFile& operator=(const DirectFile&) = delete;

  Result<uint64_t> read_some(uint64_t offset, uint64_t bytes, std::byte* dst) override;
  uint64_t size() const override { return size_; }
  uint64_t alignment() const override { return alignment_; }
  const std::string& name() const override { return path_; }

  // True while reads bypass the page cache.
  bool is_direct() const { return direct_.load(std::memory_order_acquire); }
  // Why the file is buffered ("" when direct or when opened buffered on purpose).
  std::string fallback_reason() const;

 private:
  DirectFile() = default;
  // Switches the descriptor to buffered reads after the file system refused a direct read.
  Status fall_back_to_buffered(const std::string& reason);

  int fd_ = -1;
  std::string path_;
  uint64_t size_ = 0;
  uint64_t alignment_ = 1;
  std::atomic<bool> direct_{false};
  std::atomic<bool> refuse_next_direct_read_{false};
  mutable std::mutex mutex_;  // guards fallback_reason_ and the O_DIRECT -> buffered switch
  std::string fallback_reason_;
};

}  // namespace deepshark
