#include "kafka/protocol/api_keys.h"

namespace topicfs::kafka {

namespace {
struct KeyInfo {
  int16_t key;
  int16_t first_flexible;  // INT16_MAX: never flexible
  std::string_view name;
};

// From each API's "flexibleVersions" in Kafka's message definitions.
constexpr KeyInfo kKeys[] = {
    {0, 9, "Produce"},          {1, 12, "Fetch"},
    {2, 6, "ListOffsets"},      {3, 9, "Metadata"},
    {8, 8, "OffsetCommit"},     {9, 6, "OffsetFetch"},
    {10, 3, "FindCoordinator"}, {11, 6, "JoinGroup"},
    {12, 4, "Heartbeat"},       {13, 4, "LeaveGroup"},
    {14, 4, "SyncGroup"},       {15, 5, "DescribeGroups"},
    {16, 3, "ListGroups"},      {17, INT16_MAX, "SaslHandshake"},
    {18, 3, "ApiVersions"},     {19, 5, "CreateTopics"},
    {20, 4, "DeleteTopics"},    {21, 2, "DeleteRecords"},
    {22, 2, "InitProducerId"},  {29, 2, "DescribeAcls"},
    {32, 4, "DescribeConfigs"},
    {33, 2, "AlterConfigs"},    {37, 2, "CreatePartitions"},
    {42, 2, "DeleteGroups"},    {44, 1, "IncrementalAlterConfigs"},
    {47, INT16_MAX, "OffsetDelete"}, {60, 0, "DescribeCluster"},
};

const KeyInfo* Find(int16_t key) {
  for (const auto& k : kKeys) {
    if (k.key == key) return &k;
  }
  return nullptr;
}
}  // namespace

int16_t FirstFlexibleVersion(int16_t api_key) {
  const KeyInfo* k = Find(api_key);
  return k ? k->first_flexible : -1;
}

std::string_view ApiName(int16_t api_key) {
  const KeyInfo* k = Find(api_key);
  return k ? k->name : "Unknown";
}

}  // namespace topicfs::kafka
