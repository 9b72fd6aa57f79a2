#pragma once
// Counts appends (writes that appended lines) and their bytes, in total and
// per second over the last kWindowSeconds whole seconds, for the daemon's
// status (fs/status.cc). One-second buckets in a ring: a write adds to the
// bucket of its second, a reader sums the buckets of the window.
//
// Thread safety: every method may be called from any thread; mu_ is a leaf
// lock, held for a few additions.

#include <array>
#include <cstdint>

#include "store/base/clock.h"
#include "store/base/mutex.h"

namespace topicfs::fs {

class AppendRate {
 public:
  static constexpr int kWindowSeconds = 10;

  explicit AppendRate(const store::Clock& clock) : clock_(clock) {}

  void Record(int64_t bytes) EXCLUDES(mu_);

  struct Figures {
    int64_t appends_total = 0;
    int64_t bytes_total = 0;
    double appends_per_second = 0;  // over the last kWindowSeconds seconds, this one included
    double bytes_per_second = 0;
  };
  Figures Read() const EXCLUDES(mu_);

 private:
  struct Bucket {
    int64_t second = -1;
    int64_t appends = 0;
    int64_t bytes = 0;
  };

  const store::Clock& clock_;
  mutable store::Mutex mu_;
  std::array<Bucket, kWindowSeconds + 1> buckets_ GUARDED_BY(mu_);  // the current second too
  int64_t appends_total_ GUARDED_BY(mu_) = 0;
  int64_t bytes_total_ GUARDED_BY(mu_) = 0;
};

}  // namespace topicfs::fs
