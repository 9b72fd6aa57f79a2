#include "kafka/broker/supported_apis.h"

#include <iterator>
#include <vector>

#include "kafka/broker/admin_apis.h"
#include "kafka/broker/group_apis.h"
#include "kafka/protocol/api_keys.h"

namespace topicfs::kafka {

namespace {
// Kafka 4 serves Produce from v3, Fetch from v4, ListOffsets from v1
// (KIP-896). Two client quirks decide the rest:
// - librdkafka turns its compression features on only when it sees
//   Produce MinVersion 0 advertised (and zstd only with Produce 7 and
//   Fetch 10), so Produce is advertised from 0. It still sends the newest
//   common version; a v0-2 request, whose records are magic 0/1, gets
//   UNSUPPORTED_FOR_MESSAGE_FORMAT per partition.
// - kafka-python 2.0.2 infers the broker's version from the newest
//   versions it sees and needs Metadata v4 or more to use RecordBatch v2.
// ListOffsets stops at 6: v7 asks for the max-timestamp offset (-3),
// not served yet.
constexpr ApiVersionRange kServed[] = {
    {static_cast<int16_t>(ApiKey::kProduce), 0, 9},
    {static_cast<int16_t>(ApiKey::kFetch), 4, 11},
    {static_cast<int16_t>(ApiKey::kListOffsets), 1, 6},
    {static_cast<int16_t>(ApiKey::kMetadata), 0, 12},
    {static_cast<int16_t>(ApiKey::kApiVersions), 0, 3},
};

// kServed, then the group and admin APIs (their ranges and reasons are in
// group_apis.cc and admin_apis.cc).
const std::vector<ApiVersionRange>& AllServed() {
  static const std::vector<ApiVersionRange> all = [] {
    std::vector<ApiVersionRange> v(std::begin(kServed), std::end(kServed));
    for (const auto& r : GroupApis::Served()) v.push_back(r);
    for (const auto& r : AdminApis::Served()) v.push_back(r);
    return v;
  }();
  return all;
}
}  // namespace

std::span<const ApiVersionRange> SupportedApis() { return AllServed(); }

std::optional<ApiVersionRange> SupportedRange(int16_t api_key) {
  for (const auto& r : AllServed()) {
    if (r.api_key == api_key) return r;
  }
  return std::nullopt;
}

}  // namespace topicfs::kafka
