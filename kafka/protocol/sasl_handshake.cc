#include "kafka/protocol/sasl_handshake.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool SaslHandshakeRequest::Decode(ByteReader& in, int16_t /*version*/) {
  mechanism = in.String(false);
  return in.ok();
}

void SaslHandshakeResponse::Encode(std::string* out, int16_t /*version*/) const {
  ByteWriter w(out);
  w.Int16(error_code);
  w.ArrayLength(static_cast<int32_t>(mechanisms.size()), false);
  for (const auto& m : mechanisms) w.String(m, false);
}

}  // namespace topicfs::kafka
