#include "store/io/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <filesystem>

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

Result<size_t> FileIo::PRead(int fd, void* data, size_t n, int64_t pos, std::string_view path) {
  char* p = static_cast<char*>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd, p + done, n - done, pos + static_cast<int64_t>(done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno("pread", path);
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  return done;
}

Status FileIo::Sync(int fd, std::string_view path) {
  if (::fsync(fd) != 0) return Status::FromErrno("fsync", path);
  return Status::Ok();
}

Result<int> FileIo::Open(const std::string& path, int flags, mode_t mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) return Status::FromErrno("open", path);
  return fd;
}

void FileIo::Close(int fd) {
  if (fd >= 0) ::close(fd);
}

Result<int> FileIo::Duplicate(int fd, std::string_view path) {
  int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) return Status::FromErrno("dup", path);
  return copy;
}

Result<int64_t> FileIo::Size(int fd, std::string_view path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::FromErrno("fstat", path);
  return static_cast<int64_t>(st.st_size);
}

Status FileIo::Truncate(int fd, int64_t size, std::string_view path) {
  if (::ftruncate(fd, size) != 0) return Status::FromErrno("ftruncate", path);
  return Status::Ok();
}

Status FileIo::Reserve(int fd, int64_t from, int64_t length, std::string_view path) {
  if (::fallocate(fd, FALLOC_FL_KEEP_SIZE, from, length) != 0) return Status::FromErrno("fallocate", path);
  return Status::Ok();
}

Result<const char*> FileIo::Map(int fd, int64_t length, std::string_view path) {
  void* p = ::mmap(nullptr, static_cast<size_t>(length), PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return Status::FromErrno("mmap", path);
  return static_cast<const char*>(p);
}

void FileIo::Unmap(const char* data, int64_t length) {
  if (data != nullptr) ::munmap(const_cast<char*>(data), static_cast<size_t>(length));
}

Status FileIo::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Status::FromErrno("rename", from + " -> " + to);
  return Status::Ok();
}

Status FileIo::Remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::FromErrno("unlink", path);
  return Status::Ok();
}

Result<bool> FileIo::MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return true;
  if (errno != EEXIST) return Status::FromErrno("mkdir", path);
  // EEXIST also covers a file or a dangling symlink of that name, which is
  // no directory to put files in.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::IoError(ENOTDIR, fmt::format("mkdir {}: exists and is not a directory", path));
  }
  return false;
}

Status FileIo::RemoveDir(const std::string& path) {
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return Status::FromErrno("rmdir", path);
  return Status::Ok();
}

Status FileIo::SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open", dir);
  Status st;
  if (::fsync(fd) != 0) st = Status::FromErrno("fsync", dir);
  ::close(fd);
  return st;
}

Status FileIo::SyncFilesystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open", path);
  Status st;
  if (::syncfs(fd) != 0) st = Status::FromErrno("syncfs", path);
  ::close(fd);
  return st;
}

Result<std::vector<std::string>> FileIo::List(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno("opendir", dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  // readdir returns nullptr at the end and on an error; only errno tells.
  Status st = errno != 0 ? Status::FromErrno("readdir", dir) : Status::Ok();
  ::closedir(d);
  if (!st.ok()) return st;
  std::sort(names.begin(), names.end());
  return names;
}

Status FileIo::RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IoError(ec.value(), fmt::format("remove {}: {}", path, ec.message()));
  return Status::Ok();
}

FileIo& FileIo::Default() {
  static FileIo io;
  return io;
}

// ---- FaultInjectingFileIo --------------------------------------------------

void FaultInjectingFileIo::FailAfter(unsigned ops, int successes, int err, bool sticky) {
  MutexLock lock(&mu_);
  fail_ops_ = ops;
  countdown_ = successes;
  errno_ = err;
  sticky_ = sticky;
  failing_ = false;
}

void FaultInjectingFileIo::Clear() {
  MutexLock lock(&mu_);
  fail_ops_ = 0;
  countdown_ = -1;
  failing_ = false;
}

int64_t FaultInjectingFileIo::calls(unsigned ops) const {
  int64_t total = 0;
  for (int i = 0; i < kOpKinds; ++i) {
    if ((ops & (1u << i)) != 0) total += calls_[i].load();
  }
  return total;
}

int FaultInjectingFileIo::Injected(Op op) {
  ++calls_[std::countr_zero(static_cast<unsigned>(op))];
  MutexLock lock(&mu_);
  if ((fail_ops_ & op) == 0) return 0;
  if (failing_) {
    ++injected_;
    return errno_;
  }
  if (countdown_ < 0) return 0;
  if (countdown_ > 0) {
    --countdown_;
    return 0;
  }
  countdown_ = -1;
  failing_ = sticky_;
  ++injected_;
  return errno_;
}

