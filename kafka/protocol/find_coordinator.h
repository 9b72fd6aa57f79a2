#pragma once
// FindCoordinator (key 10), versions 0-4 (FindCoordinatorRequest.json,
// FindCoordinatorResponse.json): which node coordinates a group (key type
// 0) or a transactional id (1). v0-3 ask for one key and answer one node;
// v4+ (KIP-699) batch keys and answer one coordinator per key. v3+ is
// flexible. On a single node the answer is always this node.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct FindCoordinatorRequest {
  int8_t key_type = 0;  // v1+: 0 group, 1 transaction
  // v0-3: the one key; v4+: CoordinatorKeys.
  std::vector<std::string_view> keys;

  bool Decode(ByteReader& in, int16_t version);
};

struct FindCoordinatorResponse {
  struct Coordinator {
    std::string key;  // v4+
    int32_t node_id = -1;
    std::string host;
    int32_t port = -1;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;  // v1+
  // v0-3 encode the first one only.
  std::vector<Coordinator> coordinators;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
