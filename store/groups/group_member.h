#pragma once
// One member of a classic group, as the coordinator knows it between
// requests: who it is, its timeouts, the protocols it supports, its
// assignment, and the JoinGroup or SyncGroup answer it is waiting for.
// Not thread-safe: the coordinator's lock guards every member.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/groups/group_requests.h"

namespace topicfs::store {

struct GroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;
  std::string client_id;
  std::string client_host;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = 0;
  std::vector<JoinGroupProtocol> protocols;  // in the member's order of preference
  std::string assignment;
  // Set while its JoinGroup (SyncGroup) waits; called exactly once.
  JoinGroupCallback awaiting_join;
  SyncGroupCallback awaiting_sync;
  // Joined in this rebalance for the first time: its wait is bounded by the
  // new-member join timeout, not kept alive as a known member's is.
  bool is_new = false;
  // Sent SyncGroup in this generation (a member that does not, within the
  // rebalance timeout, is removed).
  bool synced = true;
  // Monotonic ms after which the member is gone unless it is waiting.
  int64_t heartbeat_deadline_ms = 0;
  // Order of joining, for picking "the first member" as Kafka's ordered map does.
  uint64_t join_order = 0;

  bool AwaitingJoin() const { return static_cast<bool>(awaiting_join); }
  bool AwaitingSync() const { return static_cast<bool>(awaiting_sync); }
  // Its metadata for `protocol`, empty if it does not support it.
  std::string Metadata(const std::string& protocol) const;
  bool Supports(const std::string& protocol) const;
  // The first of its protocols, in its order, that is among `candidates`.
  std::string Vote(const std::set<std::string>& candidates) const;
};

}  // namespace topicfs::store
