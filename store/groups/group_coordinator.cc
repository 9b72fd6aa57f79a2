#include "store/groups/group_coordinator.h"

#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>

namespace topicfs::store {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

GroupCoordinator::GroupCoordinator(LogManager& manager, GroupOffsets& offsets, const Clock& clock, Options options)
    : manager_(manager), offsets_(offsets), clock_(clock), options_(options), random_(std::random_device{}()) {}

std::unique_ptr<GroupCoordinator> GroupCoordinator::Open(LogManager& manager, GroupOffsets& offsets,
                                                         const Clock& clock, Options options) {
  std::unique_ptr<GroupCoordinator> coordinator(new GroupCoordinator(manager, offsets, clock, options));
  coordinator->Load();
  return coordinator;
}

GroupCoordinator::~GroupCoordinator() { Shutdown(); }

void GroupCoordinator::Load() {
  MutexLock lock(&mu_);
  for (const auto& [id, value] : offsets_.LoadedGroupMetadata()) {
    groups_[id] = std::make_unique<ClassicGroup>(
        ClassicGroup::FromMetadataValue(id, value, WallNow(), MonotonicNow()));
  }
}

void GroupCoordinator::RunAll(Completions& completions) {
  for (auto& done : completions) done();
  completions.clear();
}

void GroupCoordinator::Answer(Completions& out, JoinGroupCallback& done, JoinGroupResult result) {
  out.push_back([cb = std::move(done), r = std::move(result)]() mutable { cb(std::move(r)); });
  done = nullptr;
}

void GroupCoordinator::Answer(Completions& out, SyncGroupCallback& done, SyncGroupResult result) {
  out.push_back([cb = std::move(done), r = std::move(result)]() mutable { cb(std::move(r)); });
  done = nullptr;
}

void GroupCoordinator::Shutdown() {
  Completions out;
  {
    MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [gid, group] : groups_) {
      for (auto& [id, m] : group->members()) {
        if (m.awaiting_join) {
          JoinGroupResult r;
          r.error = GroupError::kNotCoordinator;
          r.member_id = id;
          Answer(out, m.awaiting_join, r);
        }
        if (m.awaiting_sync) {
          SyncGroupResult r;
          r.error = GroupError::kNotCoordinator;
          Answer(out, m.awaiting_sync, r);
        }
      }
    }
  }
  RunAll(out);
}

