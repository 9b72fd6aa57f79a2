#include "fs/node_table.h"

#include <charconv>

namespace topicfs::fs {
namespace {

constexpr int kPartitionBits = 20;
constexpr uint64_t kHashMask = (uint64_t{1} << 42) - 1;

uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

std::optional<int32_t> ParsePartitionName(std::string_view name) {
  if (name.empty() || name[0] < '0' || name[0] > '9') return std::nullopt;
  if (name.size() > 1 && name[0] == '0') return std::nullopt;
  int32_t p = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + name.size(), p);
  if (ec != std::errc() || ptr != name.data() + name.size()) return std::nullopt;
  return p;
}

NodeTable::NodeTable() = default;

uint64_t NodeTable::TopicIno(std::string_view topic) {
  store::MutexLock lock(&mu_);
  return TopicInoLocked(topic);
}

uint64_t NodeTable::TopicInoLocked(std::string_view topic) {
  auto known = ino_by_topic_.find(std::string(topic));
  if (known != ino_by_topic_.end()) return known->second;
  // +1 keeps every topic away from the root's number 1.
  uint64_t slot = (Fnv1a64(topic) & kHashMask) + 1;
  while (topic_by_ino_.count(slot << kPartitionBits) || retired_.count(slot << kPartitionBits)) {
    slot = (slot + 1) & kHashMask;
  }
  uint64_t ino = slot << kPartitionBits;
  topic_by_ino_.emplace(ino, std::string(topic));
  ino_by_topic_.emplace(std::string(topic), ino);
  return ino;
}

uint64_t NodeTable::PartitionIno(std::string_view topic, int32_t partition) {
  store::MutexLock lock(&mu_);
  return TopicInoLocked(topic) + static_cast<uint64_t>(partition) + 1;
}

std::optional<Node> NodeTable::Find(uint64_t ino) const {
  if (ino == kRootIno) return Node{};
  store::MutexLock lock(&mu_);
  uint64_t topic_ino = ino & ~((uint64_t{1} << kPartitionBits) - 1);
  auto it = topic_by_ino_.find(topic_ino);
  if (it == topic_by_ino_.end()) return std::nullopt;
  uint64_t low = ino - topic_ino;
  if (low == 0) return Node{Node::Kind::kTopic, it->second, -1};
  return Node{Node::Kind::kPartition, it->second, static_cast<int32_t>(low - 1)};
}

void NodeTable::RemoveTopic(std::string_view topic) {
  store::MutexLock lock(&mu_);
  auto it = ino_by_topic_.find(std::string(topic));
  if (it == ino_by_topic_.end()) return;
  topic_by_ino_.erase(it->second);
  retired_.insert(it->second);
  ino_by_topic_.erase(it);
}

}  // namespace topicfs::fs
