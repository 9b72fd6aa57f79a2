#include "store/key_offset_map.h"

#include <algorithm>

namespace topicfs::store {

KeyOffsetMap::KeyOffsetMap(int64_t memory_bytes, double load_factor)
    : slots_(static_cast<size_t>(std::max<int64_t>(1, memory_bytes / kSlotSize)), Slot{}),
      capacity_(std::max<size_t>(1, static_cast<size_t>(static_cast<double>(slots_.size()) * load_factor))) {}

size_t KeyOffsetMap::Find(const KeyHash& hash) const {
  const size_t n = slots_.size();
  size_t slot = HomeSlot(hash);
  for (size_t probe = 0; probe < n; ++probe) {
    const KeyHash& at = slots_[slot].hash;
    if (at == hash || (at.hi == 0 && at.lo == 0)) return slot;
    if (++slot == n) slot = 0;
  }
  return n;  // every slot holds another key
}

bool KeyOffsetMap::Put(const KeyHash& hash, Offset offset) {
  size_t slot = Find(hash);
  if (slot == slots_.size()) return false;
  Slot& at = slots_[slot];
  if (at.hash != hash) {  // an empty slot: a new key
    if (full()) return false;
    at.hash = hash;
    ++entries_;
  }
  at.offset = offset.value;
  latest_offset_ = offset;
  return true;
}

std::optional<Offset> KeyOffsetMap::Get(const KeyHash& hash) const {
  size_t slot = Find(hash);
  if (slot == slots_.size() || slots_[slot].hash != hash) return std::nullopt;
  return Offset(slots_[slot].offset);
}

void KeyOffsetMap::Clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  entries_ = 0;
  latest_offset_ = Offset(-1);
}

}  // namespace topicfs::store
