#pragma once
// SaslHandshake (key 17), versions 0-1 (SaslHandshakeRequest.json,
// SaslHandshakeResponse.json): the mechanism a client wants. topicfs has
// no authentication, so every mechanism is UNSUPPORTED_SASL_MECHANISM
// with an empty list. Never flexible.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct SaslHandshakeRequest {
  std::string_view mechanism;

  bool Decode(ByteReader& in, int16_t version);
};

struct SaslHandshakeResponse {
  int16_t error_code = 0;
  std::vector<std::string> mechanisms;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
