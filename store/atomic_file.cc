#include "store/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

namespace topicfs::store {
namespace {

std::string ParentDirectory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes and syncs the staging file. The caller owns removing it on failure.
Status WriteAndSync(const std::string& tmp, std::string_view contents, FileIo& io) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::FromErrno("open", tmp);
  Status st = io.PWrite(fd, contents.data(), contents.size(), 0, tmp);
  if (st.ok()) st = io.Sync(fd, tmp);
  // close(2) can report a deferred write error (NFS); it must not be lost.
  if (::close(fd) != 0 && st.ok()) st = Status::FromErrno("close", tmp);
  return st;
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view contents, FileIo& io) {
  const std::string tmp = path + ".tmp";
  Status st = WriteAndSync(tmp, contents, io);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Status::FromErrno("rename", tmp);
  }
  if (!st.ok()) {
    // A leftover staging file is harmless but confusing; the next write
    // truncates it anyway, so a failed unlink here is ignored.
    ::unlink(tmp.c_str());
    return st;
  }
  // Without this the rename may be lost on power failure, leaving the old file.
  return SyncDirectory(ParentDirectory(path));
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno("open", dir);
  Status st;
  if (::fsync(fd) != 0) st = Status::FromErrno("fsync", dir);
  ::close(fd);
  return st;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    // Keep ENOENT as the errno so the FUSE layer can still see it.
    if (errno == ENOENT) return Status(Code::kNotFound, ENOENT, path + ": no such file");
    return Status::FromErrno("open", path);
  }
  std::string contents;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status st = Status::FromErrno("read", path);
      ::close(fd);
      return st;
    }
    if (n == 0) break;
    contents.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return contents;
}

}  // namespace topicfs::store
