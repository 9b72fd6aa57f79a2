#pragma once
// Kafka's offset index: 8-byte entries (relative offset int32, position
// int32), sparse, mapping the last offset of an appended batch to the .log
// position where that batch starts. See docs/format.md.

#include <memory>
#include <optional>

#include "store/io/index_file.h"
#include "store/base/types.h"

namespace topicfs::store {

class OffsetIndex : public IndexFile {
 public:
  struct Entry {
    Offset offset;
    FilePosition position;
    bool operator==(const Entry&) const = default;
  };

  static Result<std::unique_ptr<OffsetIndex>> Open(std::string path, Offset base_offset,
                                                   int64_t max_index_size,
                                                   FileIo* io = &FileIo::Default(),
                                                   FileCache* cache = nullptr, bool fresh = false);

  // The entry with the largest offset <= target, or {base_offset, 0}.
  Entry Lookup(Offset target) const EXCLUDES(mu_);
  // The smallest entry whose position >= start + size (Kafka's
  // fetchUpperBoundOffset), or nullopt.
  std::optional<Entry> FetchUpperBoundOffset(FilePosition start, int64_t size) const EXCLUDES(mu_);
  Entry EntryAt(int n) const EXCLUDES(mu_);
  // The last entry's offset, or base_offset when empty.
  Offset last_offset() const EXCLUDES(mu_);
  Offset base_offset() const { return base_offset_; }

  // Appends an entry. Fails (kInvalidArgument) when the index is full, when
  // offset <= the last entry's offset, or when offset - base does not fit an
  // int32.
  Status Append(Offset offset, FilePosition position) EXCLUDES(mu_);
  bool IsFull() const EXCLUDES(mu_);
  // Removes every entry with offset >= offset.
  Status TruncateTo(Offset offset) EXCLUDES(mu_);
  // Corrupt if the length is not a multiple of 8 or the last offset < base.
  Status SanityCheck() const EXCLUDES(mu_);

 private:
  OffsetIndex(std::string path, Offset base_offset, int64_t max_index_size, FileIo* io,
              FileCache* cache);
  Entry EntryAtLocked(int n) const REQUIRES_SHARED(mu_);
  int64_t RelativeAt(int n) const REQUIRES_SHARED(mu_);

  const Offset base_offset_;
};

}  // namespace topicfs::store
