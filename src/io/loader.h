// Loader: reads requested byte ranges from a Storage into caller-owned memory and verifies each
// one's XXH3-64 checksum, while the caller computes. Two background threads: a reader that issues
// the storage reads one after another, and a verifier that checks a request's checksum while the
// reader already reads the next (the storage does not wait for checksums); a request with nothing
// queued behind it is verified by the reader itself (no second wake-up before its waiter's). It
// knows nothing of
// graphs: a request is {file offset, bytes, destination, expected checksum, label}.
//
//   DS_TRY(std::unique_ptr<ds::Loader> loader, ds::Loader::create(file, /*queue_capacity=*/16));
//   ds::ReadRequest r{.offset = piece.offset, .bytes = piece.bytes, .dst = region.data,
//                     .checksum = piece.checksum, .label = piece.name};
//   DS_TRY(ds::Ticket t, loader->submit(r));       // returns at once; reads in FIFO order
//   ... compute the previous block ...
//   ds::RequestTiming timing;
//   ds::Status s = loader->wait(t, &timing);        // blocks until read and verified
//   if (!s.ok()) { loader->cancel_all(); return s; } // the loader is ready for the next run
//
// Memory rules: `dst` must hold read_bytes(r.bytes) bytes (the size rounded up to the storage's
// alignment: direct I/O reads whole blocks) and be aligned to storage.alignment(); it must stay
// valid until wait() for that ticket has returned, or cancel_all() has returned. `label` must stay
// valid as long. No allocation in steady state: the request queue has a fixed capacity chosen at
// creation (only error messages allocate).
//
// Errors, as returned by wait():
//   IOError     "failed to load piece '<label>': failed to read file '<path>': <reason>"
//   Corruption  "failed to verify piece '<label>': checksum mismatch (expected 0x..., got 0x...)"
//   IOError     "failed to load piece '<label>': cancelled" for a request dropped by cancel_all()
//               while another thread waited on it.
// Thread-safety: all member functions may be called from any thread; typically one thread submits
// and waits.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "io/storage.h"

namespace deepshark {

struct ReadRequest {
  uint64_t offset = 0;          // byte offset in the storage (aligned to storage.alignment())
  uint64_t bytes = 0;           // payload bytes; the checksum covers exactly these
  std::byte* dst = nullptr;     // holds Loader::read_bytes(bytes) bytes, aligned
  uint64_t checksum = 0;        // expected XXH3-64 of the payload
  bool verify = true;           // false: skip the checksum (e.g. data without one)
  std::string_view label;       // names the request in errors, e.g. the piece name
};

// Identifies a submitted request until it is waited for. 0 is never a valid ticket.
using Ticket = uint64_t;

struct RequestTiming {
  uint64_t read_ns = 0;   // from the start of the request's read to the end of its verification
  uint64_t stall_ns = 0;  // time wait() blocked because the request was not done yet
};

struct LoaderStats {
  uint64_t completed = 0;      // requests read (successfully or not), not counting cancelled ones
  uint64_t failed = 0;         // of which ended with an error
  uint64_t cancelled = 0;      // requests dropped by cancel_all() before being read
  uint64_t bytes_read = 0;     // bytes read from storage (rounded-up sizes), successful reads only
  uint64_t read_ns = 0;        // time the loader was busy: reading or verifying some request (the
                               // union of the requests' read_ns intervals: overlaps count once)
  uint64_t stall_ns = 0;       // total time waiters blocked
  uint64_t stalled_waits = 0;  // waits that had to block
};

// XXH3-64 of a byte range, the checksum the loader verifies.
uint64_t checksum_xxh3(const std::byte* data, uint64_t bytes);

class Loader {
 public:
  // Starts the thread. queue_capacity (>= 1) bounds the requests submitted but not yet waited for.
  // Internal error when the thread cannot be started.
  static Result<std::unique_ptr<Loader>> create(Storage& storage, uint32_t queue_capacity);
  // Cancels pending requests, finishes the one being read, joins the thread.
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Enqueues a request. InvalidArgument when queue_capacity requests are already outstanding or the
  // request has no destination; nothing is enqueued then.
  Result<Ticket> submit(const ReadRequest& request);
  // Blocks until the request is done and returns its Status (errors above); the ticket is then
  // consumed. Waits may come in any order. InvalidArgument for an unknown or consumed ticket.
  Status wait(Ticket ticket, RequestTiming* timing = nullptr);
  // Blocks until every submitted request has been read (results stay available to wait()).
  void drain();
  // Drops every queued request, waits for the one being read to finish, and forgets every
  // outstanding ticket (waiting on one afterwards is InvalidArgument). When it returns, the thread
  // touches no caller memory, and the loader is ready for new requests.
  void cancel_all();

  // Size a destination must have for a request of `bytes` payload bytes.
  uint64_t read_bytes(uint64_t bytes) const { return align_up(bytes, storage_.alignment()); }
  Storage& storage() { return storage_; }
  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t outstanding() const;
  LoaderStats stats() const;
  void reset_stats();
  // Test seam: called on the verifier thread before each request's checksum. Set it before the
  // first submit.
  void set_verify_hook_for_testing(std::function<void(const ReadRequest&)> hook) { verify_hook_ = std::move(hook); }

 private:
  enum class SlotState : uint8_t { Free, Queued, Reading, Verifying, Done };
  struct Slot {
    ReadRequest request;
    SlotState state = SlotState::Free;
    uint32_t generation = 0;
    Status status;
    uint64_t start_ns = 0;  // the read began
    uint64_t read_ns = 0;
  };

  Loader(Storage& storage, uint32_t queue_capacity);
  void run();         // the reader thread
  void run_verify();  // the verifier thread
  Status verify_one(const ReadRequest& r);
  // With mutex_ held: the request in slot `index` is done with `status` (stats, waiters told).
  void finish(uint32_t index, Status status);
  void free_slot(uint32_t index);  // with mutex_ held
  // With mutex_ held: neither thread touches caller memory now, and none is queued to verify.
  bool idle_locked() const { return !reading_ && !verifying_ && verify_count_ == 0; }
  static Status cancelled_status(const ReadRequest& r);

  Storage& storage_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // the reader waits for queued requests
  std::condition_variable verify_cv_;  // the verifier waits for read requests
  std::condition_variable done_cv_;  // waiters wait for completions
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;       // stack of free slot indices
  std::vector<uint32_t> queue_;      // FIFO ring of queued slot indices
  uint32_t queue_head_ = 0;
  uint32_t queue_count_ = 0;
  bool reading_ = false;             // the reader is reading a request outside the lock
  std::vector<uint32_t> verify_queue_;  // FIFO ring of read slots waiting for the verifier
  uint32_t verify_head_ = 0;
  uint32_t verify_count_ = 0;
  bool verifying_ = false;           // the verifier is hashing a request outside the lock
  uint64_t busy_end_ns_ = 0;         // end of the latest finished request (for stats_.read_ns)
  bool stop_ = false;
  LoaderStats stats_;
  std::thread thread_;
  std::thread verifier_;
  std::function<void(const ReadRequest&)> verify_hook_;
};

}  // namespace deepshark
