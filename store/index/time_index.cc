#include "store/index/time_index.h"

#include "store/base/format.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "store/base/big_endian.h"

namespace topicfs::store {
namespace {

// docs/format.md: timestamp int64 | relative offset int32, big-endian.
constexpr int kEntrySize = 12;
constexpr int kOffsetField = 8;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

}  // namespace

TimeIndex::TimeIndex(std::string path, Offset base_offset, int64_t max_index_size, FileIo* io,
                 FileCache* cache)
    : IndexFile(std::move(path), kEntrySize, max_index_size, io, cache), base_offset_(base_offset) {}

Result<std::unique_ptr<TimeIndex>> TimeIndex::Open(std::string path, Offset base_offset,
                                                   int64_t max_index_size, FileIo* io,
                                       FileCache* cache, bool fresh) {
  // The constructor is private, so make_unique cannot reach it.
  std::unique_ptr<TimeIndex> index(new TimeIndex(std::move(path), base_offset, max_index_size, io, cache));
  RETURN_IF_ERROR(index->Map(fresh));
  return index;
}

TimeIndex::Entry TimeIndex::EntryAtLocked(int n) const {
  const char* slot = slot_ptr(n);
  return {Timestamp(be::Load<int64_t>(slot)), base_offset_ + be::Load<int32_t>(slot + kOffsetField)};
}

TimeIndex::Entry TimeIndex::LastEntryLocked() const {
  const int entries = visible_entries();
  if (entries == 0) return {kNoTimestamp, base_offset_};
  return EntryAtLocked(entries - 1);
}

TimeIndex::Entry TimeIndex::Lookup(Timestamp target) const {
  ReadLock lock(this);
  const int slot = LargestLowerBoundSlot(
      target.value, [this](int n) REQUIRES_SHARED(mu_) { return be::Load<int64_t>(slot_ptr(n)); });
  if (slot < 0) return {kNoTimestamp, base_offset_};
  return EntryAtLocked(slot);
}

TimeIndex::Entry TimeIndex::EntryAt(int n) const {
  ReadLock lock(this);
  // Asking past the end is a caller bug; answering "no entry" beats reading
  // past the mapping.
  if (n < 0 || n >= visible_entries()) return {kNoTimestamp, base_offset_};
  return EntryAtLocked(n);
}

TimeIndex::Entry TimeIndex::LastEntry() const {
  ReadLock lock(this);
  return LastEntryLocked();
}

Status TimeIndex::MaybeAppend(Timestamp timestamp, Offset offset, bool skip_full_check) {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  // The reserved last slot may be used only with skip_full_check, and no
  // flag lets a write go past the mapping.
  const bool full = skip_full_check ? entries_ >= max_entries_ : entries_ >= max_entries_ - 1;
  if (full) {
    return Status::InvalidArgument(fmt::format("append to full time index {} ({} of {} entries)",
                                               path_, entries_, max_entries_));
  }
  const Entry last = LastEntryLocked();
  // An equal offset is allowed: the roll/close entry may repeat the last one.
  if (entries_ != 0 && offset < last.offset) {
    return Status::InvalidArgument(fmt::format(
        "time index {}: append of offset {} below the last offset {}", path_, offset, last.offset));
  }
  if (entries_ != 0 && timestamp < last.timestamp) {
    return Status::InvalidArgument(
        fmt::format("time index {}: append of timestamp {} below the last timestamp {}", path_,
                    timestamp, last.timestamp));
  }
  // An empty index compares against -1, so data without timestamps (v0)
  // leaves it empty, as in Kafka.
  if (timestamp <= last.timestamp) return Status::Ok();
  const int64_t relative = offset - base_offset_;
  if (relative < 0 || relative > kInt32Max) {
    return Status::InvalidArgument(
        fmt::format("time index {}: offset {} is not within int32 range of base offset {}", path_,
                    offset, base_offset_));
  }
  char entry[format::kTimeIndexEntrySize];
  be::Store<int64_t>(entry, timestamp.value);
  be::Store<int32_t>(entry + kOffsetField, static_cast<int32_t>(relative));
  RETURN_IF_ERROR(WriteSlotLocked(entries_, entry));
  ++entries_;
  return Status::Ok();
}

bool TimeIndex::IsFull() const {
  ReaderLock lock(&mu_);
  return entries_ >= max_entries_ - 1;
}

Status TimeIndex::TruncateTo(Offset offset) {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  // Offsets in the time index never decrease, so they can be searched too.
  const auto key_of = [this](int n) REQUIRES_SHARED(mu_) { return EntryAtLocked(n).offset.value; };
  const int slot = LargestLowerBoundSlot(offset.value, key_of);
  if (slot < 0) {
    entries_ = 0;
  } else if (key_of(slot) == offset.value) {
    entries_ = slot;  // the entry at exactly `offset` goes too
  } else {
    entries_ = slot + 1;
  }
  return Status::Ok();
}

Status TimeIndex::SanityCheck() const {
  ReadLock lock(this);
  if (visible_entries() != 0) {
    const Entry first = EntryAtLocked(0);
    const Entry last = LastEntryLocked();
    if (last.timestamp < first.timestamp) {
      return Status::Corruption(
          fmt::format("time index {}: last timestamp {} is below the first timestamp {}", path_,
                      last.timestamp, first.timestamp));
    }
    if (last.offset < base_offset_) {
      return Status::Corruption(
          fmt::format("time index {}: last offset {} is below the base offset {}", path_,
                      last.offset, base_offset_));
    }
  }
  if (length_ % kEntrySize != 0) {
    return Status::Corruption(fmt::format("time index {} is {} bytes, not a multiple of {}", path_,
                                          length_, kEntrySize));
  }
  return Status::Ok();
}

}  // namespace topicfs::store
