#pragma once
// Decodes `bytes` as a request header and then as the body of every API
// and version the broker serves, as the broker would: what the decoder
// robustness test and the libFuzzer target both feed. Decoding must fail
// cleanly or succeed; it must never read outside `bytes` (AddressSanitizer
// and the fuzzer's own checks catch that) or crash.

#include <cstdint>
#include <string_view>

#include "kafka/protocol/alter_configs.h"
#include "kafka/protocol/api_versions.h"
#include "kafka/protocol/create_partitions.h"
#include "kafka/protocol/create_topics.h"
#include "kafka/protocol/delete_groups.h"
#include "kafka/protocol/delete_records.h"
#include "kafka/protocol/delete_topics.h"
#include "kafka/protocol/describe_acls.h"
#include "kafka/protocol/describe_cluster.h"
#include "kafka/protocol/describe_configs.h"
#include "kafka/protocol/describe_groups.h"
#include "kafka/protocol/fetch.h"
#include "kafka/protocol/find_coordinator.h"
#include "kafka/protocol/heartbeat.h"
#include "kafka/protocol/incremental_alter_configs.h"
#include "kafka/protocol/init_producer_id.h"
#include "kafka/protocol/join_group.h"
#include "kafka/protocol/leave_group.h"
#include "kafka/protocol/list_groups.h"
#include "kafka/protocol/list_offsets.h"
#include "kafka/protocol/metadata.h"
#include "kafka/protocol/offset_commit.h"
#include "kafka/protocol/offset_delete.h"
#include "kafka/protocol/offset_fetch.h"
#include "kafka/protocol/produce.h"
#include "kafka/protocol/request_header.h"
#include "kafka/protocol/sasl_handshake.h"
#include "kafka/protocol/sync_group.h"

namespace topicfs::kafka {

// How many of the versions [low, high] of request R decode `bytes`.
template <typename R>
int DecodeEveryVersion(std::string_view bytes, int16_t low, int16_t high) {
  int ok = 0;
  for (int16_t v = low; v <= high; ++v) {
    ByteReader in(bytes);
    R request;
    ok += request.Decode(in, v);
  }
  return ok;
}

// Returns how many decodes succeeded (so the work is not optimised away).
// The version ranges are the broker's (kafka/broker/*_apis.cc).
inline int DecodeAnyRequest(std::string_view bytes) {
  int ok = 0;
  {
    ByteReader in(bytes);
    RequestHeader header;
    ok += header.Decode(in);
  }
  ok += DecodeEveryVersion<ApiVersionsRequest>(bytes, 0, 3);
  ok += DecodeEveryVersion<MetadataRequest>(bytes, 0, 12);
  ok += DecodeEveryVersion<ProduceRequest>(bytes, 0, 9);
  ok += DecodeEveryVersion<FetchRequest>(bytes, 4, 11);
  ok += DecodeEveryVersion<ListOffsetsRequest>(bytes, 1, 7);
  ok += DecodeEveryVersion<FindCoordinatorRequest>(bytes, 0, 4);
  ok += DecodeEveryVersion<JoinGroupRequest>(bytes, 2, 9);
  ok += DecodeEveryVersion<SyncGroupRequest>(bytes, 0, 5);
  ok += DecodeEveryVersion<HeartbeatRequest>(bytes, 0, 4);
  ok += DecodeEveryVersion<LeaveGroupRequest>(bytes, 0, 5);
  ok += DecodeEveryVersion<OffsetCommitRequest>(bytes, 2, 8);
  ok += DecodeEveryVersion<OffsetFetchRequest>(bytes, 1, 8);
  ok += DecodeEveryVersion<ListGroupsRequest>(bytes, 0, 4);
  ok += DecodeEveryVersion<DescribeGroupsRequest>(bytes, 0, 5);
  ok += DecodeEveryVersion<DeleteGroupsRequest>(bytes, 0, 2);
  ok += DecodeEveryVersion<OffsetDeleteRequest>(bytes, 0, 0);
  ok += DecodeEveryVersion<CreateTopicsRequest>(bytes, 2, 7);
  ok += DecodeEveryVersion<DeleteTopicsRequest>(bytes, 1, 6);
  ok += DecodeEveryVersion<CreatePartitionsRequest>(bytes, 0, 3);
  ok += DecodeEveryVersion<DescribeConfigsRequest>(bytes, 1, 4);
  ok += DecodeEveryVersion<AlterConfigsRequest>(bytes, 0, 2);
  ok += DecodeEveryVersion<IncrementalAlterConfigsRequest>(bytes, 0, 1);
  ok += DecodeEveryVersion<DescribeClusterRequest>(bytes, 0, 1);
  ok += DecodeEveryVersion<DeleteRecordsRequest>(bytes, 0, 2);
  ok += DecodeEveryVersion<SaslHandshakeRequest>(bytes, 0, 1);
  ok += DecodeEveryVersion<InitProducerIdRequest>(bytes, 0, 5);
  ok += DecodeEveryVersion<DescribeAclsRequest>(bytes, 1, 3);
  return ok;
}

}  // namespace topicfs::kafka
