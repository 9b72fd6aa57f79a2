#pragma once
// InitProducerId (key 22), versions 0-5 (InitProducerIdRequest.json,
// InitProducerIdResponse.json): a producer id and epoch for an idempotent
// (or transactional) producer. v2+ is flexible, v3+ names the producer's
// current id and epoch (to bump the epoch).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct InitProducerIdRequest {
  std::optional<std::string_view> transactional_id;
  int32_t transaction_timeout_ms = 0;
  int64_t producer_id = -1;    // v3+
  int16_t producer_epoch = -1;  // v3+

  bool Decode(ByteReader& in, int16_t version);
};

struct InitProducerIdResponse {
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
