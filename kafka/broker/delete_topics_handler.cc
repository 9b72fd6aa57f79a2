// DeleteTopics: LogManager's DeleteTopic, as `rmdir` of the topic. By name
// only: topicfs topics have no ids yet, so an id is UNKNOWN_TOPIC_ID.
// Internal ("__") topics are the store's and are refused.

#include <spdlog/spdlog.h>

#include "kafka/broker/admin_apis.h"
#include "kafka/protocol/admin_error_codes.h"
#include "kafka/protocol/delete_topics.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

void AdminApis::HandleDeleteTopics(Answer& answer, ByteReader& in) {
  const int16_t version = answer.version();
  DeleteTopicsRequest request;
  if (!request.Decode(in, version)) return answer.Refuse(in.error());
  DeleteTopicsResponse response;
  for (const auto& t : request.topics) {
    DeleteTopicsResponse::Result& r = response.responses.emplace_back();
    r.topic_id = t.topic_id;
    if (!t.name) {
      r.error_code = error::kUnknownTopicId;
      continue;
    }
    r.name = std::string(*t.name);
    if (t.name->starts_with("__")) {
      r.error_code = error::kTopicAuthorizationFailed;
      r.error_message = "internal topics are the store's";
      continue;
    }
    if (!logs_.TopicExists(*t.name)) {
      r.error_code = error::kUnknownTopicOrPartition;
      continue;
    }
    store::Status deleted = logs_.DeleteTopic(*t.name);
    if (!deleted.ok()) {
      r.error_code = deleted.code() == store::Code::kNotFound ? error::kUnknownTopicOrPartition
                                                             : error::kUnknownServerError;
      r.error_message = deleted.message();
      continue;
    }
    spdlog::info("kafka: deleted topic {}", *t.name);
  }
  std::string body;
  response.Encode(&body, version);
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
