#pragma once
// The inflated twins of the compressed batches read lately, shared by every
// reader of the daemon: a sequential `cat` reads a compressed batch over
// several requests (a batch inflates to up to max.message.bytes, a request
// is 128 KiB), and many followers read the same newest batch, yet each
// batch is decompressed once. Bounded by bytes, least recently used first
// out.
//
// Read-ahead: a reader that enters a compressed batch asks for the next
// one with Prefetch, and a background thread inflates it while the reader
// is still copying out of this one, so a sequential read of a compressed
// partition decompresses beside FUSE instead of between its requests. A
// Get of a batch being inflated waits for that inflation: no batch is
// decompressed twice at once.
//
// Thread safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "store/base/byte_buffer.h"
#include "store/base/mutex.h"
#include "store/base/status.h"

namespace topicfs::store {

class InflatedBatchCache {
 public:
  explicit InflatedBatchCache(int64_t capacity_bytes) : capacity_(capacity_bytes) {}
  ~InflatedBatchCache();
  InflatedBatchCache(const InflatedBatchCache&) = delete;
  InflatedBatchCache& operator=(const InflatedBatchCache&) = delete;

  // The process's cache, shared by every segment.
  static InflatedBatchCache& Shared();

  // The inflated twin of `batch` (verified, compressed), found at `position`
  // of segment `segment_id`: cached, or inflated now and cached. Segment ids
  // are never reused and the key holds the batch's CRC too, so a batch
  // that replaced another at the same place (after a truncation) is never
  // answered with the old one's twin.
  Result<std::shared_ptr<const ByteBuffer>> Get(uint64_t segment_id, int64_t position, std::string_view batch)
      EXCLUDES(mu_);

  // Starts inflating `batch` (compressed, not yet verified: a reader
  // verifies it before it Gets the twin) in the background, unless it is
  // cached, being inflated, or the read-ahead is already far enough ahead.
  // The compressed bytes are copied for the worker (a fifth of what it
  // writes), so background work never holds a segment's mapping, which
  // must not outlive its file layer. A batch that does not inflate is
  // forgotten; its reader finds out.
  void Prefetch(uint64_t segment_id, int64_t position, std::string_view batch) EXCLUDES(mu_);

  // How many batches this cache has inflated (tests: none twice).
  int64_t inflations() const { return inflations_.load(std::memory_order_relaxed); }

 private:
  using Key = std::tuple<uint64_t, int64_t, uint32_t>;  // segment, position, CRC
  struct Entry {
    std::shared_ptr<const ByteBuffer> twin;  // null while it is being inflated
    std::list<Key>::iterator in_lru;         // set once twin is
  };
  struct Job {
    Key key;
    std::shared_ptr<ByteBuffer> batch;  // a copy of the compressed batch
  };
  // Batches queued or being inflated ahead of their readers, at most; and
  // the threads inflating them (started at the first Prefetch).
  static constexpr size_t kMaxAhead = 2;
  static constexpr size_t kThreads = 2;

  static Key KeyOf(uint64_t segment_id, int64_t position, std::string_view batch);
  Result<std::shared_ptr<ByteBuffer>> Inflate(std::string_view batch);
  // Files a finished inflation under key (or forgets the key when it
  // failed) and wakes whoever waits for it.
  std::shared_ptr<const ByteBuffer> Finish(const Key& key, std::shared_ptr<ByteBuffer> twin) REQUIRES(mu_);
  void Work() EXCLUDES(mu_);

  const int64_t capacity_;
  std::atomic<int64_t> inflations_{0};
  mutable Mutex mu_;
  CondVar inflated_;    // an inflation finished
  CondVar jobs_ready_;  // a job was queued, or stopping_
  std::map<Key, Entry> entries_ GUARDED_BY(mu_);
  std::list<Key> lru_ GUARDED_BY(mu_);  // finished entries, most recent first
  int64_t bytes_ GUARDED_BY(mu_) = 0;
  std::deque<Job> jobs_ GUARDED_BY(mu_);
  size_t ahead_ GUARDED_BY(mu_) = 0;  // jobs queued or running
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_ GUARDED_BY(mu_);
};

}  // namespace topicfs::store
