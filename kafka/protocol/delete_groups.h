#pragma once
// DeleteGroups (key 42), versions 0-2 (DeleteGroupsRequest.json,
// DeleteGroupsResponse.json): deletes empty groups and their offsets,
// one error per group. v2+ is flexible.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct DeleteGroupsRequest {
  std::vector<std::string_view> groups_names;

  bool Decode(ByteReader& in, int16_t version);
};

struct DeleteGroupsResponse {
  struct Result {
    std::string group_id;
    int16_t error_code = 0;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
