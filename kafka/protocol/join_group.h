#pragma once
// JoinGroup (key 11), versions 2-9 (JoinGroupRequest.json,
// JoinGroupResponse.json; Kafka 4 dropped v0-1): a member joins a group
// and, once every member has, the leader learns everyone's metadata.
// v4+ expects a second join with the member id handed out by
// MEMBER_ID_REQUIRED, v5+ static members (group instance id), v6+ is
// flexible, v7+ names the protocol type in the answer, v8+ carries a
// reason, v9 SkipAssignment (always false here: no server-side assignor).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct JoinGroupRequest {
  struct Protocol {
    std::string_view name;
    std::string_view metadata;
  };
  std::string_view group_id;
  int32_t session_timeout_ms = 0;
  int32_t rebalance_timeout_ms = -1;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v5+
  std::string_view protocol_type;
  std::vector<Protocol> protocols;
  std::optional<std::string_view> reason;  // v8+

  bool Decode(ByteReader& in, int16_t version);
};

struct JoinGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v5+
    std::string metadata;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int32_t generation_id = -1;
  std::optional<std::string> protocol_type;  // v7+
  // Nullable from v7; before, a null one is written empty.
  std::optional<std::string> protocol_name;
  std::string leader;
  bool skip_assignment = false;  // v9+
  std::string member_id;
  std::vector<Member> members;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
