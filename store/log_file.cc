#include "store/log_file.h"

#include <fcntl.h>
#include <sys/mman.h>
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

}  // namespace

LogFile::Mapping::~Mapping() {
  if (data_ != nullptr) ::munmap(const_cast<char*>(data_), static_cast<size_t>(capacity_));
}

Result<std::unique_ptr<LogFile>> LogFile::Open(std::string path, bool create,
                                               int64_t map_capacity_hint) {
  int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return Status::FromErrno("open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Status::FromErrno("fstat", path);
    ::close(fd);
    return s;
  }
  return std::unique_ptr<LogFile>(new LogFile(std::move(path), fd, st.st_size, map_capacity_hint));
}

LogFile::~LogFile() { Close(); }

Status LogFile::Write(std::string_view bytes, FileIo& io) {
  const int64_t old_size = size();
  const int64_t new_size = old_size + static_cast<int64_t>(bytes.size());
  if (reserve_ && new_size > reserved_end_) Reserve(new_size);
  Status s = io.PWrite(fd_, bytes.data(), bytes.size(), old_size, path_);
  // Leave no torn batch behind for a reader of the file; recovery would
  // cut it anyway, but the file should say what size() says.
  if (!s.ok()) DropUnpublished();
  return s;
}

void LogFile::Publish(int64_t bytes) { size_.store(size() + bytes, std::memory_order_release); }

void LogFile::DropUnpublished() { (void)::ftruncate(fd_, size()); }

void LogFile::Reserve(int64_t end) {
  const int64_t from = std::max(reserved_end_, size());
  // Never past the size the file is expected to reach.
  int64_t to = end + std::clamp(end, kMinReserve, kMaxReserve);
  if (map_capacity_hint_ > 0) to = std::min(to, std::max(end, map_capacity_hint_));
  if (to <= from) return;
  if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, from, to - from) != 0) {
    reserve_ = false;
    return;
  }
  reserved_end_ = to;
}

void LogFile::ReleaseReserved() {
  const int64_t size = this->size();
  // Cutting the file to its own length frees the blocks past it (ext4 does
  // not punch holes past the end). The cut must not count as a modification:
  // the mtime is Kafka's fallback segment age, so it is put back.
  struct stat st {};
  // Only a file that is as long as this one believes: never lengthen one.
  if (fd_ >= 0 && reserved_end_ > size && ::fstat(fd_, &st) == 0 && st.st_size == size) {
    (void)::ftruncate(fd_, size);
    const struct timespec times[2] = {{0, UTIME_OMIT}, st.st_mtim};
    (void)::futimens(fd_, times);
  }
  reserved_end_ = 0;
}

Status LogFile::TruncateTo(int64_t size) {
  if (::ftruncate(fd_, size) != 0) return Status::FromErrno("ftruncate", path_);
  size_.store(size, std::memory_order_release);
  return Status::Ok();
}

Status LogFile::Flush(FileIo& io) { return io.Sync(fd_, path_); }

Status LogFile::Rename(const std::string& new_path) {
  if (::rename(path_.c_str(), new_path.c_str()) != 0) return Status::FromErrno("rename", path_);
  path_ = new_path;
  return Status::Ok();
}

Status LogFile::Delete() {
  // The descriptor stays open: a reader that still holds this segment can
  // map and finish its read; the space is freed when the last holder goes.
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) return Status::FromErrno("unlink", path_);
  return Status::Ok();
}

void LogFile::Close() {
  ReleaseReserved();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

int64_t LogFile::LastModifiedMs() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return 0;
  return int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

Status LogFile::SetLastModifiedMs(int64_t ms) {
  struct timespec times[2];
  times[0].tv_sec = 0;
  times[0].tv_nsec = UTIME_OMIT;
  times[1].tv_sec = ms / 1000;
  times[1].tv_nsec = (ms % 1000) * 1'000'000;
  if (::utimensat(AT_FDCWD, path_.c_str(), times, 0) != 0) return Status::FromErrno("utimensat", path_);
  return Status::Ok();
}

Result<std::shared_ptr<const LogFile::Mapping>> LogFile::Map() const {
  int64_t need = size();
  std::lock_guard lock(map_mu_);
  if (map_ != nullptr && map_->capacity() >= need) return map_;
  if (fd_ < 0) return Status::IoError(EBADF, "map " + path_ + ": file is closed");
  int64_t capacity = RoundUpToPage(std::max({need * 2, map_capacity_hint_, kMinMapCapacity}));
  void* p = ::mmap(nullptr, static_cast<size_t>(capacity), PROT_READ, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) return Status::FromErrno("mmap", path_);
  map_ = std::make_shared<const Mapping>(static_cast<const char*>(p), capacity);
  return map_;
}

}  // namespace topicfs::store
