#include "io/loader.h"

#include <xxhash.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <system_error>

namespace deepshark {
namespace {

uint64_t now_ns() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
  return buf;
}

constexpr uint32_t kSlotBits = 32;
Ticket make_ticket(uint32_t slot, uint32_t generation) {
  return (static_cast<uint64_t>(generation) << kSlotBits) | slot;
}

}  // namespace

uint64_t checksum_xxh3(const std::byte* data, uint64_t bytes) { return XXH3_64bits(data, bytes); }

Result<std::unique_ptr<Loader>> Loader::create(Storage& storage, uint32_t queue_capacity) {
  if (queue_capacity == 0) {
    return make_error(ErrorCode::InvalidArgument, "create", "loader", storage.name(),
                      "queue capacity " + expected_got(">= 1", "0"));
  }
  std::unique_ptr<Loader> loader(new Loader(storage, queue_capacity));
  try {
    loader->thread_ = std::thread([l = loader.get()] { l->run(); });
    loader->verifier_ = std::thread([l = loader.get()] { l->run_verify(); });
  } catch (const std::system_error& e) {
    return make_error(ErrorCode::Internal, "create", "loader thread", storage.name(), e.what());
  }
  return loader;
}

Loader::Loader(Storage& storage, uint32_t queue_capacity)
    : storage_(storage), slots_(queue_capacity), queue_(queue_capacity), verify_queue_(queue_capacity) {
  free_.reserve(queue_capacity);
  for (uint32_t i = queue_capacity; i-- > 0;) free_.push_back(i);  // slot 0 is used first
}

Loader::~Loader() {
  cancel_all();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  verify_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (verifier_.joinable()) verifier_.join();
}

Status Loader::cancelled_status(const ReadRequest& r) {
  return make_error(ErrorCode::IOError, "load", "piece", std::string(r.label), "cancelled");
}

Result<Ticket> Loader::submit(const ReadRequest& request) {
  if (request.dst == nullptr && request.bytes > 0) {
    return make_error(ErrorCode::InvalidArgument, "load", "piece", std::string(request.label),
                      "no destination buffer");
  }
  std::unique_lock<std::mutex> lock(mutex_);
  if (free_.empty()) {
    return make_error(ErrorCode::InvalidArgument, "load", "piece", std::string(request.label),
                      "loader queue full " +
                          expected_got("at most " + std::to_string(slots_.size()) + " outstanding requests",
                                       std::to_string(slots_.size() + 1)));
  }
  const uint32_t index = free_.back();
  free_.pop_back();
  Slot& slot = slots_[index];
  slot.request = request;
  slot.state = SlotState::Queued;
  slot.status = Status::ok_status();
  slot.start_ns = 0;
  slot.read_ns = 0;
  if (++slot.generation == 0) slot.generation = 1;  // keep ticket 0 invalid
  queue_[(queue_head_ + queue_count_) % queue_.size()] = index;
  ++queue_count_;
  const Ticket ticket = make_ticket(index, slot.generation);
  lock.unlock();
  work_cv_.notify_one();
  return ticket;
}

Status Loader::wait(Ticket ticket, RequestTiming* timing) {
  const auto index = static_cast<uint32_t>(ticket & 0xffffffffu);
  const auto generation = static_cast<uint32_t>(ticket >> kSlotBits);
  std::unique_lock<std::mutex> lock(mutex_);
  auto live = [&] {
    return index < slots_.size() && slots_[index].generation == generation &&
           slots_[index].state != SlotState::Free;
  };
  if (!live()) {
    return make_error(ErrorCode::InvalidArgument, "wait for", "ticket", std::to_string(ticket),
                      "unknown, already waited for, or cancelled");
  }
  Slot& slot = slots_[index];
  uint64_t stall_ns = 0;
  if (slot.state != SlotState::Done) {
    const std::string_view label = slot.request.label;  // caller-owned, outlives the wait
    const uint64_t start = now_ns();
    done_cv_.wait(lock, [&] { return !live() || slot.state == SlotState::Done; });
    stall_ns = now_ns() - start;
    stats_.stall_ns += stall_ns;
    ++stats_.stalled_waits;
    // cancel_all() from another thread forgot the ticket while we waited.
    if (!live()) {
      ReadRequest r;
      r.label = label;
      return cancelled_status(r);
    }
  }
  if (timing) {
    timing->read_ns = slot.read_ns;
    timing->stall_ns = stall_ns;
  }
  Status status = std::move(slot.status);
  free_slot(index);
  return status;
}

void Loader::drain() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_cv_.wait(lock, [&] { return queue_count_ == 0 && idle_locked(); });
}

