#include "store/io/atomic_file.h"

#include <algorithm>
#include <string_view>

#include <fcntl.h>
#include <unistd.h>

namespace topicfs::store {
namespace {

// Writes and syncs the staging file. The caller owns removing it on failure.
Status WriteAndSync(const std::string& tmp, std::string_view contents, FileIo& io, bool sync) {
  ASSIGN_OR_RETURN(int fd, io.Open(tmp, O_WRONLY | O_CREAT | O_TRUNC));
  Status st = io.PWrite(fd, contents.data(), contents.size(), 0, tmp);
  if (st.ok() && sync) st = io.Sync(fd, tmp);
  // close(2) can report a deferred write error (NFS); it must not be lost.
  if (::close(fd) != 0 && st.ok()) st = Status::FromErrno("close", tmp);
  return st;
}

}  // namespace

// <path>.tmp, its name cut to fit NAME_MAX: a topic's config file of the
// longest name (249 + ".conf") leaves no room for ".tmp". Cut names share a
// staging file only if they agree in their first 251 bytes, which no two
// files the store writes do.
std::string StagingPathFor(const std::string& path) {
  constexpr size_t kNameMax = 255;
  const size_t slash = path.find_last_of('/');
  const size_t name_start = slash == std::string::npos ? 0 : slash + 1;
  const size_t name_size = path.size() - name_start;
  const size_t keep = std::min(name_size, kNameMax - kStagingSuffix.size());
  return path.substr(0, name_start + keep) + std::string(kStagingSuffix);
}

std::string ParentDirectory(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteFileAtomically(const std::string& path, std::string_view contents, FileIo& io, bool sync) {
  const std::string tmp = StagingPathFor(path);
  Status st = WriteAndSync(tmp, contents, io, sync);
  if (st.ok()) st = io.Rename(tmp, path);
  if (!st.ok()) {
    // A leftover staging file is harmless but confusing; the next write
    // truncates it anyway, so a failed unlink here is ignored.
    (void)io.Remove(tmp);
    return st;
  }
  // Without this the rename may be lost on power failure, leaving the old file.
  return sync ? io.SyncDir(ParentDirectory(path)) : Status::Ok();
}

Status SyncDirectory(const std::string& dir, FileIo& io) { return io.SyncDir(dir); }

Result<std::string> ReadSmallFile(const std::string& path, FileIo& io) {
  auto fd = io.Open(path, O_RDONLY);
  if (!fd.ok()) {
    // Keep ENOENT as the errno so the FUSE layer can still see it.
    if (fd.status().sys_errno() == ENOENT) return Status(Code::kNotFound, ENOENT, path + ": no such file");
    return fd.status();
  }
  std::string contents;
  char buf[8192];
  for (;;) {
    auto n = io.PRead(*fd, buf, sizeof(buf), static_cast<int64_t>(contents.size()), path);
    if (!n.ok()) {
      io.Close(*fd);
      return n.status();
    }
    if (*n == 0) break;
    contents.append(buf, *n);
  }
  io.Close(*fd);
  return contents;
}

}  // namespace topicfs::store
