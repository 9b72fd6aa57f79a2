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
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

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
  uint64_t TopicIno(std::string_view topic);
  // The inode of a partition file (registers the topic too).
  uint64_t PartitionIno(std::string_view topic, int32_t partition);
  std::optional<Node> Find(uint64_t ino) const;
  // Forgets a deleted topic and its partitions.
  void RemoveTopic(std::string_view topic);

 private:
  uint64_t TopicInoLocked(std::string_view topic);

  mutable std::mutex mu_;
  std::unordered_map<uint64_t, std::string> topic_by_ino_;  // guarded by mu_
  std::unordered_map<std::string, uint64_t> ino_by_topic_;  // guarded by mu_
  std::unordered_set<uint64_t> retired_;                    // guarded by mu_
};

}  // namespace topicfs::fs
