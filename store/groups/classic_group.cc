#include "store/groups/classic_group.h"

#include <algorithm>

#include "store/groups/consumer_subscription.h"

namespace topicfs::store {
namespace {

constexpr std::string_view kConsumerProtocolType = "consumer";

}  // namespace

std::string_view GroupStateName(GroupState state) {
  switch (state) {
    case GroupState::kEmpty: return "Empty";
    case GroupState::kPreparingRebalance: return "PreparingRebalance";
    case GroupState::kCompletingRebalance: return "CompletingRebalance";
    case GroupState::kStable: return "Stable";
    case GroupState::kDead: return "Dead";
  }
  return "Dead";
}

ClassicGroup::ClassicGroup(std::string group_id, int64_t wall_now_ms)
    : group_id_(std::move(group_id)), state_timestamp_ms_(wall_now_ms) {}

void ClassicGroup::TransitionTo(GroupState next, int64_t wall_now_ms) {
  state_ = next;
  state_timestamp_ms_ = wall_now_ms;
}

GroupMember* ClassicGroup::Find(const std::string& member_id) {
  auto it = members_.find(member_id);
  return it == members_.end() ? nullptr : &it->second;
}

GroupMember& ClassicGroup::Add(GroupMember member, const std::string& protocol_type) {
  if (members_.empty()) protocol_type_ = protocol_type;
  if (!leader_) leader_ = member.member_id;
  if (member.group_instance_id) static_members_[*member.group_instance_id] = member.member_id;
  member.join_order = next_join_order_++;
  std::string id = member.member_id;
  return members_.insert_or_assign(std::move(id), std::move(member)).first->second;
}

void ClassicGroup::Remove(const std::string& member_id) {
  auto it = members_.find(member_id);
  if (it == members_.end()) return;
  if (it->second.group_instance_id) static_members_.erase(*it->second.group_instance_id);
  members_.erase(it);
  if (IsLeader(member_id)) {
    leader_.reset();
    const GroupMember* first = nullptr;
    for (const auto& [id, m] : members_) {
      if (first == nullptr || m.join_order < first->join_order) first = &m;
    }
    if (first != nullptr) leader_ = first->member_id;
  }
}

std::optional<std::string> ClassicGroup::StaticMemberId(const std::string& instance_id) const {
  auto it = static_members_.find(instance_id);
  if (it == static_members_.end()) return std::nullopt;
  return it->second;
}

bool ClassicGroup::SupportsProtocols(const std::string& protocol_type,
                                     const std::vector<JoinGroupProtocol>& protocols) const {
  if (Is(GroupState::kEmpty) || members_.empty()) return !protocol_type.empty() && !protocols.empty();
  if (!protocol_type_ || *protocol_type_ != protocol_type) return false;
  return std::any_of(protocols.begin(), protocols.end(), [&](const JoinGroupProtocol& p) {
    return std::all_of(members_.begin(), members_.end(),
                       [&](const auto& entry) { return entry.second.Supports(p.name); });
  });
}

bool ClassicGroup::HasAllMembersJoined() const {
  return pending_members_.empty() && std::all_of(members_.begin(), members_.end(), [](const auto& entry) {
           return entry.second.AwaitingJoin();
         });
}

int32_t ClassicGroup::MaxRebalanceTimeoutMs() const {
  int32_t most = 0;
  for (const auto& [id, m] : members_) most = std::max(most, m.rebalance_timeout_ms);
  return most;
}

void ClassicGroup::InitNextGeneration(int64_t wall_now_ms) {
  ++generation_;
  if (members_.empty()) {
    protocol_name_.reset();
    subscribed_topics_.emplace();
    TransitionTo(GroupState::kEmpty, wall_now_ms);
    return;
  }
  // Candidates: the protocols every member supports, in the order the
  // earliest member lists them (which breaks ties between equal votes).
  const GroupMember* first = nullptr;
  for (const auto& [id, m] : members_) {
    if (first == nullptr || m.join_order < first->join_order) first = &m;
  }
  std::vector<std::string> ordered;
  std::set<std::string> candidates;
  for (const JoinGroupProtocol& p : first->protocols) {
    bool everyone = std::all_of(members_.begin(), members_.end(),
                                [&](const auto& entry) { return entry.second.Supports(p.name); });
    if (everyone && candidates.insert(p.name).second) ordered.push_back(p.name);
  }
  std::map<std::string, int> votes;
  for (const auto& [id, m] : members_) ++votes[m.Vote(candidates)];
  std::string chosen;
  int best = -1;
  for (const std::string& name : ordered) {
    if (votes[name] > best) {
      best = votes[name];
      chosen = name;
    }
  }
  protocol_name_ = chosen;
  ComputeSubscribedTopics();
  TransitionTo(GroupState::kCompletingRebalance, wall_now_ms);
}

void ClassicGroup::ComputeSubscribedTopics() {
  subscribed_topics_.reset();
  if (!protocol_type_ || *protocol_type_ != kConsumerProtocolType) return;
  std::set<std::string> topics;
  for (const auto& [id, m] : members_) {
    auto subscribed = ConsumerSubscriptionTopics(m.Metadata(protocol_name_.value_or("")));
    if (!subscribed) return;
    topics.insert(subscribed->begin(), subscribed->end());
  }
  subscribed_topics_ = std::move(topics);
}

std::vector<JoinGroupMember> ClassicGroup::MembersForLeader() const {
  std::vector<const GroupMember*> by_join;
  for (const auto& [id, m] : members_) by_join.push_back(&m);
  std::sort(by_join.begin(), by_join.end(),
            [](const GroupMember* a, const GroupMember* b) { return a->join_order < b->join_order; });
  std::vector<JoinGroupMember> out;
  for (const GroupMember* m : by_join) {
    out.push_back({m->member_id, m->group_instance_id, m->Metadata(protocol_name_.value_or(""))});
  }
  return out;
}

bool ClassicGroup::IsSubscribedToTopic(const std::string& topic) const {
  if (members_.empty()) return false;
  if (subscribed_topics_) return subscribed_topics_->count(topic) != 0;
  return protocol_type_ && *protocol_type_ == kConsumerProtocolType;
}

consumer_offsets::GroupMetadataValue ClassicGroup::ToMetadataValue() const {
  consumer_offsets::GroupMetadataValue v;
  v.protocol_type = protocol_type_.value_or("");
  v.generation = generation_;
  v.protocol = protocol_name_;
  v.leader = leader_;
  v.current_state_timestamp = state_timestamp_ms_;
  for (const auto& [id, m] : members_) {
    consumer_offsets::GroupMemberMetadata r;
    r.member_id = m.member_id;
    r.group_instance_id = m.group_instance_id;
    r.client_id = m.client_id;
    r.client_host = m.client_host;
    r.rebalance_timeout_ms = m.rebalance_timeout_ms;
    r.session_timeout_ms = m.session_timeout_ms;
    r.subscription = m.Metadata(protocol_name_.value_or(""));
    r.assignment = m.assignment;
    v.members.push_back(std::move(r));
  }
  return v;
}

ClassicGroup ClassicGroup::FromMetadataValue(std::string group_id, const consumer_offsets::GroupMetadataValue& value,
                                             int64_t wall_now_ms, int64_t monotonic_now_ms) {
  ClassicGroup group(std::move(group_id), value.current_state_timestamp >= 0 ? value.current_state_timestamp
                                                                             : wall_now_ms);
  group.generation_ = value.generation;
  if (!value.protocol_type.empty()) group.protocol_type_ = value.protocol_type;
  group.protocol_name_ = value.protocol;
  for (const consumer_offsets::GroupMemberMetadata& r : value.members) {
    GroupMember m;
    m.member_id = r.member_id;
    m.group_instance_id = r.group_instance_id;
    m.client_id = r.client_id;
    m.client_host = r.client_host;
    m.rebalance_timeout_ms = r.rebalance_timeout_ms;
    m.session_timeout_ms = r.session_timeout_ms;
    m.protocols.push_back({value.protocol.value_or(""), r.subscription});
    m.assignment = r.assignment;
    m.heartbeat_deadline_ms = monotonic_now_ms + r.session_timeout_ms;
    group.Add(std::move(m), value.protocol_type);
  }
  group.leader_ = value.leader;
  if (group.leader_ && !group.Has(*group.leader_)) group.leader_.reset();
  if (!group.members_.empty()) {
    group.state_ = GroupState::kStable;
    group.ComputeSubscribedTopics();
  }
  return group;
}

}  // namespace topicfs::store