Status FaultInjectingFileIo::Fail(int err, std::string_view call, std::string_view path) {
  return Status::IoError(err, fmt::format("{} {} (injected): {}", call, path, Status::ErrnoName(err)));
}

Status FaultInjectingFileIo::PWrite(int fd, const void* data, size_t n, int64_t pos,
                                    std::string_view path) {
  int err = Injected(kWrite);
  if (err == 0) return FileIo::PWrite(fd, data, n, pos, path);
  // Tear the write: half lands, then the device "fills up".
  (void)FileIo::PWrite(fd, data, n / 2, pos, path);
  return Fail(err, "pwrite", path);
}

Result<size_t> FaultInjectingFileIo::PRead(int fd, void* data, size_t n, int64_t pos,
                                           std::string_view path) {
  if (int err = Injected(kRead)) return Fail(err, "pread", path);
  return FileIo::PRead(fd, data, n, pos, path);
}

Status FaultInjectingFileIo::Sync(int fd, std::string_view path) {
  if (int err = Injected(kSync)) return Fail(err, "fsync", path);
  return skip_syncs_ ? Status::Ok() : FileIo::Sync(fd, path);
}

Result<int> FaultInjectingFileIo::Open(const std::string& path, int flags, mode_t mode) {
  if (int err = Injected(kOpen)) return Fail(err, "open", path);
  return FileIo::Open(path, flags, mode);
}

Result<int> FaultInjectingFileIo::Duplicate(int fd, std::string_view path) {
  if (int err = Injected(kOpen)) return Fail(err, "dup", path);
  return FileIo::Duplicate(fd, path);
}

Result<int64_t> FaultInjectingFileIo::Size(int fd, std::string_view path) {
  if (int err = Injected(kSize)) return Fail(err, "fstat", path);
  return FileIo::Size(fd, path);
}

Status FaultInjectingFileIo::Truncate(int fd, int64_t size, std::string_view path) {
  if (int err = Injected(kTruncate)) return Fail(err, "ftruncate", path);
  return FileIo::Truncate(fd, size, path);
}

Status FaultInjectingFileIo::Reserve(int fd, int64_t from, int64_t length, std::string_view path) {
  if (int err = Injected(kReserve)) return Fail(err, "fallocate", path);
  return FileIo::Reserve(fd, from, length, path);
}

Result<const char*> FaultInjectingFileIo::Map(int fd, int64_t length, std::string_view path) {
  if (int err = Injected(kMap)) return Fail(err, "mmap", path);
  return FileIo::Map(fd, length, path);
}

Status FaultInjectingFileIo::Rename(const std::string& from, const std::string& to) {
  if (int err = Injected(kRename)) return Fail(err, "rename", from);
  return FileIo::Rename(from, to);
}

Status FaultInjectingFileIo::Remove(const std::string& path) {
  if (int err = Injected(kRemove)) return Fail(err, "unlink", path);
  return FileIo::Remove(path);
}

Result<bool> FaultInjectingFileIo::MakeDir(const std::string& path) {
  if (int err = Injected(kMakeDir)) return Fail(err, "mkdir", path);
  return FileIo::MakeDir(path);
}

Status FaultInjectingFileIo::RemoveDir(const std::string& path) {
  if (int err = Injected(kRemoveDir)) return Fail(err, "rmdir", path);
  return FileIo::RemoveDir(path);
}

Status FaultInjectingFileIo::SyncDir(const std::string& dir) {
  if (int err = Injected(kSyncDir)) return Fail(err, "fsync", dir);
  return skip_syncs_ ? Status::Ok() : FileIo::SyncDir(dir);
}

Status FaultInjectingFileIo::SyncFilesystem(const std::string& path) {
  if (int err = Injected(kSyncFilesystem)) return Fail(err, "syncfs", path);
  return skip_syncs_ ? Status::Ok() : FileIo::SyncFilesystem(path);
}

Result<std::vector<std::string>> FaultInjectingFileIo::List(const std::string& dir) {
  if (int err = Injected(kList)) return Fail(err, "opendir", dir);
  return FileIo::List(dir);
}

Status FaultInjectingFileIo::RemoveTree(const std::string& path) {
  if (int err = Injected(kRemoveTree)) return Fail(err, "remove", path);
  return FileIo::RemoveTree(path);
}

}  // namespace topicfs::store
