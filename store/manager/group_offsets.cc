#include "store/manager/group_offsets.h"

#include <algorithm>
#include <set>

#include "store/format/consumer_offsets_format.h"
#include "store/log/log_segment.h"

namespace topicfs::store {
namespace co = consumer_offsets;
namespace {

constexpr size_t kMaxGroupNameBytes = 255;

// Kafka forces these on __consumer_offsets whatever the defaults say.
ConfigOverrides ForcedConfig() {
  return {{"cleanup.policy", "compact"},
          {"segment.bytes", std::to_string(co::kSegmentBytes)},
          {"compression.type", "producer"},
          {"partitions", std::to_string(co::kDefaultPartitions)}};
}

std::string CommitKey(std::string_view group, const TopicPartition& tp) {
  return co::EncodeKey({std::string(group), tp.topic, tp.partition});
}

}  // namespace

GroupOffsets::GroupOffsets(LogManager& manager, const Clock& clock) : manager_(manager), clock_(clock) {}

Result<std::unique_ptr<GroupOffsets>> GroupOffsets::Open(LogManager& manager, const Clock& clock) {
  std::unique_ptr<GroupOffsets> offsets(new GroupOffsets(manager, clock));
  RETURN_IF_ERROR(offsets->Load());
  RETURN_IF_ERROR(offsets->ForgetDeletedTopics());
  return offsets;
}

Status GroupOffsets::ValidateGroupName(std::string_view group) {
  if (group.empty()) return Status::InvalidArgument("group name is empty");
  if (group.size() > kMaxGroupNameBytes) {
    return Status::InvalidArgument(
        fmt::format("group name is {} bytes long, at most {} allowed", group.size(), kMaxGroupNameBytes));
  }
  if (group.find('/') != std::string_view::npos) {
    return Status::InvalidArgument("group name contains '/'");
  }
  if (group.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("group name contains a NUL byte");
  }
  return Status::Ok();
}

Status GroupOffsets::Load() {
  Result<int32_t> partitions = manager_.PartitionCount(co::kTopic);
  if (!partitions.ok()) return Status::Ok();  // no commit was ever made
  for (int32_t p = 0; p < *partitions; ++p) {
    std::shared_ptr<Log> log = manager_.GetLog(co::kTopic, p);
    if (log == nullptr) continue;
    // Segments in offset order and records in batch order: a later record
    // for a key replaces an earlier one, as compaction would keep it.
    // A damaged batch (withheld by the read) costs its commits, not the
    // mount: the positions before and after it still count, and the
    // warning says what was skipped.
    for (const auto& segment : log->Segments()) {
      auto batches = segment->Batches();
      if (!batches.ok()) {
        warnings_.push_back(fmt::format("{} segment {} skipped: {}", log->topic_partition().DirName(),
                                        segment->base_offset().value, batches.status().ToString()));
        continue;
      }
      for (const BatchLocation& batch : *batches) {
        Status read = segment->ForEachRecord(batch, [&](const RecordView& r) { Apply(r, *log); });
        if (!read.ok()) {
          warnings_.push_back(fmt::format("{} batch at offset {} skipped: {}", log->topic_partition().DirName(),
                                          batch.base_offset.value, read.ToString()));
        }
      }
    }
  }
  return Status::Ok();
}

void GroupOffsets::Apply(const RecordView& record, const Log& where) {
  WriterLock lock(&mu_);
  auto warn = [&](std::string_view why) {
    warnings_.push_back(fmt::format("{} record at offset {} skipped: {}", where.topic_partition().DirName(),
                                    record.offset, why));
  };
  if (!record.key) return warn("null key");
  Result<std::optional<co::OffsetCommitKey>> key = co::DecodeKey(*record.key);
  if (!key.ok()) return warn(key.status().message());
  if (!key->has_value()) return;  // group metadata and newer record types
  co::OffsetCommitKey& k = **key;
  TopicPartition tp{std::move(k.topic), k.partition};
  if (!record.value) return ErasePositionLocked(k.group, tp);
  Result<co::OffsetCommitValue> value = co::DecodeValue(*record.value);
  if (!value.ok()) return warn(value.status().message());
  positions_[std::move(tp)][std::move(k.group)] = Offset(value->offset);
}

Status GroupOffsets::ForgetDeletedTopics() {
  std::set<std::string> gone;
  {
    ReaderLock lock(&mu_);
    for (const auto& [tp, groups] : positions_) {
      if (!manager_.TopicExists(tp.topic)) gone.insert(tp.topic);
    }
  }
  for (const std::string& topic : gone) RETURN_IF_ERROR(ForgetTopic(topic));
  return Status::Ok();
}

void GroupOffsets::ErasePositionLocked(std::string_view group, const TopicPartition& tp) {
  auto it = positions_.find(tp);
  if (it == positions_.end()) return;
  if (auto g = it->second.find(group); g != it->second.end()) it->second.erase(g);
  if (it->second.empty()) positions_.erase(it);
}

std::optional<Offset> GroupOffsets::Committed(std::string_view group, const TopicPartition& tp) const {
  ReaderLock lock(&mu_);
  auto it = positions_.find(tp);
  if (it == positions_.end()) return std::nullopt;
  auto g = it->second.find(group);
  if (g == it->second.end()) return std::nullopt;
  return g->second;
}

std::vector<std::string> GroupOffsets::Groups(const TopicPartition& tp) const {
  ReaderLock lock(&mu_);
  std::vector<std::string> names;
  auto it = positions_.find(tp);
  if (it == positions_.end()) return names;
  for (const auto& [group, offset] : it->second) names.push_back(group);
  return names;  // sorted: the map is
}

Result<std::shared_ptr<Log>> GroupOffsets::LogForGroup(std::string_view group) {
  if (!manager_.TopicExists(co::kTopic)) {
    RETURN_IF_ERROR(manager_.EnsureInternalTopic(co::kTopic, ForcedConfig()));
  }
  // The existing topic's count, as Kafka's coordinator uses the metadata's.
  ASSIGN_OR_RETURN(int32_t partitions, manager_.PartitionCount(co::kTopic));
  int32_t p = co::PartitionForGroup(group, partitions);
  std::shared_ptr<Log> log = manager_.GetLog(co::kTopic, p);
  if (log == nullptr) return Status::NotFound(fmt::format("{}-{} is gone", co::kTopic, p));
  return log;
}

Mutex& GroupOffsets::AppendLockFor(const Log& log) {
  return append_mu_[static_cast<size_t>(log.topic_partition().partition) % kAppendLocks];
}

Status GroupOffsets::AppendDurably(Log& log, std::span<const KeyValue> records) {
  RETURN_IF_ERROR(log.AppendRecords(records).status());
  return log.Flush();
}

Status GroupOffsets::Commit(std::string_view group, const TopicPartition& tp, Offset offset) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  if (offset.value < 0) return Status::InvalidArgument(fmt::format("negative offset {}", offset));
  Result<int32_t> partitions = manager_.PartitionCount(tp.topic);
  if (!partitions.ok() || tp.partition < 0 || tp.partition >= *partitions) {
    return Status::NotFound(fmt::format("no partition {}", tp.DirName()));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<Log> log, LogForGroup(group));
  co::OffsetCommitValue v;
  v.offset = offset.value;
  v.commit_timestamp = clock_.Now().value;
  const std::string key = CommitKey(group, tp);
  const std::string value = co::EncodeValue(v);
  const KeyValue record{key, value};

