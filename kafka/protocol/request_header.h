#pragma once
// The header in front of every request (docs/protocol.html, "Headers"):
// v1 (api key, version, correlation id, client id) for a non-flexible
// version of an API, v2 (v1 + tagged fields) for a flexible one. The
// client id stays a non-compact nullable string in v2 too.

#include <cstdint>
#include <optional>
#include <string_view>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct RequestHeader {
  int16_t api_key = 0;
  int16_t api_version = 0;
  int32_t correlation_id = 0;
  std::optional<std::string_view> client_id;  // a view into the request

  // Reads the header from the start of a request; the body follows at
  // in.position(). False (and in failed) on a truncated header.
  bool Decode(ByteReader& in);
};

// The response header: the correlation id (v0), plus empty tagged fields
// (v1) when the request's version is flexible; ApiVersions responses always
// use v0 so that a client can read one whatever version it asked for.
void EncodeResponseHeader(std::string* out, int16_t api_key, int16_t api_version,
                          int32_t correlation_id);

}  // namespace topicfs::kafka
