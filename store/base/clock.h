#pragma once
// Time is injected so that roll, retention, flush and compaction tests control
// it instead of sleeping.

#include <atomic>
#include <cstdint>

#include "store/base/types.h"

namespace topicfs::store {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock milliseconds since the epoch (record timestamps, retention).
  virtual Timestamp Now() const = 0;
  // Monotonic milliseconds, for intervals that must not jump with the wall clock.
  virtual int64_t MonotonicMs() const = 0;

  // The process-wide real clock.
  static Clock& System();
};

// A clock that moves only when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'764'064'800'000) : now_ms_(start_ms) {}
  Timestamp Now() const override { return Timestamp(now_ms_.load()); }
  int64_t MonotonicMs() const override { return now_ms_.load(); }
  void Advance(int64_t ms) { now_ms_ += ms; }
  void Set(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace topicfs::store
