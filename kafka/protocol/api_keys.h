#pragma once
// Kafka's API keys (docs/protocol.html, "Api Keys") and, per API, the first
// version that is "flexible" (compact strings and arrays, tagged fields;
// "flexibleVersions" in each message's JSON definition), which decides the
// request and response header versions.

#include <cstdint>
#include <string_view>

namespace topicfs::kafka {

enum class ApiKey : int16_t {
  kProduce = 0,
  kFetch = 1,
  kListOffsets = 2,
  kMetadata = 3,
  kOffsetCommit = 8,
  kOffsetFetch = 9,
  kFindCoordinator = 10,
  kJoinGroup = 11,
  kHeartbeat = 12,
  kLeaveGroup = 13,
  kSyncGroup = 14,
  kDescribeGroups = 15,
  kListGroups = 16,
  kSaslHandshake = 17,
  kApiVersions = 18,
  kCreateTopics = 19,
  kDeleteTopics = 20,
  kDeleteRecords = 21,
  kInitProducerId = 22,
  kDescribeAcls = 29,
  kDescribeConfigs = 32,
  kAlterConfigs = 33,
  kCreatePartitions = 37,
  kDeleteGroups = 42,
  kIncrementalAlterConfigs = 44,
  kOffsetDelete = 47,
  kDescribeCluster = 60,
};

// The first flexible version of an API, or -1 for a key we do not know
// (whose header we then read as v1: only its correlation id matters).
int16_t FirstFlexibleVersion(int16_t api_key);
inline bool IsFlexible(int16_t api_key, int16_t version) {
  int16_t first = FirstFlexibleVersion(api_key);
  return first >= 0 && version >= first;
}
// Kafka's name for a key ("Produce"), "Unknown" for one we do not know.
std::string_view ApiName(int16_t api_key);

}  // namespace topicfs::kafka
