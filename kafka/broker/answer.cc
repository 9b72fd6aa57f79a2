#include "kafka/broker/answer.h"

#include <spdlog/spdlog.h>

#include "kafka/protocol/api_keys.h"

namespace topicfs::kafka {

Answer::Answer(const RequestHeader& header, Responder responder)
    : api_key_(header.api_key),
      version_(header.api_version),
      correlation_id_(header.correlation_id),
      client_id_(header.client_id.value_or("")),
      responder_(std::move(responder)) {}

void Answer::Send(std::string body) {
  std::string bytes;
  bytes.reserve(8 + body.size());
  EncodeResponseHeader(&bytes, api_key_, version_, correlation_id_);
  bytes += body;
  Response response;
  response.AddBytes(std::move(bytes));
  responder_.Send(std::move(response));
}

void Answer::Refuse(const std::string& why) {
  spdlog::warn("kafka: closing a connection (client {}): {} v{}: {}", client_id_.empty() ? "(none)" : client_id_,
               ApiName(api_key_), version_, why);
  responder_.CloseConnection();
}

}  // namespace topicfs::kafka
