#include "kafka/broker/admin_apis.h"

#include <string>

#include "kafka/protocol/api_keys.h"

namespace topicfs::kafka {

namespace {
// From Kafka 4's minimums (KIP-896 removed CreateTopics v0-1, DeleteTopics
// v0, DescribeConfigs v0) up to the newest version written here.
// DeleteRecords waits for the store's DeleteRecordsBefore.
constexpr ApiVersionRange kAdminApiVersions[] = {
    {static_cast<int16_t>(ApiKey::kCreateTopics), 2, 7},
    {static_cast<int16_t>(ApiKey::kDeleteTopics), 1, 6},
    {static_cast<int16_t>(ApiKey::kCreatePartitions), 0, 3},
    {static_cast<int16_t>(ApiKey::kDescribeConfigs), 1, 4},
    {static_cast<int16_t>(ApiKey::kAlterConfigs), 0, 2},
    {static_cast<int16_t>(ApiKey::kIncrementalAlterConfigs), 0, 1},
    {static_cast<int16_t>(ApiKey::kDescribeCluster), 0, 1},
    {static_cast<int16_t>(ApiKey::kDeleteRecords), 0, 2},
    {static_cast<int16_t>(ApiKey::kSaslHandshake), 0, 1},
    {static_cast<int16_t>(ApiKey::kInitProducerId), 0, 5},
    {static_cast<int16_t>(ApiKey::kDescribeAcls), 1, 3},
};
}  // namespace

AdminApis::AdminApis(store::LogManager& logs, Options options)
    : logs_(logs), options_(std::move(options)), next_producer_id_(logs.clock().Now().value) {}

std::span<const ApiVersionRange> AdminApis::Served() { return kAdminApiVersions; }

bool AdminApis::Serves(int16_t api_key) {
  for (const auto& r : kAdminApiVersions) {
    if (r.api_key == api_key) return true;
  }
  return false;
}

bool AdminApis::IsThisBroker(std::string_view name) const {
  return name.empty() || name == std::to_string(options_.node_id);
}

void AdminApis::Handle(Answer& answer, ByteReader& in) {
  switch (static_cast<ApiKey>(answer.api_key())) {
    case ApiKey::kCreateTopics:
      return HandleCreateTopics(answer, in);
    case ApiKey::kDeleteTopics:
      return HandleDeleteTopics(answer, in);
    case ApiKey::kCreatePartitions:
      return HandleCreatePartitions(answer, in);
    case ApiKey::kDescribeConfigs:
      return HandleDescribeConfigs(answer, in);
    case ApiKey::kAlterConfigs:
      return HandleAlterConfigs(answer, in);
    case ApiKey::kIncrementalAlterConfigs:
      return HandleIncrementalAlterConfigs(answer, in);
    case ApiKey::kDescribeCluster:
      return HandleDescribeCluster(answer, in);
    case ApiKey::kDeleteRecords:
      return HandleDeleteRecords(answer, in);
    case ApiKey::kSaslHandshake:
      return HandleSaslHandshake(answer, in);
    case ApiKey::kInitProducerId:
      return HandleInitProducerId(answer, in);
    case ApiKey::kDescribeAcls:
      return HandleDescribeAcls(answer, in);
    default:
      return answer.Refuse("not an admin API");
  }
}

}  // namespace topicfs::kafka
