#pragma once
// The cleaner's key -> latest offset map, bounded in memory: Kafka's
// SkimpyOffsetMap. Each slot holds the MD5 of a key (16 bytes) and an offset
// (8 bytes); open addressing, no deletes. It takes at most slots x
// load_factor keys, then reports itself full, and the cleaner cleans only
// the part of the log whose keys fitted.
//
// Not thread-safe: one cleaner owns it.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace topicfs::store {

class KeyOffsetMap {
 public:
  static constexpr int kSlotSize = 24;

  explicit KeyOffsetMap(int64_t memory_bytes, double load_factor = 0.9);

  // Records offset as the latest for key. False (and nothing stored) when the
  // key is new and the map is full.
  bool Put(std::string_view key, Offset offset);
  std::optional<Offset> Get(std::string_view key) const;
  // The last offset the map covers: every key up to it was put.
  void UpdateLatestOffset(Offset offset) { latest_offset_ = offset; }
  Offset latest_offset() const { return latest_offset_; }

  bool full() const { return entries_ >= capacity_; }
  size_t size() const { return entries_; }
  size_t slots() const { return slots_; }
  void Clear();

 private:
  // The slot holding hash, or the empty slot where it would go; slots_ when
  // neither exists.
  size_t Find(const uint8_t* hash) const;

  size_t slots_;
  size_t capacity_;
  std::vector<uint8_t> bytes_;
  size_t entries_ = 0;
  Offset latest_offset_{-1};
};

}  // namespace topicfs::store
