#include "kafka/broker/broker.h"

#include <spdlog/spdlog.h>

#include "kafka/broker/supported_apis.h"
#include "kafka/protocol/api_keys.h"

namespace topicfs::kafka {

Broker::Broker(store::LogManager* logs, Options options)
    : logs_(logs),
      options_(std::move(options)),
      admin_(*logs, {options_.node_id, options_.advertised_host, options_.advertised_port, options_.cluster_id}) {
  if (options_.groups != nullptr) {
    groups_ = std::make_unique<GroupApis>(
        *options_.groups, GroupApis::Options{options_.node_id, options_.advertised_host, options_.advertised_port});
  }
}

Broker::~Broker() { Stop(); }

void Broker::Reply(Call& call, std::string body) {
  std::string bytes;
  bytes.reserve(8 + body.size());
  EncodeResponseHeader(&bytes, call.header.api_key, call.header.api_version,
                       call.header.correlation_id);
  bytes += body;
  Response response;
  response.AddBytes(std::move(bytes));
  call.responder.Send(std::move(response));
}

void Broker::Refuse(Call& call, const std::string& why) {
  spdlog::warn("kafka: closing a connection (client {}): {}",
               call.header.client_id.value_or("(none)"), why);
  call.responder.CloseConnection();
}

void Broker::Handle(std::string request, Responder responder) {
  auto call = std::make_shared<Call>(Call{std::move(request), {}, std::move(responder)});
  ByteReader in(call->request);
  if (!call->header.Decode(in)) return Refuse(*call, "a request header that does not decode: " + in.error());
  const RequestHeader& h = call->header;
  auto range = SupportedRange(h.api_key);
  const bool supported = range && h.api_version >= range->min_version && h.api_version <= range->max_version;
  if (h.api_key == static_cast<int16_t>(ApiKey::kApiVersions)) return HandleApiVersions(*call, in);
  if (!supported) {
    return Refuse(*call, fmt::format("{} (key {}) version {} is not served", ApiName(h.api_key),
                                     h.api_key, h.api_version));
  }
  try {
    if (GroupApis::Serves(h.api_key) || AdminApis::Serves(h.api_key)) {
      auto answer = std::make_shared<Answer>(h, std::move(call->responder));
      if (AdminApis::Serves(h.api_key)) return admin_.Handle(*answer, in);
      if (groups_ == nullptr) return answer->Refuse("no group coordinator");
      return groups_->Handle(std::move(answer), in);
    }
    switch (static_cast<ApiKey>(h.api_key)) {
      case ApiKey::kMetadata:
        return HandleMetadata(*call, in);
      case ApiKey::kProduce:
        return HandleProduce(*call, in);
      case ApiKey::kFetch:
        return HandleFetch(call, in);
      case ApiKey::kListOffsets:
        return HandleListOffsets(*call, in);
      default:
        return Refuse(*call, fmt::format("{} has no handler", ApiName(h.api_key)));
    }
  } catch (const std::exception& e) {
    // No exception crosses into the server: this request fails, the daemon goes on.
    if (!call->responder.done()) Refuse(*call, fmt::format("{} failed: {}", ApiName(h.api_key), e.what()));
  }
}

}  // namespace topicfs::kafka
