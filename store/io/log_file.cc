#include "store/io/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace topicfs::store {
namespace {

constexpr int64_t kPageSize = 4096;
constexpr int64_t kMinMapCapacity = 1 << 20;
// Blocks reserved ahead of the end: as much as the file already holds,
// from 256 KiB (a partition that receives little reserves little) to 8 MiB.
constexpr int64_t kMinReserve = 256 << 10;
constexpr int64_t kMaxReserve = 8 << 20;

int64_t RoundUpToPage(int64_t n) { return (n + kPageSize - 1) / kPageSize * kPageSize; }

Status ClosedError(const std::string& path) {
  return Status::IoError(EBADF, fmt::format("{}: file is closed", path));
}

}  // namespace

LogFile::LogFile(std::string path, int fd, int64_t size, int64_t map_capacity_hint, FileIo* io,
                 FileCache* cache)
    : io_(io),
      map_capacity_hint_(map_capacity_hint),
      size_(size),
      path_(std::move(path)),
      fd_(fd),
      cache_entry_(cache, &LogFile::Park, this) {}

Result<std::unique_ptr<LogFile>> LogFile::Open(std::string path, OpenMode mode,
                                               int64_t map_capacity_hint, FileIo* io,
                                               FileCache* cache) {
  int flags = O_RDWR;
  if (mode == OpenMode::kNew) flags |= O_CREAT | O_EXCL;
  if (mode == OpenMode::kScratch) flags |= O_CREAT | O_TRUNC;
  auto fd = FileCache::Open(cache, *io, path, flags);
  if (!fd.ok() && mode == OpenMode::kNew && fd.status().sys_errno() == EEXIST) {
    // Left by a crash between creating a segment and its first append (or
    // by a roll that failed): empty, it is ours to take over.
    fd = FileCache::Open(cache, *io, path, O_RDWR);
  }
  if (!fd.ok()) return fd.status();
  auto size = io->Size(*fd, path);
  if (!size.ok()) {
    io->Close(*fd);
    return size.status();
  }
  if (mode == OpenMode::kNew && *size != 0) {
    io->Close(*fd);
    return Status::AlreadyExists(fmt::format(
        "{} already exists and holds {} bytes: a new segment does not overwrite it", path, *size));
  }
  std::unique_ptr<LogFile> file(new LogFile(std::move(path), *fd, *size, map_capacity_hint, io, cache));
  file->cache_entry_.Used();
  return file;
}

LogFile::~LogFile() { Close(); }

std::string LogFile::path() const {
  ReaderLock lock(&mu_);
  return path_;
}

bool LogFile::Park(void* self) {
  auto* file = static_cast<LogFile*>(self);
  if (!file->mu_.TryLock()) return false;
  WriterLock lock(&file->mu_, kAdoptLock);
  if (file->deleted_) return false;
  file->ReleaseReservedLocked();
  file->io_->Close(file->fd_);
  file->fd_ = -1;
  file->map_.reset();
  return true;
}

Status LogFile::ReopenLocked() const {
  if (fd_ >= 0) return Status::Ok();
  if (closed_) return ClosedError(path_);
  // Shorter than what was published: someone else cut the file.
  ASSIGN_OR_RETURN(int fd, FileCache::Reopen(cache_entry_.cache(), *io_, path_, size()));
  fd_ = fd;
  return Status::Ok();
}

template <typename Fn>
auto LogFile::WithDescriptor(Fn&& fn) const -> decltype(fn(0)) {
  ReaderLock lock(&mu_);
  while (fd_ < 0) {
    lock.Unlock();
    {
      WriterLock exclusive(&mu_);
      RETURN_IF_ERROR(ReopenLocked());
    }
    lock.Lock();
  }
  cache_entry_.Used();
  return fn(fd_);
}

Status LogFile::Write(std::string_view bytes, int64_t first_size) {
  const int64_t old_size = size();
  const int64_t new_size = old_size + static_cast<int64_t>(bytes.size());
  first_size = std::clamp<int64_t>(first_size, 0, static_cast<int64_t>(bytes.size()));
  Status s = WithDescriptor([&](int fd) REQUIRES_SHARED(mu_) {
    if (reserve_ && new_size > reserved_end_) {
      const int64_t from = std::max(reserved_end_, old_size);
      // Never past the size the file is expected to reach.
      int64_t to = new_size + std::clamp(new_size, kMinReserve, kMaxReserve);
      if (map_capacity_hint_ > 0) to = std::min(to, std::max(new_size, map_capacity_hint_));
      if (to > from) {
        if (io_->Reserve(fd, from, to - from, path_).ok()) reserved_end_ = to;
        else reserve_ = false;
      }
    }
    if (first_size > 0 && first_size < static_cast<int64_t>(bytes.size())) {
      std::string_view rest = bytes.substr(static_cast<size_t>(first_size));
      RETURN_IF_ERROR(io_->PWrite(fd, rest.data(), rest.size(), old_size + first_size, path_));
      bytes = bytes.substr(0, static_cast<size_t>(first_size));
    }
    return io_->PWrite(fd, bytes.data(), bytes.size(), old_size, path_);
  });
  // Leave no torn batch behind for a reader of the file; recovery would
  // cut it anyway, but the file should say what size() says.
  if (!s.ok()) (void)DropUnpublished();
  return s;
}

void LogFile::Publish(int64_t bytes) { size_.store(size() + bytes, std::memory_order_release); }

