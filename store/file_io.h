#pragma once
// The narrow waist through which the store writes and syncs files, so that
// tests can make a write or an fsync fail (ENOSPC, EIO) on demand. Reads and
// metadata calls go straight to the OS: the faults worth injecting are the
// ones that lose data.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "store/status.h"

namespace topicfs::store {

class FileIo {
 public:
  virtual ~FileIo() = default;
  // Writes all n bytes at pos, retrying short writes and EINTR.
  virtual Status PWrite(int fd, const void* data, size_t n, int64_t pos, std::string_view path);
  // fsync(2); also flushes a shared mmap of the same file on Linux.
  virtual Status Sync(int fd, std::string_view path);

  static FileIo& Default();
};

// Fails the Nth write or sync from now with a chosen errno. A failing write
// first writes half of its bytes, the way a full disk tears a write. Thread-safe.
class FaultInjectingFileIo : public FileIo {
 public:
  // The write after `successes` more successful writes fails with err.
  void FailWriteAfter(int successes, int err);
  // The sync after `successes` more successful syncs fails with err.
  void FailSyncAfter(int successes, int err);
  void Clear();

  Status PWrite(int fd, const void* data, size_t n, int64_t pos, std::string_view path) override;
  Status Sync(int fd, std::string_view path) override;

  int64_t writes() const { return writes_; }
  int64_t syncs() const { return syncs_; }

 private:
  std::mutex mu_;
  int write_countdown_ = -1;  // -1: never fail
  int write_errno_ = 0;
  int sync_countdown_ = -1;
  int sync_errno_ = 0;
  std::atomic<int64_t> writes_{0};
  std::atomic<int64_t> syncs_{0};
};

}  // namespace topicfs::store
