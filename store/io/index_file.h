#pragma once
// The memory-mapped, fixed-entry-size file under Kafka's offset and time
// indexes: preallocated to segment.index.bytes when new, mapped at its length
// when it exists (so every byte of an existing file counts as entries, which
// is why indexes are trimmed on roll and close), resized and trimmed on
// demand. Lookups search the last 8 KiB first (Kafka's "warm section") so
// tail lookups touch the same few pages.
//
// With a FileCache the descriptor and mapping may be parked while nobody
// uses them; the entries stay known, and the next use maps the file again.
// If that fails (the file went away, no descriptor left), lookups answer as
// an empty index would (scan from the segment start: slower, not wrong) and
// writes fail.
//
// Thread safety: all public methods may be called from any thread. Readers
// (lookups) share a lock; Append, Truncate, Resize, Rename take it alone.

#include <cstdint>
#include <functional>
#include <string>

#include "store/io/file_cache.h"
#include "store/io/file_io.h"
#include "store/base/mutex.h"
#include "store/base/status.h"

namespace topicfs::store {

class IndexFile {
 public:
  IndexFile(const IndexFile&) = delete;
  IndexFile& operator=(const IndexFile&) = delete;
  virtual ~IndexFile();

  const std::string& path() const { return path_; }
  int entries() const EXCLUDES(mu_);
  int max_entries() const EXCLUDES(mu_);
  // Bytes the entries occupy (not the preallocated length).
  int64_t valid_bytes() const { return int64_t{entries()} * entry_size_; }
  // The file's current length (preallocated or trimmed).
  int64_t file_length() const EXCLUDES(mu_);

  // Truncates to zero entries and grows back to the max size.
  Status Reset() EXCLUDES(mu_);
  // Changes the file (and mapping) length, rounded down to whole entries.
  Status Resize(int64_t new_length) EXCLUDES(mu_);
  // Shrinks the file to exactly the valid entries (on roll and close).
  Status TrimToValidSize() EXCLUDES(mu_);
  Status Flush() EXCLUDES(mu_);
  Status Rename(const std::string& new_path) EXCLUDES(mu_);
  // Unmaps, closes and unlinks the file.
  Status Delete() EXCLUDES(mu_);
  // Trims and unmaps. Further calls fail.
  Status Close() EXCLUDES(mu_);

 protected:
  IndexFile(std::string path, int entry_size, int64_t max_index_size, FileIo* io, FileCache* cache);
  // Opens or creates the file and maps it. A new (or empty) file is
  // preallocated to max_index_size rounded down to whole entries. fresh:
  // the index of a new segment, emptied if a file of that name was left.
  Status Map(bool fresh) EXCLUDES(mu_);

  // mu_ shared for its scope, with the file mapped again if it was parked.
  // If it could not be, visible_entries() is 0 under this lock.
  class ReadLock;
  // With mu_ held exclusively: the file open and mapped (reopened if it was
  // parked), or why it cannot be.
  Status OpenForWriteLocked() REQUIRES(mu_);
  // The entries a reader may look at (0 when unmapped).
  int visible_entries() const REQUIRES_SHARED(mu_) { return mmap_ != nullptr ? entries_ : 0; }

  // Returns the slot of the largest entry whose key (as extracted by key_of)
  // is <= target, or -1. Callers hold at least the shared lock; only
  // visible entries are searched.
  int LargestLowerBoundSlot(int64_t target, const std::function<int64_t(int)>& key_of) const
      REQUIRES_SHARED(mu_);
  // The smallest slot whose key is >= target, or -1.
  int SmallestUpperBoundSlot(int64_t target, const std::function<int64_t(int)>& key_of) const
      REQUIRES_SHARED(mu_);

  const char* slot_ptr(int n) const REQUIRES_SHARED(mu_) {
    return mmap_ + static_cast<int64_t>(n) * entry_size_;
  }
  // Writes one entry with pwrite rather than through the mapping: a full
  // disk then fails the call with ENOSPC instead of raising SIGBUS when a
  // sparse page of the preallocated file is first touched. The mapping sees
  // the bytes (one page cache).
  Status WriteSlotLocked(int n, const char* entry) REQUIRES(mu_);
  Status ResizeLocked(int64_t new_length) REQUIRES(mu_);

  mutable SharedMutex mu_;
  std::string path_;
  const int entry_size_;
  int64_t max_index_size_;
  FileIo* const io_;  // every call goes through it (tests inject faults)
  // fd_ is -1 and mmap_ null while parked or closed.
  mutable int fd_ GUARDED_BY(mu_) = -1;
  mutable const char* mmap_ GUARDED_BY(mu_) = nullptr;
  int64_t length_ GUARDED_BY(mu_) = 0;  // the file's length, also while parked
  int entries_ GUARDED_BY(mu_) = 0;
  int max_entries_ GUARDED_BY(mu_) = 0;
  bool closed_ GUARDED_BY(mu_) = false;

 private:
  static bool Park(void* self);
  // Maps the already opened fd_.
  Status MapOpenedFile() REQUIRES(mu_);
  // Opens and maps a parked file again.
  Status ReopenLocked() const REQUIRES(mu_);
  void Unmap() const REQUIRES(mu_);
  // Unmaps and closes the file, leaving zero entries.
  void ReleaseLocked() REQUIRES(mu_);

  // Last: destroyed first, so Park never sees the fields above destroyed.
  mutable FileCache::Entry cache_entry_;
};

class SCOPED_CAPABILITY IndexFile::ReadLock {
 public:
  explicit ReadLock(const IndexFile* index) ACQUIRE_SHARED(index->mu_);
  ~ReadLock() RELEASE();
  ReadLock(const ReadLock&) = delete;
  ReadLock& operator=(const ReadLock&) = delete;

 private:
  const IndexFile* const index_;
};

}  // namespace topicfs::store