  MutexLock append(&AppendLockFor(*log));
  RETURN_IF_ERROR(AppendDurably(*log, {&record, 1}));
  WriterLock lock(&mu_);
  auto& groups = positions_[tp];
  auto it = groups.find(group);
  if (it == groups.end()) {
    groups.emplace(std::string(group), offset);
  } else {
    it->second = offset;
  }
  return Status::Ok();
}

Status GroupOffsets::Forget(std::string_view group, const TopicPartition& tp) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  if (!Committed(group, tp)) return Status::Ok();
  ASSIGN_OR_RETURN(std::shared_ptr<Log> log, LogForGroup(group));
  const std::string key = CommitKey(group, tp);
  const KeyValue tombstone{key, std::nullopt};

  MutexLock append(&AppendLockFor(*log));
  RETURN_IF_ERROR(AppendDurably(*log, {&tombstone, 1}));
  WriterLock lock(&mu_);
  ErasePositionLocked(group, tp);
  return Status::Ok();
}

Status GroupOffsets::ForgetTopic(std::string_view topic) {
  // The keys to tombstone, by the __consumer_offsets partition they live in.
  std::map<std::string, std::vector<TopicPartition>> by_group;
  {
    ReaderLock lock(&mu_);
    for (auto it = positions_.lower_bound(TopicPartition{std::string(topic), 0});
         it != positions_.end() && it->first.topic == topic; ++it) {
      for (const auto& [group, offset] : it->second) by_group[group].push_back(it->first);
    }
  }
  if (by_group.empty()) return Status::Ok();
  std::map<std::shared_ptr<Log>, std::vector<std::pair<std::string, TopicPartition>>> by_log;
  for (auto& [group, tps] : by_group) {
    ASSIGN_OR_RETURN(std::shared_ptr<Log> log, LogForGroup(group));
    for (TopicPartition& tp : tps) by_log[log].emplace_back(group, std::move(tp));
  }
  // One append per partition: all of its tombstones land, or none.
  for (const auto& [log, keys] : by_log) {
    std::vector<std::string> encoded;
    std::vector<KeyValue> tombstones;
    encoded.reserve(keys.size());
    for (const auto& [group, tp] : keys) encoded.push_back(CommitKey(group, tp));
    for (const std::string& key : encoded) tombstones.push_back({key, std::nullopt});

    MutexLock append(&AppendLockFor(*log));
    RETURN_IF_ERROR(AppendDurably(*log, tombstones));
    WriterLock lock(&mu_);
    for (const auto& [group, tp] : keys) ErasePositionLocked(group, tp);
  }
  return Status::Ok();
}

}  // namespace topicfs::store
