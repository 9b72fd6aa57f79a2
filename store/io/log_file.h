#pragma once
// The .log file of one segment: concatenated record batches. One appender
// writes at the end with pwrite; any number of readers see [0, size()) through
// a shared read-only mapping, so a reader never copies a batch it only skips.
//
// Visibility: size() moves forward only after the bytes are written, with
// release order, so a reader that loads size() sees whole batches only.
//
// Descriptors: with a FileCache, the file's descriptor and mapping may be
// parked while nobody uses them and are reopened on the next use; size()
// and path() stay known. A deleted file is never parked (its holders must
// be able to finish reading it).
//
// Thread safety: Write, Publish, DropUnpublished, TruncateTo, Rename and
// Close need the owner's append lock; size(), Map(), Flush() and the time
// calls may run on any thread. mu_ guards the descriptor, the mapping and
// the path.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/io/file_cache.h"
#include "store/io/file_io.h"
#include "store/base/mutex.h"
#include "store/base/status.h"

namespace topicfs::store {

class LogFile {
 public:
  // A read-only view of the file. Bytes below the size() observed before
  // taking the mapping stay valid while the mapping is held.
  class Mapping {
   public:
    Mapping(FileIo* io, const char* data, int64_t capacity) : io_(io), data_(data), capacity_(capacity) {}
    ~Mapping() { io_->Unmap(data_, capacity_); }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    const char* data() const { return data_; }
    int64_t capacity() const { return capacity_; }

   private:
    FileIo* const io_;
    const char* data_;
    int64_t capacity_;
  };

  enum class OpenMode {
    kExisting,  // the file must exist
    kNew,       // a new segment: an empty file of that name is taken over,
                // one holding bytes is refused (kAlreadyExists), never cut
    kScratch,   // a file of the store's own making (cleaner output): created
                // or emptied
  };

  // map_capacity_hint is how large the file is expected to grow
  // (segment.bytes): the read mapping reserves that much address space so it
  // rarely has to be remapped. cache may be null (never parked).
  static Result<std::unique_ptr<LogFile>> Open(std::string path, OpenMode mode,
                                               int64_t map_capacity_hint, FileIo* io,
                                               FileCache* cache);
  ~LogFile();

  std::string path() const EXCLUDES(mu_);
  int64_t size() const { return size_.load(std::memory_order_acquire); }

  // Writes bytes at size() without publishing them: readers see [0, size())
  // only, until Publish. On failure the file is cut back to size() (best
  // effort). With first_size > 0 the bytes after the first first_size are
  // written before those: a process killed in between leaves a hole of
  // zeros where the first batch goes, which recovery reads as the end, so
  // none of the batches of one write survives without the others.
  //
  // Disk blocks are reserved a few MiB ahead of the end (fallocate keeping
  // the size, so the file's bytes and length are what they would be
  // without): ext4 then writes appends into allocated blocks instead of
  // reserving delayed-allocation blocks page by page, which made a 137 KB
  // append at an unaligned end 25-30% slower. A failed reservation (a full
  // disk, a filesystem without fallocate) only stops reserving.
  Status Write(std::string_view bytes, int64_t first_size = 0) EXCLUDES(mu_);
  // Makes the `bytes` that Write wrote visible: size() grows by them.
  void Publish(int64_t bytes);
  // Cuts off what Write wrote and Publish did not make visible.
  Status DropUnpublished() EXCLUDES(mu_);
  // Gives back the blocks reserved past size() (on roll and close).
  void ReleaseReserved() EXCLUDES(mu_);
  Status TruncateTo(int64_t size) EXCLUDES(mu_);
  // Removes the bytes [from, to) from the file (recovery cutting out a
  // damaged range): the rest is written to scratch_path, synced and renamed
  // over the file, so a crash leaves the old file or the new one.
  Status RemoveRange(int64_t from, int64_t to, const std::string& scratch_path) EXCLUDES(mu_);
  Status Flush() EXCLUDES(mu_);
  Status Rename(const std::string& new_path) EXCLUDES(mu_);
  Status Delete() EXCLUDES(mu_);
  void Close() EXCLUDES(mu_);
  // Modification time of the file in ms, Kafka's fallback "largest timestamp".
  int64_t LastModifiedMs() const EXCLUDES(mu_);
  Status SetLastModifiedMs(int64_t ms) EXCLUDES(mu_);

  // A mapping covering at least [0, size()).
  Result<std::shared_ptr<const Mapping>> Map() const EXCLUDES(mu_);
  // A descriptor of the file that the caller owns (and closes): it reads
  // the same bytes after this file is parked, closed, renamed or deleted.
  Result<int> Duplicate() const EXCLUDES(mu_);

 private:
  LogFile(std::string path, int fd, int64_t size, int64_t map_capacity_hint, FileIo* io,
          FileCache* cache);
  static bool Park(void* self);

  // The descriptor, reopened if it was parked: runs fn(fd) with mu_ shared
  // and the descriptor open (fn is annotated REQUIRES_SHARED(mu_)).
  template <typename Fn>
  auto WithDescriptor(Fn&& fn) const -> decltype(fn(0));
  Status ReopenLocked() const REQUIRES(mu_);
  void ReleaseReservedLocked() REQUIRES(mu_);

  FileIo* const io_;
  const int64_t map_capacity_hint_;
  std::atomic<int64_t> size_;
  // Blocks are allocated up to here. Written by Write, which holds the
  // append lock and mu_ shared, and with mu_ held exclusively (parking,
  // closing): one lock the analysis could check guards neither.
  int64_t reserved_end_ = 0;
  bool reserve_ = true;  // false once a reservation failed; by Write only

  mutable SharedMutex mu_;
  std::string path_ GUARDED_BY(mu_);
  mutable int fd_ GUARDED_BY(mu_);  // -1 when parked or closed
  mutable std::shared_ptr<const Mapping> map_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  bool deleted_ GUARDED_BY(mu_) = false;
  // Last: destroyed first, so Park never sees the fields above destroyed.
  mutable FileCache::Entry cache_entry_;
};

}  // namespace topicfs::store
