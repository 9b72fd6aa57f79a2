#pragma once
// Views that the kernel knows: each lookup of `<p>@...` resolves the name
// (fs/view_spec.h) against the partition there and then, and gets an inode
// of its own, so `-10m` means ten minutes before that lookup. Their numbers
// have the top bit set, apart from every topic and partition number
// (fs/node_table.h). The kernel's FORGET drops them.
//
// Thread safety: all methods may be called concurrently.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "fs/view_spec.h"
#include "store/base/mutex.h"
#include "store/base/types.h"

namespace topicfs::fs {

// A view resolved to log offsets.
struct View {
  std::string name;  // "<topic>/<p>@..." for logs
  std::string topic;
  int32_t partition = 0;
  ViewSpec spec;
  store::Offset start;               // position 0 of the view
  std::optional<store::Offset> end;  // exclusive; nullopt: grows with the log
};

inline constexpr uint64_t kViewInoBit = uint64_t{1} << 63;
inline bool IsViewIno(uint64_t ino) { return (ino & kViewInoBit) != 0; }

class ViewTable {
 public:
  // Registers a view with one kernel lookup; returns its inode number.
  uint64_t Add(std::shared_ptr<const View> view) EXCLUDES(mu_);
  std::shared_ptr<const View> Find(uint64_t ino) const EXCLUDES(mu_);
  // The kernel forgot `nlookup` lookups of ino.
  void Forget(uint64_t ino, uint64_t nlookup) EXCLUDES(mu_);
  size_t size() const EXCLUDES(mu_);

 private:
  struct Entry {
    std::shared_ptr<const View> view;
    uint64_t lookups = 0;
  };
  mutable store::Mutex mu_;
  uint64_t next_ GUARDED_BY(mu_) = 1;
  std::unordered_map<uint64_t, Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace topicfs::fs
