#include "store/key_offset_map.h"

#include <algorithm>
#include <cstring>

#include "store/big_endian.h"
#include "store/md5.h"

namespace topicfs::store {
namespace {

constexpr int kHashSize = 16;
const uint8_t kEmpty[kHashSize] = {};

}  // namespace

KeyOffsetMap::KeyOffsetMap(int64_t memory_bytes, double load_factor)
    : slots_(static_cast<size_t>(std::max<int64_t>(1, memory_bytes / kSlotSize))),
      capacity_(std::max<size_t>(1, static_cast<size_t>(static_cast<double>(slots_) * load_factor))),
      bytes_(slots_ * kSlotSize, 0) {}

size_t KeyOffsetMap::Find(const uint8_t* hash) const {
  uint64_t start = be::Load<uint64_t>(hash);
  for (size_t probe = 0; probe < slots_; ++probe) {
    size_t slot = (start + probe) % slots_;
    const uint8_t* at = &bytes_[slot * kSlotSize];
    if (std::memcmp(at, hash, kHashSize) == 0 || std::memcmp(at, kEmpty, kHashSize) == 0) return slot;
  }
  return slots_;  // every slot holds another key
}

bool KeyOffsetMap::Put(std::string_view key, Offset offset) {
  auto hash = Md5(key);
  size_t slot = Find(hash.data());
  if (slot == slots_) return false;
  uint8_t* at = &bytes_[slot * kSlotSize];
  bool is_new = std::memcmp(at, kEmpty, kHashSize) == 0;
  if (is_new) {
    if (full()) return false;
    std::memcpy(at, hash.data(), kHashSize);
    ++entries_;
  }
  be::Store<int64_t>(at + kHashSize, offset.value);
  latest_offset_ = offset;
  return true;
}

std::optional<Offset> KeyOffsetMap::Get(std::string_view key) const {
  auto hash = Md5(key);
  size_t slot = Find(hash.data());
  if (slot == slots_) return std::nullopt;
  const uint8_t* at = &bytes_[slot * kSlotSize];
  if (std::memcmp(at, kEmpty, kHashSize) == 0) return std::nullopt;
  return Offset(be::Load<int64_t>(at + kHashSize));
}

void KeyOffsetMap::Clear() {
  std::fill(bytes_.begin(), bytes_.end(), 0);
  entries_ = 0;
  latest_offset_ = Offset(-1);
}

}  // namespace topicfs::store
