#pragma once
// ApiVersions (key 18), versions 0-3 (ApiVersionsRequest.json,
// ApiVersionsResponse.json): the client asks which versions of each API the
// broker serves. v3 is flexible. A client sends its newest version first;
// one we do not serve is answered with UNSUPPORTED_VERSION and our ranges
// in a v0 body, and the client retries with a version from them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct ApiVersionsRequest {
  std::string_view client_software_name;     // v3+
  std::string_view client_software_version;  // v3+

  bool Decode(ByteReader& in, int16_t version);
};

struct ApiVersionRange {
  int16_t api_key = 0;
  int16_t min_version = 0;
  int16_t max_version = 0;
};

struct ApiVersionsResponse {
  int16_t error_code = 0;
  std::vector<ApiVersionRange> api_keys;
  int32_t throttle_time_ms = 0;  // v1+

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