ClassicGroup* GroupCoordinator::Find(const std::string& group_id) {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

const ClassicGroup* GroupCoordinator::Find(const std::string& group_id) const {
  auto it = groups_.find(group_id);
  return it == groups_.end() ? nullptr : it->second.get();
}

ClassicGroup* GroupCoordinator::FindOrAdopt(const std::string& group_id) {
  if (ClassicGroup* g = Find(group_id)) return g;
  // Offsets committed without the coordinator (the filesystem's @group=
  // views) make a group as Kafka's loading does: Empty, no protocol type.
  if (offsets_.PositionsOf(group_id).empty()) return nullptr;
  auto created = std::make_unique<ClassicGroup>(group_id, WallNow());
  ClassicGroup* g = created.get();
  groups_.emplace(group_id, std::move(created));
  return g;
}

std::string GroupCoordinator::NewMemberId(const std::string& prefix) {
  // prefix + "-" + a random (version 4) UUID, as Kafka's member ids.
  uint64_t hi = random_(), lo = random_();
  hi = (hi & ~0xF000ull) | 0x4000ull;
  lo = (lo & ~(3ull << 62)) | (2ull << 62);
  return fmt::format("{}-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", prefix, hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF,
                     lo >> 48, lo & 0xFFFFFFFFFFFFull);
}

bool GroupCoordinator::PartitionExists(const TopicPartition& tp) const {
  Result<int32_t> partitions = manager_.PartitionCount(tp.topic);
  return partitions.ok() && tp.partition >= 0 && tp.partition < *partitions;
}

bool GroupCoordinator::Persist(const ClassicGroup& group) {
  return offsets_.WriteGroupMetadata(group.group_id(), group.ToMetadataValue()).ok();
}

// ---- heartbeat, leave, expiry ---------------------------------------------

GroupError GroupCoordinator::Heartbeat(const HeartbeatRequest& request) {
  MutexLock lock(&mu_);
  if (shut_down_) return GroupError::kNotCoordinator;
  ClassicGroup* group = Find(request.group_id);
  if (group == nullptr) return GroupError::kUnknownMemberId;
  if (group->Is(GroupState::kDead)) return GroupError::kCoordinatorNotAvailable;
  if (group->Is(GroupState::kEmpty)) return GroupError::kUnknownMemberId;
  if (request.group_instance_id) {
    auto known = group->StaticMemberId(*request.group_instance_id);
    if (!known) return GroupError::kUnknownMemberId;
    if (*known != request.member_id) return GroupError::kFencedInstanceId;
  }
  GroupMember* member = group->Find(request.member_id);
  if (member == nullptr) return GroupError::kUnknownMemberId;
  if (request.generation_id != group->generation()) return GroupError::kIllegalGeneration;
  member->heartbeat_deadline_ms = MonotonicNow() + member->session_timeout_ms;
  // The member learns of a rebalance here and rejoins.
  if (group->Is(GroupState::kPreparingRebalance)) return GroupError::kRebalanceInProgress;
  return GroupError::kNone;
}

LeaveGroupResult GroupCoordinator::LeaveGroup(const std::string& group_id,
                                              const std::vector<LeaveGroupMember>& members) {
  LeaveGroupResult result;
  Completions out;
  {
    MutexLock lock(&mu_);
    ClassicGroup* group = shut_down_ ? nullptr : Find(group_id);
    if (shut_down_) {
      result.error = GroupError::kNotCoordinator;
      return result;
    }
    if (group == nullptr) {
      result.error = GroupError::kUnknownMemberId;
      return result;
    }
    if (group->Is(GroupState::kDead)) {
      result.error = GroupError::kCoordinatorNotAvailable;
      return result;
    }
    for (const LeaveGroupMember& leaving : members) {
      LeaveGroupMemberResult r{leaving.member_id, leaving.group_instance_id, GroupError::kNone};
      std::string id = leaving.member_id;
      if (leaving.group_instance_id) {
        auto known = group->StaticMemberId(*leaving.group_instance_id);
        if (!known) {
          r.error = GroupError::kUnknownMemberId;
        } else if (!leaving.member_id.empty() && *known != leaving.member_id) {
          r.error = GroupError::kFencedInstanceId;
        } else {
          id = *known;
        }
      }
      if (r.error == GroupError::kNone) {
        if (group->pending_members().erase(id) != 0) {
          MaybeCompleteJoin(*group, out);
        } else if (group->Has(id)) {
          RemoveMemberAndUpdateGroup(*group, id, out);
        } else {
          r.error = GroupError::kUnknownMemberId;
        }
      }
      result.members.push_back(std::move(r));
    }
  }
  RunAll(out);
  return result;
}

void GroupCoordinator::RemoveMemberAndUpdateGroup(ClassicGroup& group, const std::string& member_id,
                                                  Completions& out) {
  GroupMember* m = group.Find(member_id);
  if (m == nullptr) return;
  if (m->awaiting_join) {
    JoinGroupResult r;
    r.error = GroupError::kUnknownMemberId;
    r.member_id = member_id;
    Answer(out, m->awaiting_join, r);
  }
  if (m->awaiting_sync) {
    SyncGroupResult r;
    r.error = GroupError::kUnknownMemberId;
    Answer(out, m->awaiting_sync, r);
  }
  group.Remove(member_id);
  switch (group.state()) {
    case GroupState::kStable:
    case GroupState::kCompletingRebalance:
      PrepareRebalance(group, out);
      // With nobody left nothing can rejoin: the rebalance ends at once.
      if (group.members().empty()) CompleteJoin(group, out);
      break;
    case GroupState::kPreparingRebalance:
      MaybeCompleteJoin(group, out);
      break;
    case GroupState::kEmpty:
    case GroupState::kDead:
      break;
  }
}

int GroupCoordinator::Tick() {
  Completions out;
  int acted = 0;
  {
    MutexLock lock(&mu_);
    if (shut_down_) return 0;
    const int64_t now = MonotonicNow();
    for (auto& [id, group] : groups_) acted += TickGroup(*group, now, out);
  }
  RunAll(out);
  return acted;
}

int GroupCoordinator::TickGroup(ClassicGroup& group, int64_t now, Completions& out) {
  int acted = 0;
  // Member ids handed out with MEMBER_ID_REQUIRED and never used.
  for (auto it = group.pending_members().begin(); it != group.pending_members().end();) {
    if (it->second <= now) {
      it = group.pending_members().erase(it);
      ++acted;
    } else {
      ++it;
    }
  }
  if (acted > 0) MaybeCompleteJoin(group, out);

  // Sessions: a known member waiting in JoinGroup or SyncGroup is alive;
  // a new member's first JoinGroup is bounded by the new-member timeout.
  std::vector<std::string> expired;
  for (const auto& [id, m] : group.members()) {
    bool kept_alive = (m.AwaitingJoin() && !m.is_new) || m.AwaitingSync();
    if (!kept_alive && m.heartbeat_deadline_ms <= now) expired.push_back(id);
  }
  for (const std::string& id : expired) {
    RemoveMemberAndUpdateGroup(group, id, out);
    ++acted;
  }

  // The rebalance's time is up: whoever has not rejoined is out.
  if (group.Is(GroupState::kPreparingRebalance) && group.join_deadline_ms <= now) {
    if (group.initial_join_delay && group.new_member_added && now < group.initial_join_cap_ms) {
      group.new_member_added = false;
      group.join_deadline_ms = now + std::min<int64_t>(options_.initial_rebalance_delay_ms,
                                                       group.initial_join_cap_ms - now);
    } else {
      CompleteJoin(group, out);
    }
    ++acted;
  }

  // Members that did not SyncGroup within the rebalance timeout are out.
  if ((group.Is(GroupState::kCompletingRebalance) || group.Is(GroupState::kStable)) &&
      group.sync_deadline_ms <= now) {
    std::vector<std::string> unsynced;
    for (const auto& [id, m] : group.members()) {
      if (!m.synced) unsynced.push_back(id);
    }
    for (const std::string& id : unsynced) {
      RemoveMemberAndUpdateGroup(group, id, out);
      ++acted;
    }
  }
  return acted;
}

// ---- admin ----------------------------------------------------------------

std::optional<GroupState> GroupCoordinator::StateOf(const std::string& group_id) const {
  MutexLock lock(&mu_);
  const ClassicGroup* group = Find(group_id);
  if (group == nullptr) {
    if (!offsets_.PositionsOf(group_id).empty()) return GroupState::kEmpty;
    return std::nullopt;
  }
  return group->state();
}

std::vector<ListedGroup> GroupCoordinator::ListGroups(const std::vector<std::string>& states) const {
  auto wanted = [&](std::string_view state) {
    return states.empty() || std::any_of(states.begin(), states.end(),
                                         [&](const std::string& s) { return EqualsIgnoringCase(s, state); });
  };
  std::vector<ListedGroup> out;
  std::set<std::string> listed;
  MutexLock lock(&mu_);
  for (const auto& [id, group] : groups_) {
    listed.insert(id);
    if (group->Is(GroupState::kDead)) continue;
    std::string_view state = GroupStateName(group->state());
    if (wanted(state)) out.push_back({id, group->protocol_type().value_or(""), std::string(state)});
  }
  if (wanted("Empty")) {
    for (const std::string& id : offsets_.GroupsWithPositions()) {
      if (listed.count(id) == 0) out.push_back({id, "", "Empty"});
    }
  }
  std::sort(out.begin(), out.end(), [](const ListedGroup& a, const ListedGroup& b) { return a.group_id < b.group_id; });
  return out;
}

std::vector<DescribedGroup> GroupCoordinator::DescribeGroups(const std::vector<std::string>& group_ids,
                                                             int16_t api_version) const {
  std::vector<DescribedGroup> out;
  MutexLock lock(&mu_);
  for (const std::string& id : group_ids) {
    DescribedGroup d;
    d.group_id = id;
    const ClassicGroup* group = Find(id);
    if (group == nullptr || group->Is(GroupState::kDead)) {
      if (group == nullptr && !offsets_.PositionsOf(id).empty()) {
        d.state = "Empty";
      } else {
        d.state = "Dead";
        if (api_version >= 6) d.error = GroupError::kGroupIdNotFound;
      }
      out.push_back(std::move(d));
      continue;
    }
    d.state = std::string(GroupStateName(group->state()));
    d.protocol_type = group->protocol_type().value_or("");
    const bool stable = group->Is(GroupState::kStable);
    if (stable) d.protocol_data = group->protocol_name().value_or("");
    for (const auto& [mid, m] : group->members()) {
      DescribedMember dm{m.member_id, m.group_instance_id, m.client_id, m.client_host, {}, {}};
      if (stable) {
        dm.metadata = m.Metadata(group->protocol_name().value_or(""));
        dm.assignment = m.assignment;
      }
      d.members.push_back(std::move(dm));
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace topicfs::store
