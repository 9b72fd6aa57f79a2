// GroupCoordinator: committed offsets through the group (OffsetCommit with
// Kafka's generation and member checks, OffsetFetch, OffsetDelete) and
// DeleteGroups. The positions themselves are GroupOffsets'.

#include "store/groups/group_coordinator.h"

namespace topicfs::store {
namespace {

// What a failed append to __consumer_offsets tells a client: retry later,
// as Kafka maps a failed write of the coordinator's records.
GroupError FromWriteStatus(const Status& s) {
  if (s.ok()) return GroupError::kNone;
  if (s.code() == Code::kNotFound) return GroupError::kUnknownTopicOrPartition;
  if (s.code() == Code::kRecordTooLarge) return GroupError::kInvalidCommitOffsetSize;
  return GroupError::kCoordinatorNotAvailable;
}

// Kafka's ClassicGroup.validateOffsetCommit (non-transactional).
GroupError ValidateCommit(ClassicGroup& group, const OffsetCommitRequest& request) {
  if (group.Is(GroupState::kDead)) return GroupError::kCoordinatorNotAvailable;
  // Generation -1 on an Empty group: a consumer that manages no group (or
  // the admin client, or topicfs's @group= views) may commit.
  if (request.generation_id < 0 && group.Is(GroupState::kEmpty)) return GroupError::kNone;
  if (request.generation_id >= 0 || !request.member_id.empty() || request.group_instance_id) {
    if (request.group_instance_id) {
      auto known = group.StaticMemberId(*request.group_instance_id);
      if (!known) return GroupError::kUnknownMemberId;
      if (*known != request.member_id) return GroupError::kFencedInstanceId;
    }
    if (!group.Has(request.member_id)) return GroupError::kUnknownMemberId;
    if (request.generation_id != group.generation()) return GroupError::kIllegalGeneration;
  } else if (!group.Is(GroupState::kEmpty)) {
    // No member and no generation: only an Empty group takes it.
    return GroupError::kUnknownMemberId;
  }
  // Its generation is current but the rebalance is not done: it must
  // sync first.
  if (group.Is(GroupState::kCompletingRebalance)) return GroupError::kRebalanceInProgress;
  return GroupError::kNone;
}

}  // namespace

// A Kafka client commits the offset after its last record, its last
// record's offset + 1: with offsets as byte positions that is inside the
// record. Stored as it came, a group would show a lag of the record's
// length - 1 however caught up it is; the next record's offset (the log
// end after the last) is where its reader resumes anyway (the @group=
// view's rule), so that is what is kept. Offsets at a record, past the log
// end, or in a partition that cannot say, stay as they came.
Offset GroupCoordinator::ResumePosition(const TopicPartition& tp, Offset committed) const {
  std::shared_ptr<Log> log = manager_.GetLog(tp.topic, tp.partition);
  if (log == nullptr || committed > log->log_end_offset() || committed <= log->log_start_offset()) return committed;
  Result<Offset> next = log->FirstRecordAtOrAfter(committed);
  return next.ok() ? *next : committed;
}

std::vector<PartitionResult> GroupCoordinator::OffsetCommit(const OffsetCommitRequest& request) {
  std::vector<PartitionResult> results;
  auto all = [&](GroupError error) {
    for (const OffsetCommitPartition& p : request.partitions) results.push_back({p.tp, error});
    return results;
  };
  if (request.group_id.empty() || !GroupOffsets::ValidateGroupName(request.group_id).ok()) {
    return all(GroupError::kInvalidGroupId);
  }
  {
    MutexLock lock(&mu_);
    if (shut_down_) return all(GroupError::kNotCoordinator);
    ClassicGroup* group = FindOrAdopt(request.group_id);
    if (group == nullptr) {
      // An unknown group with a generation: a member of a group long gone.
      if (request.generation_id >= 0 || !request.member_id.empty() || request.group_instance_id) {
        return all(GroupError::kIllegalGeneration);
      }
      auto created = std::make_unique<ClassicGroup>(request.group_id, WallNow());
      group = created.get();
      groups_.emplace(request.group_id, std::move(created));
    }
    GroupError error = ValidateCommit(*group, request);
    if (error != GroupError::kNone) return all(error);
    // A commit from a member counts as a sign of life, as in Kafka.
    if (GroupMember* m = group->Find(request.member_id)) {
      m->heartbeat_deadline_ms = MonotonicNow() + m->session_timeout_ms;
    }
  }
  std::vector<GroupOffsets::PositionCommit> commits;
  std::vector<size_t> committed;  // indexes into request.partitions
  results.resize(request.partitions.size());
  for (size_t i = 0; i < request.partitions.size(); ++i) {
    const OffsetCommitPartition& p = request.partitions[i];
    results[i].tp = p.tp;
    if (p.metadata.size() > static_cast<size_t>(options_.offset_metadata_max_bytes)) {
      results[i].error = GroupError::kOffsetMetadataTooLarge;
    } else if (!PartitionExists(p.tp) || p.offset.value < 0) {
      results[i].error = GroupError::kUnknownTopicOrPartition;
    } else {
      commits.push_back({p.tp, ResumePosition(p.tp, p.offset), p.leader_epoch, p.metadata});
      committed.push_back(i);
    }
  }
  GroupError written = FromWriteStatus(offsets_.CommitAll(request.group_id, commits));
  for (size_t i : committed) results[i].error = written;
  return results;
}

OffsetFetchResult GroupCoordinator::OffsetFetch(const std::string& group_id,
                                                const std::optional<std::vector<TopicPartition>>& partitions) {
  OffsetFetchResult result;
  {
    MutexLock lock(&mu_);
    if (shut_down_) {
      result.error = GroupError::kNotCoordinator;
      return result;
    }
    const ClassicGroup* group = Find(group_id);
    if (group != nullptr && group->Is(GroupState::kDead)) {
      result.error = GroupError::kGroupIdNotFound;
      return result;
    }
  }
  auto entry = [](const TopicPartition& tp, const std::optional<GroupOffsets::Position>& p) {
    OffsetFetchPartition f;
    f.tp = tp;
    if (p) {
      f.offset = p->offset.value;
      f.leader_epoch = p->leader_epoch;
      f.metadata = p->metadata;
    }
    return f;
  };
  if (partitions) {
    for (const TopicPartition& tp : *partitions) {
      result.partitions.push_back(entry(tp, offsets_.CommittedPosition(group_id, tp)));
    }
  } else {
    for (const auto& [tp, p] : offsets_.PositionsOf(group_id)) result.partitions.push_back(entry(tp, p));
  }
  return result;
}

OffsetDeleteResult GroupCoordinator::OffsetDelete(const std::string& group_id,
                                                  const std::vector<TopicPartition>& partitions) {
  OffsetDeleteResult result;
  std::vector<TopicPartition> deletable;
  {
    MutexLock lock(&mu_);
    if (shut_down_) {
      result.error = GroupError::kNotCoordinator;
      return result;
    }
    ClassicGroup* group = FindOrAdopt(group_id);
    if (group == nullptr || group->Is(GroupState::kDead)) {
      result.error = GroupError::kGroupIdNotFound;
      return result;
    }
    const bool active = !group->Is(GroupState::kEmpty);
    if (active && group->protocol_type() != std::optional<std::string>("consumer")) {
      // Kafka cannot tell what a non-consumer group uses.
      result.error = GroupError::kNonEmptyGroup;
      return result;
    }
    for (const TopicPartition& tp : partitions) {
      PartitionResult r{tp, GroupError::kNone};
      if (!PartitionExists(tp)) {
        r.error = GroupError::kUnknownTopicOrPartition;
      } else if (active && group->IsSubscribedToTopic(tp.topic)) {
        r.error = GroupError::kGroupSubscribedToTopic;
      } else {
        deletable.push_back(tp);
      }
      result.partitions.push_back(std::move(r));
    }
  }
  GroupError written = FromWriteStatus(offsets_.ForgetAll(group_id, deletable));
  if (written != GroupError::kNone) {
    for (PartitionResult& r : result.partitions) {
      if (r.error == GroupError::kNone) r.error = written;
    }
  }
  return result;
}

std::vector<DeleteGroupResult> GroupCoordinator::DeleteGroups(const std::vector<std::string>& group_ids) {
  std::vector<DeleteGroupResult> out;
  MutexLock lock(&mu_);
  for (const std::string& id : group_ids) {
    DeleteGroupResult r{id, GroupError::kNone};
    ClassicGroup* group = shut_down_ ? nullptr : FindOrAdopt(id);
    if (shut_down_) {
      r.error = GroupError::kNotCoordinator;
    } else if (group == nullptr || group->Is(GroupState::kDead)) {
      r.error = GroupError::kGroupIdNotFound;
    } else if (!group->Is(GroupState::kEmpty)) {
      r.error = GroupError::kNonEmptyGroup;
    } else {
      // Offsets and metadata go in one append; the group is Dead for
      // whoever still holds it, and forgotten.
      r.error = FromWriteStatus(offsets_.DeleteGroup(id, /*metadata_tombstone=*/true));
      if (r.error == GroupError::kNone) {
        group->TransitionTo(GroupState::kDead, WallNow());
        groups_.erase(id);
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace topicfs::store
