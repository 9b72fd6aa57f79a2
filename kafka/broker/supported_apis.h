#pragma once
// The APIs and versions this broker serves: what ApiVersions advertises and
// what Broker::Handle accepts. Each range's reasons are in
// supported_apis.cc.

#include <cstdint>
#include <optional>
#include <span>

#include "kafka/protocol/api_versions.h"

namespace topicfs::kafka {

std::span<const ApiVersionRange> SupportedApis();
// The range served for api_key, nullopt when the API is not served.
std::optional<ApiVersionRange> SupportedRange(int16_t api_key);

}  // namespace topicfs::kafka
