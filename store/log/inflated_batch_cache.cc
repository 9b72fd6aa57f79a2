#include "store/log/inflated_batch_cache.h"

#include <algorithm>
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

InflatedBatchCache::~InflatedBatchCache() {
  std::vector<std::thread> workers;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    workers.swap(workers_);
  }
  jobs_ready_.SignalAll();
  for (std::thread& worker : workers) worker.join();
}

InflatedBatchCache::Key InflatedBatchCache::KeyOf(uint64_t segment_id, int64_t position, std::string_view batch) {
  return Key{segment_id, position, be::Load<uint32_t>(batch.data() + format::kCrcPos)};
}

Result<std::shared_ptr<ByteBuffer>> InflatedBatchCache::Inflate(std::string_view batch) {
  std::shared_ptr<ByteBuffer> twin = TwinBuffers::Get().Take();
  RETURN_IF_ERROR(InflateBatch(batch, twin.get()));
  inflations_.fetch_add(1, std::memory_order_relaxed);
  return twin;
}

Result<std::shared_ptr<const ByteBuffer>> InflatedBatchCache::Get(uint64_t segment_id, int64_t position,
                                                                  std::string_view batch) {
  const Key key = KeyOf(segment_id, position, batch);
  {
    MutexLock lock(&mu_);
    for (;;) {
      auto it = entries_.find(key);
      if (it == entries_.end()) break;
      if (it->second.twin) {
        lru_.splice(lru_.begin(), lru_, it->second.in_lru);
        return it->second.twin;
      }
      // Queued read-ahead that no worker has started (on a busy machine
      // the workers may not run for a while): this reader does it now.
      auto queued = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& job) { return job.key == key; });
      if (queued != jobs_.end()) {
        jobs_.erase(queued);
        --ahead_;
        break;
      }
      inflated_.Wait(&mu_);  // someone is inflating it: its result is ours
    }
    entries_.try_emplace(key);  // being inflated, by this thread
  }
  // Inflated outside the lock: readers of other batches do not wait.
  auto twin = Inflate(batch);
  MutexLock lock(&mu_);
  if (!twin.ok()) {
    Finish(key, nullptr);
    return twin.status();
  }
  return Finish(key, std::move(twin).value());
}

std::shared_ptr<const ByteBuffer> InflatedBatchCache::Finish(const Key& key, std::shared_ptr<ByteBuffer> twin) {
  inflated_.SignalAll();
  auto it = entries_.find(key);
  const int64_t size = twin ? static_cast<int64_t>(twin->size()) : 0;
  if (!twin || size > capacity_) {
    // Failed (a waiter tries for itself and learns why), or too large to
    // keep: answered, not cached.
    entries_.erase(it);
    return twin;
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

void InflatedBatchCache::Prefetch(uint64_t segment_id, int64_t position, std::string_view batch) {
  const Key key = KeyOf(segment_id, position, batch);
  {
    MutexLock lock(&mu_);
    if (stopping_ || ahead_ >= kMaxAhead || entries_.count(key) != 0) return;
  }
  std::shared_ptr<ByteBuffer> copy = TwinBuffers::Get().Take();  // outside the lock
  copy->Append(batch);
  MutexLock lock(&mu_);
  if (stopping_ || ahead_ >= kMaxAhead || entries_.count(key) != 0) return;  // another got there
  entries_.try_emplace(key);  // being inflated, by a worker
  jobs_.push_back(Job{key, std::move(copy)});
  ++ahead_;
  if (workers_.size() < kThreads) workers_.emplace_back([this] { Work(); });
  jobs_ready_.Signal();
}

void InflatedBatchCache::Work() {
  MutexLock lock(&mu_);
  for (;;) {
    while (jobs_.empty() && !stopping_) jobs_ready_.Wait(&mu_);
    if (stopping_) {
      // Queued read-ahead is dropped; nobody may wait for it.
      for (const Job& dropped : jobs_) entries_.erase(dropped.key);
      jobs_.clear();
      inflated_.SignalAll();
      return;
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.Unlock();
    auto twin = Inflate(job.batch->view());
    job.batch.reset();
    lock.Lock();
    --ahead_;
    Finish(job.key, twin.ok() ? std::move(twin).value() : nullptr);
  }
}

}  // namespace topicfs::store
