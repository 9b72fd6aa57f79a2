// GroupCoordinator: JoinGroup and SyncGroup, and the rebalance they drive
// (Kafka's GroupMetadataManager, classic group part).

#include "store/groups/group_coordinator.h"

#include <algorithm>

namespace topicfs::store {

void GroupCoordinator::JoinGroup(JoinGroupRequest request, JoinGroupCallback done) {
  auto fail = [&](GroupError error) {
    JoinGroupResult r;
    r.error = error;
    r.member_id = request.member_id;
    done(std::move(r));
  };
  if (request.group_id.empty() || !GroupOffsets::ValidateGroupName(request.group_id).ok()) {
    return fail(GroupError::kInvalidGroupId);
  }
  if (request.session_timeout_ms < options_.min_session_timeout_ms ||
      request.session_timeout_ms > options_.max_session_timeout_ms) {
    return fail(GroupError::kInvalidSessionTimeout);
  }
  if (request.rebalance_timeout_ms < 0) request.rebalance_timeout_ms = request.session_timeout_ms;

  Completions out;
  {
    MutexLock lock(&mu_);
    if (shut_down_) {
      lock.Unlock();
      return fail(GroupError::kNotCoordinator);
    }
    ClassicGroup* group = FindOrAdopt(request.group_id);
    const bool created = group == nullptr;
    if (created) {
      // A member id of a group this coordinator does not know is stale.
      if (!request.member_id.empty()) {
        lock.Unlock();
        return fail(GroupError::kUnknownMemberId);
      }
      auto fresh = std::make_unique<ClassicGroup>(request.group_id, WallNow());
      group = fresh.get();
      groups_.emplace(request.group_id, std::move(fresh));
    }
    if (request.member_id.empty()) {
      JoinNewMember(*group, request, done, out);
    } else {
      JoinKnownMember(*group, request, done, out);
    }
    // A join refused outright leaves no group behind it.
    if (created && group->Is(GroupState::kEmpty) && group->members().empty() && group->pending_members().empty()) {
      groups_.erase(request.group_id);
    }
  }
  RunAll(out);
}

void GroupCoordinator::JoinNewMember(ClassicGroup& group, JoinGroupRequest& request, JoinGroupCallback& done,
                                     Completions& out) {
  auto answer = [&](GroupError error, std::string member_id = {}) {
    JoinGroupResult r;
    r.error = error;
    r.member_id = std::move(member_id);
    Answer(out, done, std::move(r));
  };
  if (group.Is(GroupState::kDead)) return answer(GroupError::kCoordinatorNotAvailable);
  if (!group.SupportsProtocols(request.protocol_type, request.protocols)) {
    return answer(GroupError::kInconsistentGroupProtocol);
  }
  if (request.group_instance_id && group.StaticMemberId(*request.group_instance_id)) {
    return JoinStaticMember(group, request, done, out);
  }
  if (group.members().size() + group.pending_members().size() >= static_cast<size_t>(options_.max_group_size)) {
    return answer(GroupError::kGroupMaxSizeReached);
  }
  std::string id = NewMemberId(request.group_instance_id.value_or(request.client_id));
  if (!request.group_instance_id && request.api_version >= 4) {
    // The member must come back with this id; until it does (or its
    // session passes) the group waits for it as for any member.
    group.pending_members()[id] = MonotonicNow() + request.session_timeout_ms;
    return answer(GroupError::kMemberIdRequired, std::move(id));
  }
  AddMemberAndRebalance(group, std::move(id), request, std::move(done), out);
}

void GroupCoordinator::JoinStaticMember(ClassicGroup& group, JoinGroupRequest& request, JoinGroupCallback& done,
                                        Completions& out) {
  // A static member that restarted: it takes the place of its old member
  // id, keeping its assignment, and a Stable group need not rebalance when
  // nothing it subscribes to changed.
  std::string old_id = *group.StaticMemberId(*request.group_instance_id);
  GroupMember old = std::move(group.members().at(old_id));
  if (old.awaiting_join) {
    JoinGroupResult fenced;
    fenced.error = GroupError::kFencedInstanceId;
    fenced.member_id = old_id;
    Answer(out, old.awaiting_join, fenced);
  }
  if (old.awaiting_sync) {
    SyncGroupResult fenced;
    fenced.error = GroupError::kFencedInstanceId;
    Answer(out, old.awaiting_sync, fenced);
  }
  const bool was_leader = group.IsLeader(old_id);
  const bool same_protocols = old.protocols == request.protocols;
  group.Remove(old_id);
  GroupMember m = std::move(old);
  m.member_id = NewMemberId(*request.group_instance_id);
  m.client_id = request.client_id;
  m.client_host = request.client_host;
  m.session_timeout_ms = request.session_timeout_ms;
  m.rebalance_timeout_ms = request.rebalance_timeout_ms;
  m.protocols = request.protocols;
  m.heartbeat_deadline_ms = MonotonicNow() + m.session_timeout_ms;
  GroupMember& added = group.Add(std::move(m), request.protocol_type);
  if (was_leader) group.MakeLeader(added.member_id);
  if (group.Is(GroupState::kStable) && same_protocols && !was_leader) {
    JoinGroupResult r = CurrentGenerationAnswer(group, added);
    Answer(out, done, std::move(r));
    return;
  }
  UpdateMemberAndRebalance(group, added, request, std::move(done), out);
}

void GroupCoordinator::JoinKnownMember(ClassicGroup& group, JoinGroupRequest& request, JoinGroupCallback& done,
                                       Completions& out) {
  auto answer = [&](GroupError error) {
    JoinGroupResult r;
    r.error = error;
    r.member_id = request.member_id;
    Answer(out, done, std::move(r));
  };
  if (group.Is(GroupState::kDead)) return answer(GroupError::kCoordinatorNotAvailable);
  if (auto pending = group.pending_members().find(request.member_id); pending != group.pending_members().end()) {
    group.pending_members().erase(pending);
    if (!group.SupportsProtocols(request.protocol_type, request.protocols)) {
      MaybeCompleteJoin(group, out);
      return answer(GroupError::kInconsistentGroupProtocol);
    }
    std::string id = request.member_id;
    return AddMemberAndRebalance(group, std::move(id), request, std::move(done), out);
  }
  if (request.group_instance_id) {
    auto known = group.StaticMemberId(*request.group_instance_id);
    if (known && *known != request.member_id) return answer(GroupError::kFencedInstanceId);
  }
  GroupMember* member = group.Find(request.member_id);
  if (member == nullptr) return answer(GroupError::kUnknownMemberId);
  if (!group.SupportsProtocols(request.protocol_type, request.protocols)) {
    return answer(GroupError::kInconsistentGroupProtocol);
  }
  const bool same_protocols = member->protocols == request.protocols;
  switch (group.state()) {
    case GroupState::kPreparingRebalance:
      return UpdateMemberAndRebalance(group, *member, request, std::move(done), out);
    case GroupState::kCompletingRebalance:
      if (same_protocols) {
        // The answer got lost: the same one again.
        JoinGroupResult r = CurrentGenerationAnswer(group, *member);
        Answer(out, done, std::move(r));
        return;
      }
      return UpdateMemberAndRebalance(group, *member, request, std::move(done), out);
    case GroupState::kStable:
      if (group.IsLeader(member->member_id) || !same_protocols) {
        // The leader rejoining means it wants a new assignment (its
        // subscription may have changed in ways only it knows).
        return UpdateMemberAndRebalance(group, *member, request, std::move(done), out);
      }
      {
        JoinGroupResult r = CurrentGenerationAnswer(group, *member);
        Answer(out, done, std::move(r));
      }
      return;
    case GroupState::kEmpty:
    case GroupState::kDead:
      return answer(GroupError::kUnknownMemberId);
  }
}

void GroupCoordinator::AddMemberAndRebalance(ClassicGroup& group, std::string member_id, JoinGroupRequest& request,
                                             JoinGroupCallback done, Completions& out) {
  GroupMember m;
  m.member_id = std::move(member_id);
  m.group_instance_id = request.group_instance_id;
  m.client_id = request.client_id;
  m.client_host = request.client_host;
  m.session_timeout_ms = request.session_timeout_ms;
  m.rebalance_timeout_ms = request.rebalance_timeout_ms;
  m.protocols = request.protocols;
  m.awaiting_join = std::move(done);
  m.is_new = true;
  m.synced = true;
  m.heartbeat_deadline_ms = MonotonicNow() + options_.new_member_join_timeout_ms;
  group.Add(std::move(m), request.protocol_type);
  if (group.Is(GroupState::kPreparingRebalance) && group.initial_join_delay) group.new_member_added = true;
  MaybePrepareRebalance(group, out);
  MaybeCompleteJoin(group, out);
}

void GroupCoordinator::UpdateMemberAndRebalance(ClassicGroup& group, GroupMember& member, JoinGroupRequest& request,
                                                JoinGroupCallback done, Completions& out) {
  if (member.awaiting_join) {
    // A second JoinGroup while the first waits: the first is superseded.
    JoinGroupResult superseded;
    superseded.error = GroupError::kRebalanceInProgress;
    superseded.member_id = member.member_id;
    Answer(out, member.awaiting_join, superseded);
  }
  member.protocols = request.protocols;
  member.session_timeout_ms = request.session_timeout_ms;
  member.rebalance_timeout_ms = request.rebalance_timeout_ms;
  member.awaiting_join = std::move(done);
  MaybePrepareRebalance(group, out);
  MaybeCompleteJoin(group, out);
}

JoinGroupResult GroupCoordinator::CurrentGenerationAnswer(const ClassicGroup& group, const GroupMember& member) const {
  JoinGroupResult r;
  r.generation_id = group.generation();
  r.protocol_type = group.protocol_type();
  r.protocol_name = group.protocol_name();
  r.leader = group.leader().value_or("");
  r.member_id = member.member_id;
  if (group.IsLeader(member.member_id)) r.members = group.MembersForLeader();
  return r;
}

void GroupCoordinator::MaybePrepareRebalance(ClassicGroup& group, Completions& out) {
  if (group.Is(GroupState::kStable) || group.Is(GroupState::kCompletingRebalance) || group.Is(GroupState::kEmpty)) {
    PrepareRebalance(group, out);
  }
}

void GroupCoordinator::PrepareRebalance(ClassicGroup& group, Completions& out) {
  if (group.Is(GroupState::kCompletingRebalance)) ResetAssignments(group, GroupError::kRebalanceInProgress, out);
  const int64_t now = MonotonicNow();
  const int32_t timeout = group.MaxRebalanceTimeoutMs();
  if (group.Is(GroupState::kEmpty)) {
    group.initial_join_delay = true;
    group.new_member_added = false;
    group.initial_join_cap_ms = now + timeout;
    group.join_deadline_ms = now + std::min(options_.initial_rebalance_delay_ms, timeout);
  } else {
    group.initial_join_delay = false;
    group.join_deadline_ms = now + timeout;
  }
  group.TransitionTo(GroupState::kPreparingRebalance, WallNow());
}

void GroupCoordinator::MaybeCompleteJoin(ClassicGroup& group, Completions& out) {
  if (!group.Is(GroupState::kPreparingRebalance)) return;
  if (group.initial_join_delay) {
    // The initial delay ends by time only (Tick), unless it is already due.
    if (MonotonicNow() >= group.join_deadline_ms) CompleteJoin(group, out);
    return;
  }
  if (group.HasAllMembersJoined()) CompleteJoin(group, out);
}

void GroupCoordinator::CompleteJoin(ClassicGroup& group, Completions& out) {
  std::vector<std::string> gone;
  for (const auto& [id, m] : group.members()) {
    if (!m.AwaitingJoin()) gone.push_back(id);
  }
  for (const std::string& id : gone) group.Remove(id);
  group.initial_join_delay = false;
  group.InitNextGeneration(WallNow());
  if (group.Is(GroupState::kEmpty)) {
    Persist(group);
    return;
  }
  const int64_t now = MonotonicNow();
  for (auto& [id, m] : group.members()) {
    JoinGroupResult r = CurrentGenerationAnswer(group, m);
    Answer(out, m.awaiting_join, std::move(r));
    m.is_new = false;
    m.synced = false;
    m.heartbeat_deadline_ms = now + m.session_timeout_ms;
  }
  group.sync_deadline_ms = now + group.MaxRebalanceTimeoutMs();
}

void GroupCoordinator::SyncGroup(SyncGroupRequest request, SyncGroupCallback done) {
  auto answer = [&](GroupError error) {
    SyncGroupResult r;
    r.error = error;
    return r;
  };
  std::optional<SyncGroupResult> now_answer;
  Completions out;
  {
    MutexLock lock(&mu_);
    ClassicGroup* group = shut_down_ ? nullptr : Find(request.group_id);
    GroupMember* member = group == nullptr ? nullptr : group->Find(request.member_id);
    std::optional<std::string> static_id;
    if (group != nullptr && request.group_instance_id) static_id = group->StaticMemberId(*request.group_instance_id);
    if (shut_down_) {
      now_answer = answer(GroupError::kNotCoordinator);
    } else if (group == nullptr) {
      now_answer = answer(GroupError::kUnknownMemberId);
    } else if (group->Is(GroupState::kDead)) {
      now_answer = answer(GroupError::kCoordinatorNotAvailable);
    } else if (request.group_instance_id && !static_id) {
      now_answer = answer(GroupError::kUnknownMemberId);
    } else if (static_id && *static_id != request.member_id) {
      now_answer = answer(GroupError::kFencedInstanceId);
    } else if (member == nullptr) {
      now_answer = answer(GroupError::kUnknownMemberId);
    } else if (request.generation_id != group->generation()) {
      now_answer = answer(GroupError::kIllegalGeneration);
    } else if ((request.protocol_type && group->protocol_type() != request.protocol_type) ||
               (request.protocol_name && group->protocol_name() != request.protocol_name)) {
      now_answer = answer(GroupError::kInconsistentGroupProtocol);
    } else {
      switch (group->state()) {
        case GroupState::kEmpty:
        case GroupState::kDead:
          now_answer = answer(GroupError::kUnknownMemberId);
          break;
        case GroupState::kPreparingRebalance:
          now_answer = answer(GroupError::kRebalanceInProgress);
          break;
        case GroupState::kCompletingRebalance:
          if (member->awaiting_sync) {
            Answer(out, member->awaiting_sync, answer(GroupError::kRebalanceInProgress));
          }
          member->awaiting_sync = std::move(done);
          member->synced = true;
          member->heartbeat_deadline_ms = MonotonicNow() + member->session_timeout_ms;
          if (group->IsLeader(member->member_id)) CompleteSync(*group, request, out);
          break;
        case GroupState::kStable: {
          member->synced = true;
          member->heartbeat_deadline_ms = MonotonicNow() + member->session_timeout_ms;
          SyncGroupResult r;
          r.protocol_type = group->protocol_type();
          r.protocol_name = group->protocol_name();
          r.assignment = member->assignment;
          now_answer = std::move(r);
          break;
        }
      }
    }
  }
  RunAll(out);
  if (now_answer) done(std::move(*now_answer));
}

void GroupCoordinator::CompleteSync(ClassicGroup& group, const SyncGroupRequest& leader_request, Completions& out) {
  // Members the leader gave nothing get an empty assignment, as Kafka.
  for (auto& [id, m] : group.members()) m.assignment.clear();
  for (const SyncGroupAssignment& a : leader_request.assignments) {
    if (GroupMember* m = group.Find(a.member_id)) m->assignment = a.assignment;
  }
  if (!Persist(group)) {
    ResetAssignments(group, GroupError::kCoordinatorNotAvailable, out);
    PrepareRebalance(group, out);
    return;
  }
  group.TransitionTo(GroupState::kStable, WallNow());
  for (auto& [id, m] : group.members()) {
    if (!m.awaiting_sync) continue;
    SyncGroupResult r;
    r.protocol_type = group.protocol_type();
    r.protocol_name = group.protocol_name();
    r.assignment = m.assignment;
    Answer(out, m.awaiting_sync, std::move(r));
  }
}

void GroupCoordinator::ResetAssignments(ClassicGroup& group, GroupError error, Completions& out) {
  for (auto& [id, m] : group.members()) {
    m.assignment.clear();
    if (!m.awaiting_sync) continue;
    SyncGroupResult r;
    r.error = error;
    Answer(out, m.awaiting_sync, std::move(r));
  }
}

}  // namespace topicfs::store
