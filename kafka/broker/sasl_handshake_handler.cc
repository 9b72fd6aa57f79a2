// SaslHandshake: topicfs has no authentication; every mechanism is
// UNSUPPORTED_SASL_MECHANISM with an empty list of enabled ones, which a
// client reports as a configuration error instead of waiting.

#include "kafka/broker/admin_apis.h"
#include "kafka/protocol/admin_error_codes.h"
#include "kafka/protocol/sasl_handshake.h"

namespace topicfs::kafka {

void AdminApis::HandleSaslHandshake(Answer& answer, ByteReader& in) {
  SaslHandshakeRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  SaslHandshakeResponse response;
  response.error_code = error::kUnsupportedSaslMechanism;
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
