#pragma once
// The narrow waist through which the store makes every file system call
// that can lose or damage data: writes and syncs, but also opening,
// sizing, mapping, renaming, removing and listing. Tests replace it to make
// any of those calls fail on demand (ENOSPC, EIO, EMFILE), one at a time,
// and check that a failure at any step leaves every byte on disk as it was.
//
// Every call returns a Status that keeps the errno and names the call and
// the path. Thread-safe: one FileIo serves every thread.

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/base/mutex.h"
#include "store/base/status.h"

namespace topicfs::store {

class FileIo {
 public:
  virtual ~FileIo() = default;

  // ---- data ----
  // Writes all n bytes at pos, retrying short writes and EINTR.
  virtual Status PWrite(int fd, const void* data, size_t n, int64_t pos, std::string_view path);
  // Reads up to n bytes at pos (fewer only at the end of the file).
  virtual Result<size_t> PRead(int fd, void* data, size_t n, int64_t pos, std::string_view path);
  // fsync(2); also flushes a shared mmap of the same file on Linux.
  virtual Status Sync(int fd, std::string_view path);

  // ---- descriptors ----
  // open(2) with O_CLOEXEC added; the descriptor is the caller's to Close.
  virtual Result<int> Open(const std::string& path, int flags, mode_t mode = 0644);
  virtual void Close(int fd);
  // A new descriptor (close-on-exec) for the file fd is open on, which
  // stays usable after fd is closed.
  virtual Result<int> Duplicate(int fd, std::string_view path);
  // fstat(2)'s st_size.
  virtual Result<int64_t> Size(int fd, std::string_view path);
  virtual Status Truncate(int fd, int64_t size, std::string_view path);
  // Allocates blocks for [from, from + length) without changing the size
  // (fallocate FALLOC_FL_KEEP_SIZE).
  virtual Status Reserve(int fd, int64_t from, int64_t length, std::string_view path);
  // A read-only shared mapping of [0, length) of the file.
  virtual Result<const char*> Map(int fd, int64_t length, std::string_view path);
  virtual void Unmap(const char* data, int64_t length);

  // ---- names ----
  virtual Status Rename(const std::string& from, const std::string& to);
  // unlink(2); a file that is already gone is not an error.
  virtual Status Remove(const std::string& path);
  // mkdir(2). True if it made the directory, false if it was already there.
  virtual Result<bool> MakeDir(const std::string& path);
  // rmdir(2) of an empty directory.
  virtual Status RemoveDir(const std::string& path);
  // fsync(2) of a directory: makes the names created, renamed or removed in
  // it durable.
  virtual Status SyncDir(const std::string& dir);
  // syncfs(2) of the filesystem holding path: every file written on it is
  // durable once it returns (Linux reports writeback errors since 5.8).
  virtual Status SyncFilesystem(const std::string& path);
  // The names in a directory, "." and ".." left out, sorted.
  virtual Result<std::vector<std::string>> List(const std::string& dir);
  // Removes a directory and everything under it.
  virtual Status RemoveTree(const std::string& path);

  static FileIo& Default();
};

// Makes the Nth call of chosen kinds fail with a chosen errno, once or from
// then on. A failing write first writes half of its bytes, the way a full
// disk tears a write. Counts every call. Thread-safe.
class FaultInjectingFileIo : public FileIo {
 public:
  // Kinds of call, to select which ones count and fail.
  enum Op : unsigned {
    kWrite = 1u << 0,
    kRead = 1u << 1,
    kSync = 1u << 2,
    kOpen = 1u << 3,
    kSize = 1u << 4,
    kTruncate = 1u << 5,
    kReserve = 1u << 6,
    kMap = 1u << 7,
    kRename = 1u << 8,
    kRemove = 1u << 9,
    kMakeDir = 1u << 10,
    kRemoveDir = 1u << 11,
    kSyncDir = 1u << 12,
    kList = 1u << 13,
    kRemoveTree = 1u << 14,
    kSyncFilesystem = 1u << 15,
    kAll = ~0u,
  };

  // The call among `ops` after `successes` more successful ones fails with
  // err; with sticky, so does every later call among `ops`.
  void FailAfter(unsigned ops, int successes, int err, bool sticky = false) EXCLUDES(mu_);
  // Shorthands for the two faults that lose data.
  void FailWriteAfter(int successes, int err) { FailAfter(kWrite, successes, err); }
  void FailSyncAfter(int successes, int err) { FailAfter(kSync, successes, err); }
  void Clear() EXCLUDES(mu_);
  // Syncs (of files and directories) that are not failed succeed without
  // syncing: for tests that never cut power, and do thousands of opens.
  void SkipSyncs(bool skip) { skip_syncs_ = skip; }

  // Calls of the given kinds so far, and how many of them failed by injection.
  int64_t calls(unsigned ops = kAll) const;
  int64_t injected() const { return injected_; }
  int64_t writes() const { return calls(kWrite); }
  int64_t syncs() const { return calls(kSync); }

  Status PWrite(int fd, const void* data, size_t n, int64_t pos, std::string_view path) override;
  Result<size_t> PRead(int fd, void* data, size_t n, int64_t pos, std::string_view path) override;
  Status Sync(int fd, std::string_view path) override;
  Result<int> Open(const std::string& path, int flags, mode_t mode) override;
  Result<int> Duplicate(int fd, std::string_view path) override;  // counts as kOpen
  Result<int64_t> Size(int fd, std::string_view path) override;
  Status Truncate(int fd, int64_t size, std::string_view path) override;
  Status Reserve(int fd, int64_t from, int64_t length, std::string_view path) override;
  Result<const char*> Map(int fd, int64_t length, std::string_view path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Remove(const std::string& path) override;
  Result<bool> MakeDir(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status SyncDir(const std::string& dir) override;
  Status SyncFilesystem(const std::string& path) override;
  Result<std::vector<std::string>> List(const std::string& dir) override;
  Status RemoveTree(const std::string& path) override;

 private:
  static constexpr int kOpKinds = 16;
  // Counts the call; the errno to fail it with, or 0.
  int Injected(Op op) EXCLUDES(mu_);
  // The Status a failed call returns.
  static Status Fail(int err, std::string_view call, std::string_view path);

  mutable Mutex mu_;
  unsigned fail_ops_ GUARDED_BY(mu_) = 0;
  int countdown_ GUARDED_BY(mu_) = -1;  // -1: never fail
  int errno_ GUARDED_BY(mu_) = 0;
  bool sticky_ GUARDED_BY(mu_) = false;
  bool failing_ GUARDED_BY(mu_) = false;  // a sticky fault has struck
  std::atomic<int64_t> calls_[kOpKinds] = {};
  std::atomic<int64_t> injected_{0};
  std::atomic<bool> skip_syncs_{false};
};

}  // namespace topicfs::store
