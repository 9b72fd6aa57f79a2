#pragma once
// What the daemon checks before it opens anything, so that a mistake is
// refused with a message rather than carried out: a data directory is
// created only one level deep (a mistyped path fails instead of growing a
// tree), and a mount point must not already be a topicfs mount (stacking
// would hide it) nor hold files (mounting would hide them) unless
// -o nonempty says so.

#include <optional>
#include <string>

namespace topicfs::mountd {

struct DataDir {
  std::string path;      // absolute and normal: the daemon changes directory when it detaches
  bool created = false;  // it did not exist: this mount made it
};

// Makes the data directory if it does not exist, but not its parents.
// Returns an error message, or nullopt with *out filled.
std::optional<std::string> PrepareDataDir(const std::string& given, DataDir* out);

// Checks the mount point; *resolved is its canonical path (what the mount
// table shows). Returns an error message, or nullopt.
std::optional<std::string> CheckMountPoint(const std::string& given, bool nonempty, std::string* resolved);

}  // namespace topicfs::mountd
