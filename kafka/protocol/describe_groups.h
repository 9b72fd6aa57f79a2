#pragma once
// DescribeGroups (key 15), versions 0-5 (DescribeGroupsRequest.json,
// DescribeGroupsResponse.json): a group's state, protocol and members.
// v3+ asks for authorized operations (answered "not computed"), v4+ static
// members, v5+ flexible. v6 (an error message, GROUP_ID_NOT_FOUND) is not
// served.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct DescribeGroupsRequest {
  std::vector<std::string_view> groups;
  bool include_authorized_operations = false;  // v3+

  bool Decode(ByteReader& in, int16_t version);
};

struct DescribeGroupsResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;  // v4+
    std::string client_id;
    std::string client_host;
    std::string member_metadata;
    std::string member_assignment;
  };
  struct Group {
    int16_t error_code = 0;
    std::string group_id;
    std::string group_state;
    std::string protocol_type;
    std::string protocol_data;
    std::vector<Member> members;
  };
  int32_t throttle_time_ms = 0;  // v1+
  std::vector<Group> groups;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
