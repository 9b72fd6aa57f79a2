#include "store/cleanup/key_offset_map.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace topicfs::store {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

KeyOffsetMap::KeyOffsetMap(int64_t memory_bytes, double load_factor)
    : slots_(static_cast<size_t>(std::max<int64_t>(1, memory_bytes / kSlotSize))),
      capacity_(std::max<size_t>(1, static_cast<size_t>(static_cast<double>(slots_) * load_factor))) {
  // An anonymous mapping comes zeroed (all slots empty) and untouched, so
  // huge pages can still back it: one extra 2 MiB lets the table start on a
  // 2 MiB boundary.
  const size_t table_bytes = slots_ * sizeof(Slot);
  mapping_bytes_ = table_bytes + (table_bytes >= kHugePage ? kHugePage : 0);
  mapping_ = ::mmap(nullptr, mapping_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping_ == MAP_FAILED) throw std::bad_alloc();
  uintptr_t start = reinterpret_cast<uintptr_t>(mapping_);
  if (table_bytes >= kHugePage) {
    start = (start + kHugePage - 1) & ~(kHugePage - 1);
    // Advice only: without THP the table works the same on 4 KiB pages.
    (void)::madvise(reinterpret_cast<void*>(start), table_bytes, MADV_HUGEPAGE);
  }
  table_ = reinterpret_cast<Slot*>(start);
}

KeyOffsetMap::~KeyOffsetMap() { ::munmap(mapping_, mapping_bytes_); }

size_t KeyOffsetMap::Find(const KeyHash& hash) const {
  size_t slot = HomeSlot(hash);
  for (size_t probe = 0; probe < slots_; ++probe) {
    const KeyHash& at = table_[slot].hash;
    if (at == hash || (at.hi == 0 && at.lo == 0)) return slot;
    if (++slot == slots_) slot = 0;
  }
  return slots_;  // every slot holds another key
}

bool KeyOffsetMap::Put(const KeyHash& hash, Offset offset) {
  size_t slot = Find(hash);
  if (slot == slots_) return false;
  Slot& at = table_[slot];
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
  if (slot == slots_ || table_[slot].hash != hash) return std::nullopt;
  return Offset(table_[slot].offset);
}

void KeyOffsetMap::LatestOffsets(std::vector<int64_t>* out) const {
  out->clear();
  out->reserve(entries_);
  for (size_t i = 0; i < slots_; ++i) {
    if (table_[i].hash.hi != 0 || table_[i].hash.lo != 0) out->push_back(table_[i].offset);
  }
  std::sort(out->begin(), out->end());
}

void KeyOffsetMap::Clear() {
  if (entries_ > 0) std::memset(static_cast<void*>(table_), 0, slots_ * sizeof(Slot));
  entries_ = 0;
  latest_offset_ = Offset(-1);
}

}  // namespace topicfs::store
