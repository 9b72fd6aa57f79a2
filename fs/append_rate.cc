#include "fs/append_rate.h"

namespace topicfs::fs {

void AppendRate::Record(int64_t bytes) {
  const int64_t second = clock_.MonotonicMs() / 1000;
  store::MutexLock lock(&mu_);
  Bucket& b = buckets_[static_cast<size_t>(second % static_cast<int64_t>(buckets_.size()))];
  if (b.second != second) b = Bucket{second, 0, 0};
  ++b.appends;
  b.bytes += bytes;
  ++appends_total_;
  bytes_total_ += bytes;
}

AppendRate::Figures AppendRate::Read() const {
  const int64_t now = clock_.MonotonicMs() / 1000;
  store::MutexLock lock(&mu_);
  Figures f{appends_total_, bytes_total_, 0, 0};
  // The current second (still filling) and the kWindowSeconds - 1 before it.
  for (const Bucket& b : buckets_) {
    if (b.second > now - kWindowSeconds && b.second <= now) {
      f.appends_per_second += static_cast<double>(b.appends);
      f.bytes_per_second += static_cast<double>(b.bytes);
    }
  }
  f.appends_per_second /= kWindowSeconds;
  f.bytes_per_second /= kWindowSeconds;
  return f;
}

}  // namespace topicfs::fs
