#pragma once
// The cleaner's key -> latest offset map, bounded in memory: Kafka's
// SkimpyOffsetMap. Each 24-byte slot holds a key's 128-bit digest (KeyHash,
// store/cleanup/key_hash.h; Kafka uses MD5, see there why ours need not be
// cryptographic) and an offset. Open addressing with linear probing, no
// deletes; the home slot is a multiply-shift of the digest's high word. It
// takes at most slots x load_factor keys, then reports itself full, and the
// cleaner cleans only the part of the log whose keys fitted.
//
// Every lookup lands on a random slot of a table of tens of MiB: a cache
// miss, and with 4 KiB pages a TLB miss too. The table is mapped asking for
// transparent huge pages (2 MiB: a 32 MiB table then needs 16 TLB entries,
// not 8,192), and callers with many keys hash them first and Prefetch the
// slot of a key some places ahead, so that the misses overlap.
//
// Not thread-safe: one cleaner owns it.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "store/cleanup/key_hash.h"
#include "store/base/types.h"

namespace topicfs::store {

class KeyOffsetMap {
 public:
  static constexpr int kSlotSize = 24;

  explicit KeyOffsetMap(int64_t memory_bytes, double load_factor = 0.9);
  ~KeyOffsetMap();
  KeyOffsetMap(const KeyOffsetMap&) = delete;
  KeyOffsetMap& operator=(const KeyOffsetMap&) = delete;

  // Records offset as the latest for the key. False (and nothing stored)
  // when the key is new and the map is full.
  bool Put(std::string_view key, Offset offset) { return Put(HashKey(key), offset); }
  bool Put(const KeyHash& hash, Offset offset);
  std::optional<Offset> Get(std::string_view key) const { return Get(HashKey(key)); }
  std::optional<Offset> Get(const KeyHash& hash) const;
  // Starts loading the slot where a lookup of hash begins.
  void Prefetch(const KeyHash& hash) const {
    const char* at = reinterpret_cast<const char*>(&table_[HomeSlot(hash)]);
    __builtin_prefetch(at);
    __builtin_prefetch(at + kSlotSize - 1);  // a slot may straddle two lines
  }

  // The last offset the map covers: every key up to it was put.
  void UpdateLatestOffset(Offset offset) { latest_offset_ = offset; }
  Offset latest_offset() const { return latest_offset_; }

  // Every key's latest offset, in increasing order: the records of the
  // covered range that survive (store/cleanup/log_cleaner.cc).
  void LatestOffsets(std::vector<int64_t>* out) const;

  bool full() const { return entries_ >= capacity_; }
  size_t size() const { return entries_; }
  size_t slots() const { return slots_; }
  size_t capacity() const { return capacity_; }
  void Clear();

 private:
  struct Slot {
    KeyHash hash;    // {0, 0}: empty (HashKey never returns it)
    int64_t offset;
  };
  static_assert(sizeof(Slot) == kSlotSize);

  // Maps the digest's high word onto [0, slots) without a division.
  size_t HomeSlot(const KeyHash& hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash.hi) * slots_) >> 64);
  }
  // The slot holding hash, or the empty slot where it would go; slots()
  // when neither exists.
  size_t Find(const KeyHash& hash) const;

  size_t slots_;
  Slot* table_;            // slots_ slots inside the mapping
  void* mapping_;          // for munmap
  size_t mapping_bytes_;
  size_t capacity_;
  size_t entries_ = 0;
  Offset latest_offset_{-1};
};

}  // namespace topicfs::store
