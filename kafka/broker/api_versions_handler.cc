// ApiVersions: the served ranges (supported_apis.cc). A version we do not
// know is answered as Kafka answers it: UNSUPPORTED_VERSION with our ranges
// in a v0 body (the response header is v0 at every version), and the
// client retries with a version from them.

#include <spdlog/spdlog.h>

#include "kafka/broker/broker.h"
#include "kafka/broker/supported_apis.h"
#include "kafka/protocol/api_versions.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

void Broker::HandleApiVersions(Call& call, ByteReader& in) {
  ApiVersionsResponse response;
  auto apis = SupportedApis();
  response.api_keys.assign(apis.begin(), apis.end());
  auto range = SupportedRange(call.header.api_key);
  int16_t version = call.header.api_version;
  if (version < range->min_version || version > range->max_version) {
    response.error_code = error::kUnsupportedVersion;
    version = 0;
  } else {
    ApiVersionsRequest request;
    if (!request.Decode(in, version)) return Refuse(call, "ApiVersions request: " + in.error());
    spdlog::debug("kafka: ApiVersions v{} from {} {}", version, request.client_software_name,
                  request.client_software_version);
  }
  std::string body;
  response.Encode(&body, version);
  Reply(call, std::move(body));
}

}  // namespace topicfs::kafka