Status LogFile::DropUnpublished() {
  return WithDescriptor([&](int fd) REQUIRES_SHARED(mu_) { return io_->Truncate(fd, size(), path_); });
}

void LogFile::ReleaseReserved() {
  WriterLock lock(&mu_);
  ReleaseReservedLocked();
}

void LogFile::ReleaseReservedLocked() {
  const int64_t size = this->size();
  // Cutting the file to its own length frees the blocks past it (ext4 does
  // not punch holes past the end). The cut must not count as a modification:
  // the mtime is Kafka's fallback segment age, so it is put back.
  struct stat st {};
  // Only a file that is as long as this one believes: never lengthen one.
  if (fd_ >= 0 && reserved_end_ > size && ::fstat(fd_, &st) == 0 && st.st_size == size) {
    (void)io_->Truncate(fd_, size, path_);
    const struct timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
    (void)::futimens(fd_, times);
  }
  reserved_end_ = 0;
}

Status LogFile::TruncateTo(int64_t size) {
  RETURN_IF_ERROR(
      WithDescriptor([&](int fd) REQUIRES_SHARED(mu_) { return io_->Truncate(fd, size, path_); }));
  size_.store(size, std::memory_order_release);
  return Status::Ok();
}

Status LogFile::RemoveRange(int64_t from, int64_t to, const std::string& scratch_path) {
  const int64_t size = this->size();
  if (to >= size) return TruncateTo(from);
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(ReopenLocked());
  ASSIGN_OR_RETURN(int scratch, io_->Open(scratch_path, O_RDWR | O_CREAT | O_TRUNC));
  auto copy = [&](int64_t begin, int64_t end, int64_t at) REQUIRES_SHARED(mu_) -> Status {
    std::string buf(std::min<int64_t>(end - begin, 1 << 20), '\0');
    while (begin < end) {
      const size_t n = static_cast<size_t>(std::min<int64_t>(end - begin, static_cast<int64_t>(buf.size())));
      ASSIGN_OR_RETURN(size_t got, io_->PRead(fd_, buf.data(), n, begin, path_));
      if (got != n) return Status::Corruption(fmt::format("{} ended at {} while copying", path_, begin + got));
      RETURN_IF_ERROR(io_->PWrite(scratch, buf.data(), n, at, scratch_path));
      begin += static_cast<int64_t>(n);
      at += static_cast<int64_t>(n);
    }
    return Status::Ok();
  };
  Status st = copy(0, from, 0);
  if (st.ok()) st = copy(to, size, from);
  if (st.ok()) st = io_->Sync(scratch, scratch_path);
  if (st.ok()) st = io_->Rename(scratch_path, path_);
  if (!st.ok()) {
    io_->Close(scratch);
    (void)io_->Remove(scratch_path);
    return st;
  }
  ReleaseReservedLocked();
  io_->Close(fd_);
  fd_ = scratch;
  map_.reset();
  size_.store(size - (to - from), std::memory_order_release);
  size_t slash = path_.find_last_of('/');
  return io_->SyncDir(slash == std::string::npos ? "." : path_.substr(0, slash));
}

Status LogFile::Flush() {
  return WithDescriptor([&](int fd) REQUIRES_SHARED(mu_) { return io_->Sync(fd, path_); });
}

Status LogFile::Rename(const std::string& new_path) {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(io_->Rename(path_, new_path));
  path_ = new_path;
  return Status::Ok();
}

Status LogFile::Delete() {
  WriterLock lock(&mu_);
  // The descriptor stays open (and is not parked from now on): a reader
  // that still holds this segment can map and finish its read; the space is
  // freed when the last holder goes.
  if (!closed_) RETURN_IF_ERROR(ReopenLocked());
  RETURN_IF_ERROR(io_->Remove(path_));
  deleted_ = true;
  return Status::Ok();
}

void LogFile::Close() {
  WriterLock lock(&mu_);
  ReleaseReservedLocked();
  io_->Close(fd_);
  fd_ = -1;
  map_.reset();
  closed_ = true;
  cache_entry_.Closed();
}

int64_t LogFile::LastModifiedMs() const {
  struct stat st {};
  if (::stat(path().c_str(), &st) != 0) return 0;
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

Status LogFile::SetLastModifiedMs(int64_t ms) {
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = ms / 1000;
  times[1].tv_nsec = (ms % 1000) * 1'000'000;
  const std::string path = this->path();
  if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) return Status::FromErrno("utimensat", path);
  return Status::Ok();
}

Result<int> LogFile::Duplicate() const {
  return WithDescriptor([&](int fd) REQUIRES_SHARED(mu_) { return io_->Duplicate(fd, path_); });
}

Result<std::shared_ptr<const LogFile::Mapping>> LogFile::Map() const {
  const int64_t need = size();
  {
    ReaderLock lock(&mu_);
    if (map_ != nullptr && map_->capacity() >= need) {
      cache_entry_.Used();
      return map_;
    }
  }
  WriterLock lock(&mu_);
  if (map_ == nullptr || map_->capacity() < need) {
    RETURN_IF_ERROR(ReopenLocked());
    int64_t capacity = RoundUpToPage(std::max({need * 2, map_capacity_hint_, kMinMapCapacity}));
    ASSIGN_OR_RETURN(const char* data, io_->Map(fd_, capacity, path_));
    map_ = std::make_shared<const Mapping>(io_, data, capacity);
  }
  cache_entry_.Used();
  return map_;
}

}  // namespace topicfs::store
