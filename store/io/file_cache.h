#pragma once
// Bounds how many segment files (.log, .index, .timeindex) hold a
// descriptor and a mapping at once, so that the number of partitions and
// segments a data directory may hold is bounded by the disk, not by
// RLIMIT_NOFILE or vm.max_map_count. A file that has gone unused the
// longest is parked (descriptor closed, mapping dropped) when another needs
// room; a parked file reopens itself on its next use. Nothing about a file
// but its descriptor and mapping is forgotten by parking.
//
// A file takes part through an Entry it embeds: it calls Used() after it
// opened or used its descriptor or mapping, and Closed() when it closed
// them itself. Parking calls the entry's park function, which must give up
// the file only if nobody is using it at that moment (a try_lock), so the
// cache never waits for a reader or writer.
//
// Thread safety: every method may be called from any thread. Lock order:
// a file's own lock, then the cache's mu_; the cache calls park functions
// under mu_, and they only try their file's lock, never wait for it, and
// never call back into the cache.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "store/io/file_io.h"
#include "store/base/mutex.h"
#include "store/base/status.h"

namespace topicfs::store {

// Always held by a shared_ptr (make_shared): each Entry keeps the cache
// alive, since files (in segments readers still hold) may outlive whoever
// made the cache.
class FileCache : public std::enable_shared_from_this<FileCache> {
 public:
  class Entry {
   public:
    // Gives the owner's descriptor and mapping up if it is idle; false if busy.
    using ParkFn = bool (*)(void* owner);
    // cache may be null: the file is never parked.
    Entry(FileCache* cache, ParkFn park, void* owner)
        : cache_(cache != nullptr ? cache->shared_from_this() : nullptr), park_(park), owner_(owner) {}
    // Leaves the cache. Declare the entry after every member its park
    // function uses, so it is destroyed (and unreachable) before they are.
    ~Entry() { Closed(); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    // The owner opened or used its files: now the most recently used. May
    // park other files to stay within the capacity.
    void Used() {
      if (cache_ != nullptr) cache_->Use(this);
    }
    // The owner closed its files itself.
    void Closed() {
      if (cache_ != nullptr) cache_->Drop(this);
    }
    FileCache* cache() const { return cache_.get(); }

   private:
    friend class FileCache;
    const std::shared_ptr<FileCache> cache_;
    const ParkFn park_;
    void* const owner_;
    // Not annotated: the analysis cannot tell that cache_->mu_ is the mu_
    // the cache's methods hold.
    Entry* newer_ = nullptr;  // guarded by cache_->mu_
    Entry* older_ = nullptr;  // guarded by cache_->mu_
    bool listed_ = false;     // guarded by cache_->mu_
  };

  // capacity: how many files may be open at once (at least 1).
  explicit FileCache(size_t capacity);
  FileCache(const FileCache&) = delete;
  FileCache& operator=(const FileCache&) = delete;

  // A capacity that leaves room below RLIMIT_NOFILE's soft limit for the
  // daemon's other descriptors (FUSE, checkpoints, config files), and below
  // vm.max_map_count for other mappings.
  static size_t CapacityFromLimits();

  // Parks up to n idle files now, least recently used first (after an open
  // failed with EMFILE or ENFILE); returns how many it parked.
  size_t Shrink(size_t n) EXCLUDES(mu_);

  // io.Open(path, flags), but when the process is out of descriptors
  // (EMFILE, ENFILE) idle files are parked and the open is tried once more.
  // cache may be null.
  static Result<int> Open(FileCache* cache, FileIo& io, const std::string& path, int flags);
  // Opens a parked file again (read-write), refusing one that is now
  // shorter than min_size: someone else cut it, and a mapping past its end
  // would fault.
  static Result<int> Reopen(FileCache* cache, FileIo& io, const std::string& path, int64_t min_size);

  size_t open_files() const EXCLUDES(mu_);
  size_t capacity() const { return capacity_; }

 private:
  void Use(Entry* entry) EXCLUDES(mu_);
  void Drop(Entry* entry) EXCLUDES(mu_);
  void Link(Entry* entry) REQUIRES(mu_);
  void Unlink(Entry* entry) REQUIRES(mu_);
  // Parks idle files, oldest first, while more than `keep` are open.
  // Returns how many it parked.
  size_t ParkDownTo(size_t keep, const Entry* spare) REQUIRES(mu_);

  const size_t capacity_;
  mutable Mutex mu_;
  Entry* newest_ GUARDED_BY(mu_) = nullptr;
  Entry* oldest_ GUARDED_BY(mu_) = nullptr;
  size_t open_ GUARDED_BY(mu_) = 0;
};

}  // namespace topicfs::store
