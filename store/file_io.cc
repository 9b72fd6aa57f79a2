#include "store/file_io.h"

#include <unistd.h>

namespace topicfs::store {

Status FileIo::PWrite(int fd, const void* data, size_t n, int64_t pos, std::string_view path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, pos);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("pwrite", path);
    }
    p += w;
    n -= static_cast<size_t>(w);
    pos += w;
  }
  return Status::Ok();
}

Status FileIo::Sync(int fd, std::string_view path) {
  if (::fsync(fd) != 0) return Status::FromErrno("fsync", path);
  return Status::Ok();
}

FileIo& FileIo::Default() {
  static FileIo io;
  return io;
}

void FaultInjectingFileIo::FailWriteAfter(int successes, int err) {
  std::lock_guard lock(mu_);
  write_countdown_ = successes;
  write_errno_ = err;
}

void FaultInjectingFileIo::FailSyncAfter(int successes, int err) {
  std::lock_guard lock(mu_);
  sync_countdown_ = successes;
  sync_errno_ = err;
}

void FaultInjectingFileIo::Clear() {
  std::lock_guard lock(mu_);
  write_countdown_ = sync_countdown_ = -1;
}

Status FaultInjectingFileIo::PWrite(int fd, const void* data, size_t n, int64_t pos,
                                    std::string_view path) {
  ++writes_;
  int err = 0;
  {
    std::lock_guard lock(mu_);
    if (write_countdown_ == 0) {
      err = write_errno_;
      write_countdown_ = -1;
    } else if (write_countdown_ > 0) {
      --write_countdown_;
    }
  }
  if (err == 0) return FileIo::PWrite(fd, data, n, pos, path);
  // Tear the write: half lands, then the device "fills up".
  Status partial = FileIo::PWrite(fd, data, n / 2, pos, path);
  (void)partial;
  errno = err;
  return Status::FromErrno("pwrite (injected)", path);
}

Status FaultInjectingFileIo::Sync(int fd, std::string_view path) {
  ++syncs_;
  int err = 0;
  {
    std::lock_guard lock(mu_);
    if (sync_countdown_ == 0) {
      err = sync_errno_;
      sync_countdown_ = -1;
    } else if (sync_countdown_ > 0) {
      --sync_countdown_;
    }
  }
  if (err == 0) return FileIo::Sync(fd, path);
  errno = err;
  return Status::FromErrno("fsync (injected)", path);
}

}  // namespace topicfs::store
