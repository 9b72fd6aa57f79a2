#pragma once
// Kafka's time index: 12-byte entries (timestamp int64, relative offset
// int32). An entry (T, O) says the largest timestamp seen up to offset O is T,
// so any record with a timestamp > T lies after O. Timestamps only grow. The
// last slot is kept for the final entry written at roll and close.

#include <memory>

#include "store/io/index_file.h"
#include "store/base/types.h"

namespace topicfs::store {

class TimeIndex : public IndexFile {
 public:
  struct Entry {
    Timestamp timestamp;
    Offset offset;
    bool operator==(const Entry&) const = default;
  };

  static Result<std::unique_ptr<TimeIndex>> Open(std::string path, Offset base_offset,
                                                 int64_t max_index_size,
                                                 FileIo* io = &FileIo::Default(),
                                                 FileCache* cache = nullptr, bool fresh = false);

  // The entry with the largest timestamp <= target, or {-1, base_offset}.
  Entry Lookup(Timestamp target) const EXCLUDES(mu_);
  Entry EntryAt(int n) const EXCLUDES(mu_);
  // The last entry, or {-1, base_offset} when empty.
  Entry LastEntry() const EXCLUDES(mu_);
  Offset base_offset() const { return base_offset_; }

  // Appends (timestamp, offset) if timestamp > the last entry's timestamp
  // (an equal timestamp is silently ignored, as Kafka does). Fails with
  // kInvalidArgument for an offset below the last entry's, a timestamp below
  // it, a relative offset overflow, or a full index (entries >= max - 1)
  // unless skip_full_check, which may use the reserved last slot.
  Status MaybeAppend(Timestamp timestamp, Offset offset, bool skip_full_check = false) EXCLUDES(mu_);
  // Full at max_entries - 1: the last slot is reserved.
  bool IsFull() const EXCLUDES(mu_);
  // Removes every entry with offset >= offset.
  Status TruncateTo(Offset offset) EXCLUDES(mu_);
  // Corrupt if the length is not a multiple of 12, the last timestamp is
  // below the first, or the last offset is below base.
  Status SanityCheck() const EXCLUDES(mu_);

 private:
  TimeIndex(std::string path, Offset base_offset, int64_t max_index_size, FileIo* io,
              FileCache* cache);
  Entry EntryAtLocked(int n) const REQUIRES_SHARED(mu_);
  Entry LastEntryLocked() const REQUIRES_SHARED(mu_);

  const Offset base_offset_;
};

}  // namespace topicfs::store
