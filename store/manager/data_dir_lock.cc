#include "store/manager/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <utility>

#include "store/format/file_names.h"
#include "store/io/atomic_file.h"

namespace topicfs::store {
namespace {

// A write lock over the whole file, however long (l_start = l_len = 0).
// Open-file-description owned (F_OFD_SETLK): unlike a classic fcntl lock it
// survives the daemon's fork and is not dropped when this process closes
// some other descriptor of the file, and it still conflicts with the
// classic lock a broker holds. 0, or the errno.
int RecordLockWholeFile(int fd) {
  struct flock whole_file = {};
  whole_file.l_type = F_WRLCK;
  whole_file.l_whence = SEEK_SET;
  return ::fcntl(fd, F_OFD_SETLK, &whole_file) == 0 ? 0 : errno;
}

}  // namespace

DataDirLock::DataDirLock(DataDirLock&& other) noexcept
    : data_dir_(std::move(other.data_dir_)),
      io_(other.io_),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      dir_lock_fd_(std::exchange(other.dir_lock_fd_, -1)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    Release();
    data_dir_ = std::move(other.data_dir_);
    io_ = other.io_;
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    dir_lock_fd_ = std::exchange(other.dir_lock_fd_, -1);
  }
  return *this;
}

Result<DataDirLock> DataDirLock::Acquire(const std::string& data_dir, FileIo& io,
                                         std::vector<std::string>* warnings) {
  DataDirLock lock;
  lock.data_dir_ = data_dir;
  lock.io_ = &io;
  ASSIGN_OR_RETURN(lock.dir_lock_fd_, io.Open(data_dir, O_RDONLY | O_DIRECTORY));
  const std::string path = data_dir + "/" + std::string(kLockFile);
  if (::flock(lock.dir_lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int e = errno;
    if (e != EWOULDBLOCK) return Status::IoError(e, "flock " + data_dir + ": " + Status::ErrnoName(e));
    std::string holder;
    if (auto pid = ReadSmallFile(path, io); pid.ok() && !pid->empty()) {
      holder = fmt::format(" (pid {})", std::string_view(*pid).substr(0, pid->find('\n')));
    }
    return Status::Busy(fmt::format("data directory {} is in use by another process{}", data_dir, holder));
  }
  auto fd = io.Open(path, O_RDWR | O_CREAT);
  if (!fd.ok()) {
    // The directory lock excludes other daemons; a .lock that cannot be
    // written (a directory of that name, say) only loses the pid.
    warnings->push_back(fmt::format("cannot write our pid to {}: {}", path, fd.status().message()));
    return lock;
  }
  lock.lock_fd_ = *fd;
  if (::flock(lock.lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    // Held by something that does not lock the directory: an older topicfs.
    return Status::Busy(fmt::format("data directory {} is in use by another process ({} is locked: {})",
                                    data_dir, path, Status::ErrnoName(errno)));
  }
  if (int e = RecordLockWholeFile(lock.lock_fd_); e != 0) {
    if (e == EAGAIN || e == EACCES) {
      return Status::Busy(fmt::format("data directory {} is in use by another process ({} holds a "
                                      "record lock, as a Kafka broker takes it)", data_dir, path));
    }
    // A kernel or filesystem without OFD locks: flock still excludes topicfs.
    warnings->push_back(fmt::format("cannot take a record lock on {} ({}): a Kafka broker would not "
                                    "be kept out", path, Status::ErrnoName(e)));
  }
  RETURN_IF_ERROR(lock.RecordOwner());
  return lock;
}

Status DataDirLock::RecordOwner() {
  if (lock_fd_ < 0) return Status::Ok();
  const std::string path = data_dir_ + "/" + std::string(kLockFile);
  std::string pid = fmt::format("{}\n", ::getpid());
  RETURN_IF_ERROR(io_->Truncate(lock_fd_, 0, path));
  return io_->PWrite(lock_fd_, pid.data(), pid.size(), 0, path);
}

void DataDirLock::Release() {
  if (io_ == nullptr) return;
  io_->Close(lock_fd_);
  io_->Close(dir_lock_fd_);
  lock_fd_ = dir_lock_fd_ = -1;
}

BrokerRecordLock::BrokerRecordLock(BrokerRecordLock&& other) noexcept
    : path_(std::move(other.path_)),
      io_(other.io_),
      fd_(std::exchange(other.fd_, -1)),
      created_(std::exchange(other.created_, false)) {}

Result<BrokerRecordLock> BrokerRecordLock::Acquire(const std::string& path, FileIo& io) {
  BrokerRecordLock lock;
  lock.path_ = path;
  lock.io_ = &io;
  lock.created_ = ::access(path.c_str(), F_OK) != 0;
  ASSIGN_OR_RETURN(lock.fd_, io.Open(path, O_RDWR | O_CREAT));
  if (int e = RecordLockWholeFile(lock.fd_); e != 0) {
    if (e == EAGAIN || e == EACCES) {
      return Status::Busy(fmt::format("{} is locked: a Kafka broker (or topicfs) is using the directory", path));
    }
    return Status::IoError(e, fmt::format("cannot take a record lock on {}: {}", path, Status::ErrnoName(e)));
  }
  return lock;
}

void BrokerRecordLock::Release() {
  if (fd_ < 0) return;
  // Removed while still locked: a broker starting now finds none, or ours
  // locked.
  if (created_) (void)io_->Remove(path_);
  io_->Close(fd_);
  fd_ = -1;
}

}  // namespace topicfs::store
