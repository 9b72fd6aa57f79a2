#pragma once
// The kernel's mount table as this process sees it (/proc/self/mountinfo):
// which file system is mounted where, and from what. The daemon reads it to
// refuse stacking on a topicfs mount, to tell when its own mount was
// detached (a lazy unmount), and `topicfs unmount` to find the data
// directory behind a mount point (the daemon mounts with fsname=DATA_DIR).
//
// Thread safety: plain values and functions; no state is shared.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace topicfs::mountd {

// The file system type topicfs mounts show (FUSE's "fuse." + subtype).
inline constexpr std::string_view kMountType = "fuse.topicfs";

struct MountEntry {
  int id = 0;               // unique among the mounts that exist at once
  std::string mount_point;  // unescaped
  std::string type;         // "fuse.topicfs", "ext4", ...
  std::string source;       // for topicfs: the data directory
};

// Every mount, in the kernel's order (a later one at a path covers an
// earlier one). Empty when the table cannot be read.
std::vector<MountEntry> ReadMountTable(const std::string& path = "/proc/self/mountinfo");

// The topmost mount at `mount_point` (an absolute, resolved path), if any.
std::optional<MountEntry> FindMount(const std::vector<MountEntry>& table, std::string_view mount_point);

// Whether a mount with this id is still in the table.
bool HasMount(const std::vector<MountEntry>& table, int id);

// mountinfo's escapes (\040 for a space, \011, \012, \134) undone.
std::string UnescapeMountField(std::string_view field);

}  // namespace topicfs::mountd
