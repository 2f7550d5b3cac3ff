#include "io/direct_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace deepshark {
namespace {

Status io_error(const std::string& verb, const std::string& path, const std::string& reason) {
  return make_error(ErrorCode::IOError, verb, "file", path, reason);
}

}  // namespace

Result<std::unique_ptr<DirectFile>> DirectFile::open(const std::string& path, bool direct) {
  Options o;
  o.direct = direct;
  return open(path, o);
}

Result<std::unique_ptr<DirectFile>> DirectFile::open(const std::string& path, const Options& options) {
  std::unique_ptr<DirectFile> f(new DirectFile());
  f->path_ = path;
  std::string reason;
  if (options.direct) {
    int fd = -1;
    int err = EINVAL;
    if (!options.refuse_direct_open_for_testing) {
      do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT);
      } while (fd < 0 && errno == EINTR);
      err = errno;
    }
    if (fd >= 0) {
      f->fd_ = fd;
      f->direct_.store(true);
      f->alignment_ = kDirectIOAlignment;
    } else if (err == EINVAL) {
      reason = "O_DIRECT refused at open (EINVAL)";
    } else {
      return io_error("open", path, std::strerror(err));
    }
  }
  if (f->fd_ < 0) {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      const int err = errno;
      return io_error("open", path, std::strerror(err));
    }
    f->fd_ = fd;
    f->alignment_ = 1;
    f->fallback_reason_ = reason;
  }
  struct stat st {};
  if (::fstat(f->fd_, &st) != 0) return io_error("stat", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return io_error("open", path, "not a regular file");
  f->size_ = static_cast<uint64_t>(st.st_size);
  f->refuse_next_direct_read_.store(f->is_direct() && options.refuse_direct_read_for_testing);
  if (!f->is_direct()) {
    // Reads stream through once: tell the kernel not to keep much around.
    (void)::posix_fadvise(f->fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
  }
  return f;
}

DirectFile::~DirectFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DirectFile::fallback_reason() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return fallback_reason_;
}

Status DirectFile::fall_back_to_buffered(const std::string& reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!direct_.load(std::memory_order_acquire)) return Status::ok_status();  // another reader did it
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT) != 0) {
    return io_error("read", path_, std::string("cannot switch to buffered reads: ") + std::strerror(errno));
  }
  fallback_reason_ = reason;
  direct_.store(false, std::memory_order_release);
  return Status::ok_status();
}

Result<uint64_t> DirectFile::read_some(uint64_t offset, uint64_t bytes, std::byte* dst) {
  DS_RETURN_IF_ERROR(check_read_request(*this, offset, bytes, dst));
  // One pread is capped well below the kernel's per-call limit (0x7ffff000).
  bytes = std::min<uint64_t>(bytes, uint64_t{1} << 30);
  for (;;) {
    const bool direct = is_direct();
    ssize_t n;
    if (direct && refuse_next_direct_read_.exchange(false)) {
      n = -1;
      errno = EINVAL;
    } else {
      n = ::pread(fd_, dst, bytes, static_cast<off_t>(offset));
    }
    if (n >= 0) {
      if (!direct && n > 0) {
        // Buffered fallback: drop what we just read so streaming does not fill the page cache.
        (void)::posix_fadvise(fd_, static_cast<off_t>(offset), n, POSIX_FADV_DONTNEED);
      }
      return static_cast<uint64_t>(n);
    }
    const int err = errno;
    if (err == EINTR) continue;
    // The request is aligned (checked above), so EINVAL on a direct read means the file system
    // refuses O_DIRECT for this file: fall back to buffered reads and retry.
    if (err == EINVAL && direct) {
      DS_RETURN_IF_ERROR(fall_back_to_buffered("O_DIRECT refused at read (EINVAL)"));
      continue;
    }
    return io_error("read", path_,
                    std::string(std::strerror(err)) + " (" + std::to_string(bytes) + " bytes at offset " +
                        std::to_string(offset) + ")");
  }
}

}  // namespace deepshark
