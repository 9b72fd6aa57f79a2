#pragma once
// Metadata (key 3), versions 0-12 (MetadataRequest.json,
// MetadataResponse.json): the brokers, and each topic's partitions with
// their leader. v9+ is flexible; v10+ carries topic ids; v12 lets a
// requested topic name be null (asked by id).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct MetadataRequest {
  // nullopt: every topic (v1+ sends a null array for that; v0 an empty one).
  std::optional<std::vector<std::string_view>> topics;
  bool allow_auto_topic_creation = true;                // v4+
  bool include_cluster_authorized_operations = false;  // v8-10
  bool include_topic_authorized_operations = false;    // v8+

  bool Decode(ByteReader& in, int16_t version);
};

struct MetadataResponse {
  struct Broker {
    int32_t node_id = 0;
    std::string host;
    int32_t port = 0;
  };
  struct Partition {
    int16_t error_code = 0;
    int32_t partition_index = 0;
    int32_t leader_id = 0;
    int32_t leader_epoch = 0;  // v7+
    std::vector<int32_t> replica_nodes;
    std::vector<int32_t> isr_nodes;
  };
  struct Topic {
    int16_t error_code = 0;
    std::string name;
    Uuid topic_id{};  // v10+
    bool is_internal = false;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Broker> brokers;
  std::optional<std::string> cluster_id;  // v2+
  int32_t controller_id = -1;             // v1+
  std::vector<Topic> topics;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
