#pragma once
// Inode numbers for the tree: the root, one directory per topic, one file
// per partition. Numbers are derived from names, so they are the same on
// every mount: a topic's number is a 42-bit hash of its name shifted left by
// 20 bits, and its partition p is that number + p + 1. A hash collision
// between two live topics moves the later one to the next free slot. A topic
// deleted during this mount retires its number: the kernel may still hold
// the old (dead) directory inode, so a re-created topic of the same name
// gets the next free slot, a new inode for a new life.
//
// Thread safety: all methods may be called concurrently.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "store/base/mutex.h"

namespace topicfs::fs {

inline constexpr uint64_t kRootIno = 1;
inline constexpr int32_t kMaxPartitions = (1 << 20) - 2;

// The partition number a file name in a topic names: decimal digits only,
// no leading zero ("01" and "-0" are not partition 1 and 0), fitting int32.
std::optional<int32_t> ParsePartitionName(std::string_view name);

struct Node {
  enum class Kind { kRoot, kTopic, kPartition };
  Kind kind = Kind::kRoot;
  std::string topic;
  int32_t partition = -1;
};

class NodeTable {
 public:
  NodeTable();
  // The inode of a topic directory, registering it if new.
  uint64_t TopicIno(std::string_view topic) EXCLUDES(mu_);
  // The inode of a partition file (registers the topic too).
  uint64_t PartitionIno(std::string_view topic, int32_t partition) EXCLUDES(mu_);
  std::optional<Node> Find(uint64_t ino) const EXCLUDES(mu_);
  // Forgets a deleted topic and its partitions.
  void RemoveTopic(std::string_view topic) EXCLUDES(mu_);

 private:
  uint64_t TopicInoLocked(std::string_view topic) REQUIRES(mu_);

  mutable store::Mutex mu_;
  std::unordered_map<uint64_t, std::string> topic_by_ino_ GUARDED_BY(mu_);
  std::unordered_map<std::string, uint64_t> ino_by_topic_ GUARDED_BY(mu_);
  std::unordered_set<uint64_t> retired_ GUARDED_BY(mu_);
};

}  // namespace topicfs::fs
