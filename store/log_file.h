#pragma once
// The .log file of one segment: concatenated record batches. One appender
// writes at the end with pwrite; any number of readers see [0, size()) through
// a shared read-only mapping, so a reader never copies a batch it only skips.
//
// Visibility: size() moves forward only after the bytes are written, with
// release order, so a reader that loads size() sees whole batches only.
// Thread safety: Write, Publish, TruncateTo, Rename, Close need the owner's append
// lock; size(), Map() and Flush() may run on any thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "store/file_io.h"
#include "store/status.h"

namespace topicfs::store {

class LogFile {
 public:
  // A read-only view of the file. Bytes below the size() observed before
  // taking the mapping stay valid while the mapping is held.
  class Mapping {
   public:
    Mapping(const char* data, int64_t capacity) : data_(data), capacity_(capacity) {}
    ~Mapping();
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    const char* data() const { return data_; }
    int64_t capacity() const { return capacity_; }

   private:
    const char* data_;
    int64_t capacity_;
  };

  // Opens (or with create, creates) the file. map_capacity_hint is how large
  // the file is expected to grow (segment.bytes): the read mapping reserves
  // that much address space so it rarely has to be remapped.
  static Result<std::unique_ptr<LogFile>> Open(std::string path, bool create,
                                               int64_t map_capacity_hint);
  ~LogFile();

  const std::string& path() const { return path_; }
  int64_t size() const { return size_.load(std::memory_order_acquire); }

  // Writes bytes at size() without publishing them: readers see [0, size())
  // only, until Publish. On failure the file is cut back to size() (best
  // effort).
  //
  // Disk blocks are reserved a few MiB ahead of the end (fallocate keeping
  // the size, so the file's bytes and length are what they would be
  // without): ext4 then writes appends into allocated blocks instead of
  // reserving delayed-allocation blocks page by page, which made a 137 KB
  // append at an unaligned end 25-30% slower. A failed reservation (a full
  // disk, a filesystem without fallocate) only stops reserving.
  Status Write(std::string_view bytes, FileIo& io);
  // Makes the `bytes` that Write wrote visible: size() grows by them.
  void Publish(int64_t bytes);
  // Cuts off what Write wrote and Publish did not make visible.
  void DropUnpublished();
  // Gives back the blocks reserved past size() (on roll and close).
  void ReleaseReserved();
  Status TruncateTo(int64_t size);
  Status Flush(FileIo& io);
  Status Rename(const std::string& new_path);
  Status Delete();
  void Close();
  // Modification time of the file in ms, Kafka's fallback "largest timestamp".
  int64_t LastModifiedMs() const;
  Status SetLastModifiedMs(int64_t ms);

  // A mapping covering at least [0, size()).
  Result<std::shared_ptr<const Mapping>> Map() const;

 private:
  LogFile(std::string path, int fd, int64_t size, int64_t map_capacity_hint)
      : path_(std::move(path)), fd_(fd), size_(size), map_capacity_hint_(map_capacity_hint) {}

  void Reserve(int64_t end);

  std::string path_;
  int fd_;
  std::atomic<int64_t> size_;
  const int64_t map_capacity_hint_;
  // Blocks are allocated up to here (Write); guarded by the append lock.
  int64_t reserved_end_ = 0;
  bool reserve_ = true;  // false once a reservation failed
  mutable std::mutex map_mu_;
  mutable std::shared_ptr<const Mapping> map_;  // guarded by map_mu_
};

}  // namespace topicfs::store
