#pragma once
// A consumer group under Kafka's classic protocol: its state, generation,
// protocol, leader and members, and the decisions that need nothing but
// them (which protocol to select, whether a join may complete, what to
// persist). The state machine that moves it, the timers and the callbacks
// live in GroupCoordinator; this class keeps its invariants:
//
//   - Empty has no members; every other live state has at least one,
//     except PreparingRebalance, whose join is about to complete;
//   - a selected protocol is supported by every member (Kafka's
//     supportsProtocols refuses a member that would break that);
//   - the leader, when set, is a member.
//
// Not thread-safe: the coordinator's lock guards every group.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/format/consumer_offsets_format.h"
#include "store/groups/group_member.h"

namespace topicfs::store {

enum class GroupState { kEmpty, kPreparingRebalance, kCompletingRebalance, kStable, kDead };

// "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead".
std::string_view GroupStateName(GroupState state);

class ClassicGroup {
 public:
  ClassicGroup(std::string group_id, int64_t wall_now_ms);

  const std::string& group_id() const { return group_id_; }
  GroupState state() const { return state_; }
  bool Is(GroupState s) const { return state_ == s; }
  // Moves to `next`, stamping the wall-clock time of the change (written
  // in the metadata record as currentStateTimestamp).
  void TransitionTo(GroupState next, int64_t wall_now_ms);

  int32_t generation() const { return generation_; }
  const std::optional<std::string>& protocol_type() const { return protocol_type_; }
  const std::optional<std::string>& protocol_name() const { return protocol_name_; }
  const std::optional<std::string>& leader() const { return leader_; }
  bool IsLeader(const std::string& member_id) const { return leader_ && *leader_ == member_id; }

  std::map<std::string, GroupMember>& members() { return members_; }
  const std::map<std::string, GroupMember>& members() const { return members_; }
  GroupMember* Find(const std::string& member_id);
  bool Has(const std::string& member_id) const { return members_.count(member_id) != 0; }

  // Adds a member; the first one sets the group's protocol type and, if
  // there is none, becomes the leader.
  GroupMember& Add(GroupMember member, const std::string& protocol_type);
  // Removes a member and its static id; a removed leader hands over to
  // the member that joined first.
  void Remove(const std::string& member_id);
  // REQUIRES: Has(member_id) (a static member's new id takes its old one's place).
  void MakeLeader(const std::string& member_id) { leader_ = member_id; }

  // Members given a member id by MEMBER_ID_REQUIRED that have not joined
  // with it yet, with the monotonic ms at which they are forgotten.
  std::map<std::string, int64_t>& pending_members() { return pending_members_; }

  // Static members: group.instance.id -> member id.
  std::optional<std::string> StaticMemberId(const std::string& instance_id) const;

  // Whether a member of `protocol_type` offering `protocols` may join:
  // an Empty group takes any non-empty type and protocol list; otherwise
  // the type must match and one of the protocols be supported by every
  // member.
  bool SupportsProtocols(const std::string& protocol_type, const std::vector<JoinGroupProtocol>& protocols) const;
  // Every member has rejoined and no member id handed out is still pending.
  bool HasAllMembersJoined() const;
  // The largest rebalance timeout among the members (0 with none).
  int32_t MaxRebalanceTimeoutMs() const;

  // The next generation: selects the protocol by the members' votes (each
  // votes for its first protocol that all support; most votes win, a tie
  // goes to the name first in order), works out the subscribed topics, and
  // moves to CompletingRebalance, or to Empty without members.
  void InitNextGeneration(int64_t wall_now_ms);
  // The members with their metadata for the selected protocol, as the
  // leader's JoinGroup answer lists them.
  std::vector<JoinGroupMember> MembersForLeader() const;

  // Whether the group consumes `topic` (OffsetDelete): from the members'
  // ConsumerProtocolSubscriptions for a "consumer" group; a group whose
  // subscriptions could not be read counts as subscribed to everything
  // when it is a "consumer" group, to nothing otherwise, as Kafka.
  bool IsSubscribedToTopic(const std::string& topic) const;

  // The record the coordinator writes, and a group rebuilt from one (its
  // members restored as Stable members that must heartbeat or rejoin).
  consumer_offsets::GroupMetadataValue ToMetadataValue() const;
  static ClassicGroup FromMetadataValue(std::string group_id, const consumer_offsets::GroupMetadataValue& value,
                                        int64_t wall_now_ms, int64_t monotonic_now_ms);

  // The rebalance's deadline (monotonic ms) while PreparingRebalance.
  int64_t join_deadline_ms = 0;
  // The first rebalance of an Empty group waits group.initial.rebalance.delay.ms
  // for more members, again while new ones keep coming, up to the cap.
  bool initial_join_delay = false;
  int64_t initial_join_cap_ms = 0;
  bool new_member_added = false;
  // After a join completes, members must SyncGroup by then (monotonic ms).
  int64_t sync_deadline_ms = 0;

 private:
  // From the members' subscriptions to the selected protocol.
  void ComputeSubscribedTopics();

  std::string group_id_;
  GroupState state_ = GroupState::kEmpty;
  int64_t state_timestamp_ms_;
  int32_t generation_ = 0;
  std::optional<std::string> protocol_type_;
  std::optional<std::string> protocol_name_;
  std::optional<std::string> leader_;
  std::map<std::string, GroupMember> members_;
  std::map<std::string, int64_t> pending_members_;
  std::map<std::string, std::string> static_members_;
  // nullopt: not known (not a consumer group, or unreadable subscriptions).
  std::optional<std::set<std::string>> subscribed_topics_;
  uint64_t next_join_order_ = 0;
};

}  // namespace topicfs::store
