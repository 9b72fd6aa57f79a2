#pragma once
// DescribeCluster (key 60), versions 0-1 (DescribeClusterRequest.json,
// DescribeClusterResponse.json): the cluster id, controller and brokers,
// what admin clients ask instead of Metadata. Flexible from v0; v1 adds
// the endpoint type (1 brokers, 2 controllers).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct DescribeClusterRequest {
  bool include_cluster_authorized_operations = false;
  int8_t endpoint_type = 1;  // v1+

  bool Decode(ByteReader& in, int16_t version);
};

struct DescribeClusterResponse {
  struct Broker {
    int32_t broker_id = 0;
    std::string host;
    int32_t port = 0;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int8_t endpoint_type = 1;  // v1+
  std::string cluster_id;
  int32_t controller_id = -1;
  std::vector<Broker> brokers;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