void Loader::cancel_all() {
  std::unique_lock<std::mutex> lock(mutex_);
  auto drop_queued = [&] {
    for (; queue_count_ > 0; --queue_count_) {
      Slot& slot = slots_[queue_[queue_head_]];
      queue_head_ = (queue_head_ + 1) % queue_.size();
      slot.state = SlotState::Done;
      slot.status = cancelled_status(slot.request);  // a concurrent waiter may see it before the slot is freed
      ++stats_.cancelled;
    }
  };
  drop_queued();
  // The request being read, and those read but not verified, touch caller memory until the
  // threads finish them (verifying takes a fraction of reading: they are not dropped).
  done_cv_.wait(lock, [&] { return idle_locked(); });
  drop_queued();  // requests another thread submitted while we waited
  for (uint32_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].state != SlotState::Free) free_slot(i);
  }
  lock.unlock();
  done_cv_.notify_all();  // concurrent waiters see their ticket forgotten
}

void Loader::free_slot(uint32_t index) {
  Slot& slot = slots_[index];
  slot.state = SlotState::Free;
  slot.status = Status::ok_status();
  slot.request = ReadRequest{};
  free_.push_back(index);
}

uint32_t Loader::outstanding() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<uint32_t>(slots_.size() - free_.size());
}

LoaderStats Loader::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void Loader::reset_stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_ = LoaderStats{};
}

Status Loader::verify_one(const ReadRequest& r) {
  const uint64_t got = checksum_xxh3(r.dst, r.bytes);
  if (got != r.checksum) {
    return make_error(ErrorCode::Corruption, "verify", "piece", std::string(r.label),
                      "checksum mismatch " + expected_got(hex64(r.checksum), hex64(got)));
  }
  return Status::ok_status();
}

void Loader::finish(uint32_t index, Status status) {
  Slot& slot = slots_[index];
  const uint64_t end = now_ns();
  slot.read_ns = end - slot.start_ns;
  // Busy time: the union of [start, end] over requests (a read overlaps the previous verify).
  const uint64_t from = std::max(slot.start_ns, busy_end_ns_);
  if (end > from) stats_.read_ns += end - from;
  busy_end_ns_ = std::max(busy_end_ns_, end);
  ++stats_.completed;
  if (status.ok()) {
    stats_.bytes_read += read_bytes(slot.request.bytes);
  } else {
    ++stats_.failed;
  }
  slot.status = std::move(status);
  slot.state = SlotState::Done;
  done_cv_.notify_all();
}

void Loader::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || queue_count_ > 0; });
    if (stop_) return;
    const uint32_t index = queue_[queue_head_];
    queue_head_ = (queue_head_ + 1) % queue_.size();
    --queue_count_;
    Slot& slot = slots_[index];
    slot.state = SlotState::Reading;
    const ReadRequest request = slot.request;  // the slot cannot be freed while Reading
    reading_ = true;
    slot.start_ns = now_ns();
    lock.unlock();

    Status status = storage_.read(request.offset, read_bytes(request.bytes), request.dst);
    if (!status.ok()) status = status.with_context(failure_message("load", "piece", std::string(request.label), ""));

    lock.lock();
    if (status.ok() && request.verify && queue_count_ > 0) {
      // The verifier checks it while this thread reads the next request.
      reading_ = false;
      slot.state = SlotState::Verifying;
      verify_queue_[(verify_head_ + verify_count_) % verify_queue_.size()] = index;
      ++verify_count_;
      verify_cv_.notify_one();
      continue;
    }
    if (status.ok() && request.verify) {
      // Nothing to read next: verify here, and spare the waiter a second thread's wake-up.
      lock.unlock();
      if (verify_hook_) verify_hook_(request);
      status = verify_one(request);
      lock.lock();
    }
    reading_ = false;
    finish(index, std::move(status));
  }
}

void Loader::run_verify() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    verify_cv_.wait(lock, [&] { return stop_ || verify_count_ > 0; });
    if (verify_count_ == 0) return;  // stop_, nothing left to verify
    const uint32_t index = verify_queue_[verify_head_];
    verify_head_ = (verify_head_ + 1) % verify_queue_.size();
    --verify_count_;
    const ReadRequest request = slots_[index].request;  // the slot cannot be freed while Verifying
    verifying_ = true;
    lock.unlock();

    if (verify_hook_) verify_hook_(request);
    Status status = verify_one(request);

    lock.lock();
    verifying_ = false;
    finish(index, std::move(status));
  }
}

}  // namespace deepshark
