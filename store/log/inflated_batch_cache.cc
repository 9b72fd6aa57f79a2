#include "store/log/inflated_batch_cache.h"

#include <vector>

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/batch_compression.h"

namespace topicfs::store {
namespace {

// Buffers of twins no reader holds any more, kept for the next inflation:
// a fresh buffer of a few hundred KiB is fresh pages, and faulting them in
// cost more than decompressing into them. Never destroyed (twins may
// outlive any cache).
class TwinBuffers {
 public:
  static TwinBuffers& Get() {
    static auto* buffers = new TwinBuffers;
    return *buffers;
  }
  std::shared_ptr<ByteBuffer> Take() {
    ByteBuffer* buffer = nullptr;
    {
      MutexLock lock(&mu_);
      if (!free_.empty()) {
        buffer = free_.back().release();
        free_.pop_back();
      }
    }
    if (buffer == nullptr) buffer = new ByteBuffer;
    buffer->clear();
    return std::shared_ptr<ByteBuffer>(buffer, [](ByteBuffer* b) { Get().Give(b); });
  }

 private:
  static constexpr size_t kKept = 16;
  static constexpr size_t kLargestKept = 4 << 20;
  void Give(ByteBuffer* buffer) {
    std::unique_ptr<ByteBuffer> owned(buffer);
    if (owned->capacity() > kLargestKept) return;
    MutexLock lock(&mu_);
    if (free_.size() < kKept) free_.push_back(std::move(owned));
  }
  Mutex mu_;
  std::vector<std::unique_ptr<ByteBuffer>> free_ GUARDED_BY(mu_);
};

}  // namespace

InflatedBatchCache& InflatedBatchCache::Shared() {
  // A few of the largest batches Kafka allows by default (1 MiB), or many
  // typical ones; freed as readers move on.
  static InflatedBatchCache cache(int64_t{64} << 20);
  return cache;
}

Result<std::shared_ptr<const ByteBuffer>> InflatedBatchCache::Get(uint64_t segment_id, int64_t position,
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
  std::shared_ptr<ByteBuffer> twin = TwinBuffers::Get().Take();
  RETURN_IF_ERROR(InflateBatch(batch, twin.get()));
  const int64_t size = static_cast<int64_t>(twin->size());
  MutexLock lock(&mu_);
  if (size > capacity_) return std::shared_ptr<const ByteBuffer>(std::move(twin));
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

}  // namespace topicfs::store
