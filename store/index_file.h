#pragma once
// The memory-mapped, fixed-entry-size file under Kafka's offset and time
// indexes: preallocated to segment.index.bytes when new, mapped at its length
// when it exists (so every byte of an existing file counts as entries, which
// is why indexes are trimmed on roll and close), resized and trimmed on
// demand. Lookups search the last 8 KiB first (Kafka's "warm section") so
// tail lookups touch the same few pages.
//
// Thread safety: all public methods may be called from any thread. Readers
// (lookups) share a lock; Append, Truncate, Resize, Rename take it alone.

#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>

#include "store/file_io.h"
#include "store/status.h"

namespace topicfs::store {

class IndexFile {
 public:
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;
  virtual ~IndexFile();

  const std::string& path() const { return path_; }
  int entries() const;
  int max_entries() const;
  // Bytes the entries occupy (not the preallocated length).
  int64_t valid_bytes() const { return int64_t{entries()} * entry_size_; }
  // The file's current length (preallocated or trimmed).
  int64_t file_length() const;

  // Truncates to zero entries and grows back to the max size.
  Status Reset();
  // Changes the file (and mapping) length, rounded down to whole entries.
  Status Resize(int64_t new_length);
  // Shrinks the file to exactly the valid entries (on roll and close).
  Status TrimToValidSize();
  Status Flush(FileIo& io);
  Status Rename(const std::string& new_path);
  // Unmaps, closes and unlinks the file.
  Status Delete();
  // Trims and unmaps. Further calls fail.
  Status Close();

 protected:
  IndexFile(std::string path, int entry_size, int64_t max_index_size, FileIo* io);
  // Opens or creates the file and maps it. A new (or empty) file is
  // preallocated to max_index_size rounded down to whole entries.
  Status Map();

  // Returns the slot of the largest entry whose key (as extracted by key_of)
  // is <= target, or -1. Callers hold at least the shared lock.
  int LargestLowerBoundSlot(int64_t target, const std::function<int64_t(int)>& key_of) const;
  // The smallest slot whose key is >= target, or -1.
  int SmallestUpperBoundSlot(int64_t target, const std::function<int64_t(int)>& key_of) const;

  const char* slot_ptr(int n) const { return mmap_ + static_cast<int64_t>(n) * entry_size_; }
  // Writes one entry with pwrite rather than through the mapping: a full
  // disk then fails the call with ENOSPC instead of raising SIGBUS when a
  // sparse page of the preallocated file is first touched. The mapping sees
  // the bytes (one page cache). REQUIRES: mu_ held exclusively.
  Status WriteSlotLocked(int n, const char* entry);
  Status ResizeLocked(int64_t new_length);

  mutable std::shared_mutex mu_;
  std::string path_;
  const int entry_size_;
  int64_t max_index_size_;
  FileIo* const io_;  // entry writes go through it (tests inject faults)
  int fd_ = -1;
  char* mmap_ = nullptr;
  int64_t length_ = 0;
  int entries_ = 0;      // guarded by mu_
  int max_entries_ = 0;  // guarded by mu_

 private:
  // Maps the already opened fd_. REQUIRES: mu_ held exclusively.
  Status MapOpenedFile();
  // REQUIRES: mu_ held exclusively.
  void Unmap();
  // Unmaps and closes the file, leaving zero entries. REQUIRES: mu_ held exclusively.
  void ReleaseLocked();
};

}  // namespace topicfs::store
