#pragma once
// The inflated twins of the compressed batches read lately, shared by every
// reader of the daemon: a sequential `cat` reads a compressed batch over
// several requests (a batch inflates to up to max.message.bytes, a request
// is 128 KiB), and many followers read the same newest batch, yet each
// batch is decompressed once. Bounded by bytes, least recently used first
// out.

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>

#include "store/base/byte_buffer.h"
#include "store/base/mutex.h"
#include "store/base/status.h"

namespace topicfs::store {

class InflatedBatchCache {
 public:
  explicit InflatedBatchCache(int64_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The process's cache, shared by every segment.
  static InflatedBatchCache& Shared();

  // The inflated twin of `batch` (verified, compressed), found at `position`
  // of segment `segment_id`: cached, or inflated now and cached. Segment ids
  // are never reused and the key holds the batch's CRC too, so a batch
  // that replaced another at the same place (after a truncation) is never
  // answered with the old one's twin.
  Result<std::shared_ptr<const ByteBuffer>> Get(uint64_t segment_id, int64_t position, std::string_view batch)
      EXCLUDES(mu_);

 private:
  using Key = std::tuple<uint64_t, int64_t, uint32_t>;  // segment, position, CRC
  struct Entry {
    std::shared_ptr<const ByteBuffer> twin;
    std::list<Key>::iterator in_lru;
  };

  const int64_t capacity_;
  mutable Mutex mu_;
  std::map<Key, Entry> entries_ GUARDED_BY(mu_);
  std::list<Key> lru_ GUARDED_BY(mu_);  // most recent first
  int64_t bytes_ GUARDED_BY(mu_) = 0;
};

}  // namespace topicfs::store
