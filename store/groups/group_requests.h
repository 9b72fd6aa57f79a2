#pragma once
// The plain types the group coordinator takes and answers with: one struct
// per request and per result, with the fields of Kafka's JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
// DescribeGroups, DeleteGroups and OffsetDelete messages
// (clients/src/main/resources/common/message/*.json) that the coordinator
// acts on, and none of the wire encoding. A Kafka listener fills them from
// a decoded request and encodes the result; the filesystem uses the few it
// needs. Bytes (metadata, assignments) are opaque std::strings.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/base/types.h"
#include "store/format/topic_name.h"
#include "store/groups/group_error.h"

namespace topicfs::store {

// ---- JoinGroup ------------------------------------------------------------

struct JoinGroupProtocol {
  std::string name;      // an assignor ("range", "cooperative-sticky")
  std::string metadata;  // the member's subscription for it
  bool operator==(const JoinGroupProtocol&) const = default;
};

struct JoinGroupRequest {
  std::string group_id;
  std::string member_id;                         // empty on a first join
  std::optional<std::string> group_instance_id;  // a static member's
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 10'000;
  int32_t rebalance_timeout_ms = -1;  // -1 (JoinGroup v0): the session timeout
  std::string protocol_type;          // "consumer", "connect", ...
  std::vector<JoinGroupProtocol> protocols;
  // From version 4 a first join without a member id is answered
  // MEMBER_ID_REQUIRED with the id to join again with.
  int16_t api_version = 9;
};

struct JoinGroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string metadata;  // its metadata for the selected protocol
};

struct JoinGroupResult {
  GroupError error = GroupError::kNone;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string leader;
  std::string member_id;
  std::vector<JoinGroupMember> members;  // the leader's answer only
};
using JoinGroupCallback = std::function<void(JoinGroupResult)>;

// ---- SyncGroup ------------------------------------------------------------

struct SyncGroupAssignment {
  std::string member_id;
  std::string assignment;
};

struct SyncGroupRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::optional<std::string> protocol_type;  // v5+; checked when given
  std::optional<std::string> protocol_name;
  std::vector<SyncGroupAssignment> assignments;  // the leader's only
};

struct SyncGroupResult {
  GroupError error = GroupError::kNone;
  std::optional<std::string> protocol_type;
  std::optional<std::string> protocol_name;
  std::string assignment;
};
using SyncGroupCallback = std::function<void(SyncGroupResult)>;

// ---- Heartbeat, LeaveGroup --------------------------------------------------

struct HeartbeatRequest {
  std::string group_id;
  int32_t generation_id = -1;
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct LeaveGroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
};

struct LeaveGroupMemberResult {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  GroupError error = GroupError::kNone;
};

struct LeaveGroupResult {
  GroupError error = GroupError::kNone;  // the group's; members' below
  std::vector<LeaveGroupMemberResult> members;
};

// ---- offsets ----------------------------------------------------------------

struct OffsetCommitPartition {
  TopicPartition tp;
  Offset offset;
  int32_t leader_epoch = -1;
  std::string metadata;
};

struct OffsetCommitRequest {
  std::string group_id;
  int32_t generation_id = -1;  // -1 with an empty member id: a simple commit
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::vector<OffsetCommitPartition> partitions;
};

struct PartitionResult {
  TopicPartition tp;
  GroupError error = GroupError::kNone;
};

struct OffsetFetchPartition {
  TopicPartition tp;
  int64_t offset = -1;  // -1: no committed position
  int32_t leader_epoch = -1;
  std::string metadata;
  GroupError error = GroupError::kNone;
};

struct OffsetFetchResult {
  GroupError error = GroupError::kNone;
  std::vector<OffsetFetchPartition> partitions;
};

struct OffsetDeleteResult {
  GroupError error = GroupError::kNone;  // the group's; partitions' below
  std::vector<PartitionResult> partitions;
};

// ---- ListGroups, DescribeGroups, DeleteGroups ------------------------------

struct ListedGroup {
  std::string group_id;
  std::string protocol_type;  // "" for a group that only commits offsets
  std::string state;          // "Empty", "Stable", ... as Kafka spells them
};

struct DescribedMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  std::string metadata;    // only while Stable, as Kafka
  std::string assignment;  // only while Stable
};

struct DescribedGroup {
  GroupError error = GroupError::kNone;
  std::string group_id;
  std::string state;
  std::string protocol_type;
  std::string protocol_data;  // the selected protocol while Stable, else ""
  std::vector<DescribedMember> members;
};

struct DeleteGroupResult {
  std::string group_id;
  GroupError error = GroupError::kNone;
};

}  // namespace topicfs::store
