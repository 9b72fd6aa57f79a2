// CreatePartitions: raises a topic's `partitions` config, as `setfattr -n
// user.topicfs.partitions` does (only grows: a lower or equal count is
// INVALID_PARTITIONS, as Kafka answers).

#include <spdlog/spdlog.h>

#include "kafka/broker/admin_apis.h"
#include "kafka/protocol/admin_error_codes.h"
#include "kafka/protocol/create_partitions.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

void AdminApis::HandleCreatePartitions(Answer& answer, ByteReader& in) {
  CreatePartitionsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  CreatePartitionsResponse response;
  for (const auto& t : request.topics) {
    CreatePartitionsResponse::Result& r = response.results.emplace_back();
    r.name = std::string(t.name);
    auto current = logs_.PartitionCount(t.name);
    if (!current.ok()) {
      r.error_code = error::kUnknownTopicOrPartition;
      continue;
    }
    if (t.has_assignments) {
      r.error_code = error::kInvalidReplicaAssignment;
      r.error_message = "manual replica assignments are not served";
      continue;
    }
    if (t.count <= *current) {
      r.error_code = error::kInvalidPartitions;
      r.error_message = fmt::format("topic '{}' has {} partitions; the count only grows", t.name, *current);
      continue;
    }
    std::string count = std::to_string(t.count);
    store::Status valid = store::ValidateConfigValue("partitions", count);
    if (valid.ok() && !request.validate_only) valid = logs_.SetTopicConfig(t.name, "partitions", count);
    if (!valid.ok()) {
      r.error_code = error::kInvalidPartitions;
      r.error_message = valid.message();
      continue;
    }
    if (!request.validate_only) spdlog::info("kafka: topic {} now has {} partitions", t.name, t.count);
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
