#include "mountd/mount_checks.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "mountd/mount_table.h"

namespace topicfs::mountd {

namespace fsys = std::filesystem;

std::optional<std::string> PrepareDataDir(const std::string& given, DataDir* out) {
  std::error_code ec;
  fsys::path absolute = fsys::absolute(given, ec).lexically_normal();
  if (ec) return fmt::format("data directory {}: {}", given, ec.message());
  // "data/" normalises to "data/" with an empty last component.
  if (!absolute.has_filename()) absolute = absolute.parent_path();
  out->path = absolute.string();
  out->created = false;
  if (::mkdir(out->path.c_str(), 0755) == 0) {
    out->created = true;
    return std::nullopt;
  }
  const int e = errno;
  if (e == EEXIST) {
    if (!fsys::is_directory(out->path, ec)) return fmt::format("data directory {} is not a directory", out->path);
    return std::nullopt;
  }
  if (e == ENOENT) {
    return fmt::format("cannot create data directory {}: its parent {} does not exist (topicfs creates "
                       "only the last component)",
                       out->path, absolute.parent_path().string());
  }
  return fmt::format("cannot create data directory {}: {}", out->path, std::strerror(e));
}

std::optional<std::string> CheckMountPoint(const std::string& given, bool nonempty, std::string* resolved) {
  std::error_code ec;
  *resolved = fsys::canonical(given, ec).string();
  if (ec) return fmt::format("mount point {}: {}", given, ec.message());
  if (!fsys::is_directory(*resolved, ec)) return fmt::format("mount point {} is not a directory", *resolved);
  if (auto mounted = FindMount(ReadMountTable(), *resolved); mounted && mounted->type == kMountType) {
    return fmt::format("{} is already a topicfs mount (of {}); unmount it first: topicfs unmount {}",
                       *resolved, mounted->source, *resolved);
  }
  if (!nonempty) {
    fsys::directory_iterator it(*resolved, ec);
    if (!ec && it != fsys::directory_iterator()) {
      return fmt::format("mount point {} is not empty (mounting would hide its files); empty it, or "
                         "mount anyway with -o nonempty",
                         *resolved);
    }
  }
  return std::nullopt;
}

}  // namespace topicfs::mountd
