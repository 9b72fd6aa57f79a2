#pragma once
// DescribeAcls (key 29), versions 1-3 (DescribeAclsRequest.json,
// DescribeAclsResponse.json; Kafka 4 removed v0): the ACLs matching a
// filter. Flexible from v2; v3 adds the user resource type, which changes
// no bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct DescribeAclsRequest {
  int8_t resource_type_filter = 0;
  std::optional<std::string_view> resource_name_filter;
  int8_t pattern_type_filter = 3;  // MATCH
  std::optional<std::string_view> principal_filter;
  std::optional<std::string_view> host_filter;
  int8_t operation = 0;
  int8_t permission_type = 0;

  bool Decode(ByteReader& in, int16_t version);
};

// topicfs has no ACLs: a response lists no resource.
struct DescribeAclsResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
