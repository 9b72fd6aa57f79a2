#include "store/index/offset_index.h"

#include "store/base/format.h"

#include <cstdint>
#include <limits>
#include <utility>

#include "store/base/big_endian.h"

namespace topicfs::store {
namespace {

// docs/format.md: relative offset int32 | position int32, big-endian.
constexpr int kEntrySize = 8;
constexpr int kPositionField = 4;
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

}  // namespace

OffsetIndex::OffsetIndex(std::string path, Offset base_offset, int64_t max_index_size, FileIo* io,
                 FileCache* cache)
    : IndexFile(std::move(path), kEntrySize, max_index_size, io, cache), base_offset_(base_offset) {}

Result<std::unique_ptr<OffsetIndex>> OffsetIndex::Open(std::string path, Offset base_offset,
                                                       int64_t max_index_size, FileIo* io,
                                       FileCache* cache, bool fresh) {
  // The constructor is private, so make_unique cannot reach it.
  std::unique_ptr<OffsetIndex> index(new OffsetIndex(std::move(path), base_offset, max_index_size, io, cache));
  RETURN_IF_ERROR(index->Map(fresh));
  return index;
}

int64_t OffsetIndex::RelativeAt(int n) const { return be::Load<int32_t>(slot_ptr(n)); }

OffsetIndex::Entry OffsetIndex::EntryAtLocked(int n) const {
  return {base_offset_ + RelativeAt(n),
          FilePosition(be::Load<int32_t>(slot_ptr(n) + kPositionField))};
}

OffsetIndex::Entry OffsetIndex::Lookup(Offset target) const {
  ReadLock lock(this);
  // Compare absolute offsets, so a target far outside the int32 range of
  // relative offsets still orders correctly.
  const int slot = LargestLowerBoundSlot(
      target.value, [this](int n) REQUIRES_SHARED(mu_) { return base_offset_.value + RelativeAt(n); });
  if (slot < 0) return {base_offset_, FilePosition(0)};
  return EntryAtLocked(slot);
}

std::optional<OffsetIndex::Entry> OffsetIndex::FetchUpperBoundOffset(FilePosition start,
                                                                     int64_t size) const {
  ReadLock lock(this);
  const int slot = SmallestUpperBoundSlot(start.value + size, [this](int n) REQUIRES_SHARED(mu_) {
    return int64_t{be::Load<int32_t>(slot_ptr(n) + kPositionField)};
  });
  if (slot < 0) return std::nullopt;
  return EntryAtLocked(slot);
}

OffsetIndex::Entry OffsetIndex::EntryAt(int n) const {
  ReadLock lock(this);
  // Asking past the end is a caller bug; answering "no entry" beats reading
  // past the mapping.
  if (n < 0 || n >= visible_entries()) return {base_offset_, FilePosition(0)};
  return EntryAtLocked(n);
}

Offset OffsetIndex::last_offset() const {
  ReadLock lock(this);
  const int entries = visible_entries();
  return entries == 0 ? base_offset_ : base_offset_ + RelativeAt(entries - 1);
}

Status OffsetIndex::Append(Offset offset, FilePosition position) {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  if (entries_ >= max_entries_) {
    return Status::InvalidArgument(fmt::format(
        "append to full offset index {} ({} of {} entries)", path_, entries_, max_entries_));
  }
  if (entries_ > 0) {
    const Offset last = base_offset_ + RelativeAt(entries_ - 1);
    if (offset <= last) {
      return Status::InvalidArgument(fmt::format(
          "offset index {}: append of offset {} not above the last offset {}", path_, offset, last));
    }
  }
  const int64_t relative = offset - base_offset_;
  if (relative < 0 || relative > kInt32Max) {
    return Status::InvalidArgument(fmt::format(
        "offset index {}: offset {} is not within int32 range of base offset {}", path_, offset,
        base_offset_));
  }
  if (position.value < 0 || position.value > kInt32Max) {
    return Status::InvalidArgument(
        fmt::format("offset index {}: position {} does not fit an int32", path_, position));
  }
  char entry[format::kOffsetIndexEntrySize];
  be::Store<int32_t>(entry, static_cast<int32_t>(relative));
  be::Store<int32_t>(entry + kPositionField, static_cast<int32_t>(position.value));
  RETURN_IF_ERROR(WriteSlotLocked(entries_, entry));
  ++entries_;
  return Status::Ok();
}

bool OffsetIndex::IsFull() const {
  ReaderLock lock(&mu_);
  return entries_ >= max_entries_;
}

Status OffsetIndex::TruncateTo(Offset offset) {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  const auto key_of = [this](int n) REQUIRES_SHARED(mu_) { return base_offset_.value + RelativeAt(n); };
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

Status OffsetIndex::SanityCheck() const {
  ReadLock lock(this);
  if (visible_entries() != 0) {
    const Offset last = base_offset_ + RelativeAt(visible_entries() - 1);
    if (last < base_offset_) {
      return Status::Corruption(
          fmt::format("offset index {} has {} entries but its last offset {} is below the base "
                      "offset {}",
                      path_, entries_, last, base_offset_));
    }
  }
  if (length_ % kEntrySize != 0) {
    return Status::Corruption(fmt::format(
        "offset index {} is {} bytes, not a multiple of {}", path_, length_, kEntrySize));
  }
  return Status::Ok();
}

}  // namespace topicfs::store
