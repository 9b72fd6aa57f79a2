#pragma once
// DeleteRecords (key 21), versions 0-2 (DeleteRecordsRequest.json,
// DeleteRecordsResponse.json): moves partitions' log start up to an
// offset (-1: the high watermark), answering the new low watermark. v2+
// is flexible.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct DeleteRecordsRequest {
  struct Partition {
    int32_t index = 0;
    int64_t offset = 0;
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;

  bool Decode(ByteReader& in, int16_t version);
};

struct DeleteRecordsResponse {
  struct Partition {
    int32_t index = 0;
    int64_t low_watermark = -1;
    int16_t error_code = 0;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
