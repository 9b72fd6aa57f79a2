#include "kafka/protocol/api_versions.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool ApiVersionsRequest::Decode(ByteReader& in, int16_t version) {
  if (version >= 3) {
    client_software_name = in.String(/*compact=*/true);
    client_software_version = in.String(/*compact=*/true);
    in.SkipTaggedFields();
  }
  return in.ok();
}

void ApiVersionsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 3;
  w.Int16(error_code);
  w.ArrayLength(static_cast<int32_t>(api_keys.size()), flexible);
  for (const auto& k : api_keys) {
    w.Int16(k.api_key);
    w.Int16(k.min_version);
    w.Int16(k.max_version);
    if (flexible) w.EmptyTaggedFields();
  }
  if (version >= 1) w.Int32(throttle_time_ms);
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
