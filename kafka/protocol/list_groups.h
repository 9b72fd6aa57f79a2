#pragma once
// ListGroups (key 16), versions 0-4 (ListGroupsRequest.json,
// ListGroupsResponse.json): every group this coordinator knows. v3+ is
// flexible, v4+ filters by state and answers each group's state. v5 (group
// types, KIP-848) is not served.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct ListGroupsRequest {
  std::vector<std::string_view> states_filter;  // v4+

  bool Decode(ByteReader& in, int16_t version);
};

struct ListGroupsResponse {
  struct Group {
    std::string group_id;
    std::string protocol_type;
    std::string group_state;  // v4+
  };
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::vector<Group> groups;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
