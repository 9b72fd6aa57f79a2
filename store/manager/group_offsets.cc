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
  if (!key->has_value()) {
    Result<std::optional<std::string>> group = co::DecodeGroupMetadataKey(*record.key);
    if (!group.ok()) return warn(group.status().message());
    if (group->has_value()) ApplyGroupMetadata(std::move(**group), record, where);
    return;  // or a newer record type
  }
  co::OffsetCommitKey& k = **key;
  TopicPartition tp{std::move(k.topic), k.partition};
  if (!record.value) return ErasePositionLocked(k.group, tp);
  Result<co::OffsetCommitValue> value = co::DecodeValue(*record.value);
  if (!value.ok()) return warn(value.status().message());
  positions_[std::move(tp)][std::move(k.group)] =
      Position{Offset(value->offset), value->leader_epoch, std::move(value->metadata), value->commit_timestamp};
}

void GroupOffsets::ApplyGroupMetadata(std::string group, const RecordView& record, const Log& where) {
  if (!record.value) {
    loaded_metadata_.erase(group);
    return;
  }
  Result<co::GroupMetadataValue> value = co::DecodeGroupMetadataValue(*record.value);
  if (!value.ok()) {
    warnings_.push_back(fmt::format("{} group metadata of {} at offset {} skipped: {}",
                                    where.topic_partition().DirName(), group, record.offset,
                                    value.status().message()));
    return;
  }
  loaded_metadata_[std::move(group)] = std::move(value).value();
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
  return g->second.offset;
}

std::optional<GroupOffsets::Position> GroupOffsets::CommittedPosition(std::string_view group,
                                                                      const TopicPartition& tp) const {
  ReaderLock lock(&mu_);
  auto it = positions_.find(tp);
  if (it == positions_.end()) return std::nullopt;
  auto g = it->second.find(group);
  if (g == it->second.end()) return std::nullopt;
  return g->second;
}

std::map<TopicPartition, GroupOffsets::Position> GroupOffsets::PositionsOf(std::string_view group) const {
  ReaderLock lock(&mu_);
  std::map<TopicPartition, Position> out;
  for (const auto& [tp, groups] : positions_) {
    if (auto g = groups.find(group); g != groups.end()) out.emplace(tp, g->second);
  }
  return out;
}

std::vector<std::string> GroupOffsets::GroupsWithPositions() const {
  ReaderLock lock(&mu_);
  std::set<std::string> names;
  for (const auto& [tp, groups] : positions_) {
    for (const auto& [group, position] : groups) names.insert(group);
  }
  return {names.begin(), names.end()};
}

std::map<std::string, co::GroupMetadataValue> GroupOffsets::LoadedGroupMetadata() const {
  ReaderLock lock(&mu_);
  return loaded_metadata_;
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
  const PositionCommit commit{tp, offset, -1, {}};
  return CommitAll(group, {&commit, 1});
}

Status GroupOffsets::CommitAll(std::string_view group, std::span<const PositionCommit> commits) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  if (commits.empty()) return Status::Ok();
  for (const PositionCommit& c : commits) {
    if (c.offset.value < 0) return Status::InvalidArgument(fmt::format("negative offset {}", c.offset));
    Result<int32_t> partitions = manager_.PartitionCount(c.tp.topic);
    if (!partitions.ok() || c.tp.partition < 0 || c.tp.partition >= *partitions) {
      return Status::NotFound(fmt::format("no partition {}", c.tp.DirName()));
    }
  }
  const int64_t now = clock_.Now().value;
  std::vector<std::string> keys, values;
  keys.reserve(commits.size());
  values.reserve(commits.size());
  std::vector<KeyValue> records;
  for (const PositionCommit& c : commits) {
    co::OffsetCommitValue v;
    v.offset = c.offset.value;
    v.leader_epoch = c.leader_epoch;
    v.metadata = c.metadata;
    v.commit_timestamp = now;
    keys.push_back(CommitKey(group, c.tp));
    values.push_back(co::EncodeValue(v));
  }
  for (size_t i = 0; i < commits.size(); ++i) records.push_back({keys[i], values[i]});
  ASSIGN_OR_RETURN(std::shared_ptr<Log> log, LogForGroup(group));
  MutexLock append(&AppendLockFor(*log));
  RETURN_IF_ERROR(AppendDurably(*log, records));
  WriterLock lock(&mu_);
  for (const PositionCommit& c : commits) {
    Position p{c.offset, c.leader_epoch, c.metadata, now};
    auto& groups = positions_[c.tp];
    auto it = groups.find(group);
    if (it == groups.end()) {
      groups.emplace(std::string(group), std::move(p));
    } else {
      it->second = std::move(p);
    }
  }
  return Status::Ok();
}

Status GroupOffsets::ForgetAll(std::string_view group, std::span<const TopicPartition> tps) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  std::vector<TopicPartition> held;
  for (const TopicPartition& tp : tps) {
    if (Committed(group, tp)) held.push_back(tp);
  }
  if (held.empty()) return Status::Ok();
  std::vector<std::string> keys;
  keys.reserve(held.size());
  for (const TopicPartition& tp : held) keys.push_back(CommitKey(group, tp));
  std::vector<KeyValue> tombstones;
  for (const std::string& key : keys) tombstones.push_back({key, std::nullopt});
  ASSIGN_OR_RETURN(std::shared_ptr<Log> log, LogForGroup(group));
  MutexLock append(&AppendLockFor(*log));
  RETURN_IF_ERROR(AppendDurably(*log, tombstones));
  WriterLock lock(&mu_);
  for (const TopicPartition& tp : held) ErasePositionLocked(group, tp);
  return Status::Ok();
}

Status GroupOffsets::WriteGroupMetadata(std::string_view group, const co::GroupMetadataValue& value) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  const std::string key = co::EncodeGroupMetadataKey(group);
  const std::string bytes = co::EncodeGroupMetadataValue(value);
  const KeyValue record{key, bytes};
  ASSIGN_OR_RETURN(std::shared_ptr<Log> log, LogForGroup(group));
  MutexLock append(&AppendLockFor(*log));
  return AppendDurably(*log, {&record, 1});
}

Status GroupOffsets::DeleteGroup(std::string_view group, bool metadata_tombstone) {
  RETURN_IF_ERROR(ValidateGroupName(group));
  std::vector<TopicPartition> held;
  for (const auto& [tp, position] : PositionsOf(group)) held.push_back(tp);
  std::vector<std::string> keys;
  for (const TopicPartition& tp : held) keys.push_back(CommitKey(group, tp));
  if (metadata_tombstone) keys.push_back(co::EncodeGroupMetadataKey(group));
  if (keys.empty()) return Status::Ok();
  std::vector<KeyValue> tombstones;
  for (const std::string& key : keys) tombstones.push_back({key, std::nullopt});
  ASSIGN_OR_RETURN(std::shared_ptr<Log> log, LogForGroup(group));
  MutexLock append(&AppendLockFor(*log));
  RETURN_IF_ERROR(AppendDurably(*log, tombstones));
  WriterLock lock(&mu_);
  for (const TopicPartition& tp : held) ErasePositionLocked(group, tp);
  if (metadata_tombstone) loaded_metadata_.erase(std::string(group));
  return Status::Ok();
}

Status GroupOffsets::Forget(std::string_view group, const TopicPartition& tp) {
  return ForgetAll(group, {&tp, 1});
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
