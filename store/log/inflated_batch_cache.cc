#include "store/log/inflated_batch_cache.h"

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/batch_compression.h"

namespace topicfs::store {

InflatedBatchCache& InflatedBatchCache::Shared() {
  // A few of the largest batches Kafka allows by default (1 MiB), or many
  // typical ones; freed as readers move on.
  static InflatedBatchCache cache(int64_t{64} << 20);
  return cache;
}

Result<std::shared_ptr<const std::string>> InflatedBatchCache::Get(uint64_t segment_id, int64_t position,
                                                                   std::string_view batch) {
  const Key key{segment_id, position, be::Load<uint32_t>(batch.data() + format::kCrcPos)};
  {
    MutexLock lock(&mu_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.in_lru);
      return it->second.twin;
    }
  }
  // Inflated outside the lock: readers of other batches do not wait. Two
  // readers of the same new batch may both inflate it; one copy is kept.
  auto twin = std::make_shared<std::string>();
  RETURN_IF_ERROR(InflateBatch(batch, twin.get()));
  const int64_t size = static_cast<int64_t>(twin->size());
  MutexLock lock(&mu_);
  ++inflations_;
  if (size > capacity_) return std::shared_ptr<const std::string>(std::move(twin));
  auto [it, added] = entries_.try_emplace(key);
  if (!added) {
    lru_.splice(lru_.begin(), lru_, it->second.in_lru);
    return it->second.twin;
  }
  lru_.push_front(key);
  it->second = Entry{std::move(twin), lru_.begin()};
  bytes_ += size;
  while (bytes_ > capacity_) {
    auto oldest = entries_.find(lru_.back());
    bytes_ -= static_cast<int64_t>(oldest->second.twin->size());
    entries_.erase(oldest);
    lru_.pop_back();
  }
  return it->second.twin;
}

int64_t InflatedBatchCache::bytes() const {
  MutexLock lock(&mu_);
  return bytes_;
}

int64_t InflatedBatchCache::inflations() const {
  MutexLock lock(&mu_);
  return inflations_;
}

}  // namespace topicfs::store
