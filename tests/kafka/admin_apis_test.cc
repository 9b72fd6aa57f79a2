#include <gtest/gtest.h>

#include "kafka/protocol/alter_configs.h"
#include "kafka/protocol/create_partitions.h"
#include "kafka/protocol/create_topics.h"
#include "kafka/protocol/delete_records.h"
#include "kafka/protocol/delete_topics.h"
#include "kafka/protocol/describe_acls.h"
#include "kafka/protocol/describe_cluster.h"
#include "kafka/protocol/describe_configs.h"
#include "kafka/protocol/incremental_alter_configs.h"
#include "kafka/protocol/init_producer_id.h"
#include "kafka/protocol/sasl_handshake.h"

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(CreateTopicsTest, V2Request) {
  ByteReader in("\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x04" "\xff\xff" "\x00\x00\x00\x00"
                "\x00\x00\x00\x01" "\x00\x0cretention.ms" "\x00\x04" "1000" "\x00\x00\x75\x30" "\x00"sv);
  CreateTopicsRequest r;
  ASSERT_TRUE(r.Decode(in, 2));
  ASSERT_EQ(r.topics.size(), 1u);
  EXPECT_EQ(r.topics[0].num_partitions, 4);
  EXPECT_EQ(r.topics[0].replication_factor, -1);
  ASSERT_EQ(r.topics[0].configs.size(), 1u);
  EXPECT_EQ(r.topics[0].configs[0].value, "1000");
  EXPECT_EQ(r.timeout_ms, 30000);
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(CreateTopicsTest, V7RequestIsFlexible) {
  ByteReader in("\x02" "\x02t" "\xff\xff\xff\xff" "\x00\x01" "\x02" "\x00\x00\x00\x00" "\x02"
                "\x00\x00\x00\x01" "\x00" "\x01" "\x00" "\x00\x00\x75\x30" "\x01" "\x00"sv);
  CreateTopicsRequest r;
  ASSERT_TRUE(r.Decode(in, 7));
  EXPECT_EQ(r.topics[0].num_partitions, -1);
  EXPECT_EQ(r.topics[0].replication_factor, 1);
  EXPECT_EQ(r.topics[0].assignments, 1);
  EXPECT_TRUE(r.validate_only);
}

TEST(CreateTopicsTest, V2ResponseBytes) {
  CreateTopicsResponse r;
  r.topics.push_back({"t", {}, 36, "exists", 1, 1, std::nullopt});
  std::string out;
  r.Encode(&out, 2);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x24" "\x00\x06" "exists"s);
}

TEST(CreateTopicsTest, V5ResponseHasConfigs) {
  CreateTopicsResponse r;
  r.topics.push_back({"t", {}, 0, std::nullopt, 2, 1, std::vector<CreateTopicsResponse::Config>{{"a", "b", false, 5, false}}});
  std::string out;
  r.Encode(&out, 5);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x02" "\x02t" "\x00\x00" "\x00" "\x00\x00\x00\x02" "\x00\x01"
                 "\x02" "\x02" "a" "\x02" "b" "\x00" "\x05" "\x00" "\x00" "\x00" "\x00"s);
}

TEST(DeleteTopicsTest, V1RequestAndResponse) {
  ByteReader in("\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x75\x30"sv);
  DeleteTopicsRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  EXPECT_EQ(r.topics[0].name, "t");
  DeleteTopicsResponse resp;
  resp.responses.push_back({"t", {}, 3, std::nullopt});
  std::string out;
  resp.Encode(&out, 1);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x03"s);
}

TEST(DeleteTopicsTest, V6RequestNamesTopicsOrIds) {
  std::string bytes = "\x03" "\x02t"s + std::string(16, '\0') + "\x00" "\x00"s + std::string(16, '\x01') +
                      "\x00" "\x00\x00\x75\x30" "\x00"s;
  ByteReader in(bytes);
  DeleteTopicsRequest r;
  ASSERT_TRUE(r.Decode(in, 6));
  ASSERT_EQ(r.topics.size(), 2u);
  EXPECT_EQ(r.topics[0].name, "t");
  EXPECT_FALSE(r.topics[1].name);
  EXPECT_EQ(r.topics[1].topic_id[0], 1);
}

TEST(CreatePartitionsTest, V0RequestAndV2Response) {
  ByteReader in("\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x03" "\xff\xff\xff\xff" "\x00\x00\x75\x30" "\x00"sv);
  CreatePartitionsRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  EXPECT_EQ(r.topics[0].count, 3);
  EXPECT_FALSE(r.topics[0].has_assignments);
  CreatePartitionsResponse resp;
  resp.results.push_back({"t", 37, "no"});
  std::string out;
  resp.Encode(&out, 2);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x02" "\x02t" "\x00\x25" "\x03no" "\x00" "\x00"s);
}

TEST(DescribeConfigsTest, V1RequestWithNullKeys) {
  ByteReader in("\x00\x00\x00\x01" "\x02" "\x00\x01t" "\xff\xff\xff\xff" "\x01"sv);
  DescribeConfigsRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  EXPECT_EQ(r.resources[0].resource_type, kResourceTopic);
  EXPECT_FALSE(r.resources[0].configuration_keys);
  EXPECT_TRUE(r.include_synonyms);
}

TEST(DescribeConfigsTest, V4RequestIsFlexible) {
  ByteReader in("\x02" "\x04" "\x02" "1" "\x02" "\x0e" "segment.bytes" "\x00" "\x00" "\x01" "\x00"sv);
  DescribeConfigsRequest r;
  ASSERT_TRUE(r.Decode(in, 4));
  EXPECT_EQ(r.resources[0].resource_type, kResourceBroker);
  ASSERT_TRUE(r.resources[0].configuration_keys);
  EXPECT_EQ((*r.resources[0].configuration_keys)[0], "segment.bytes");
  EXPECT_TRUE(r.include_documentation);
}

TEST(DescribeConfigsTest, V1ResponseBytes) {
  DescribeConfigsResponse r;
  DescribeConfigsResponse::Result& res = r.results.emplace_back();
  res.resource_type = kResourceTopic;
  res.resource_name = "t";
  res.configs.push_back({"a", "b", false, kSourceTopicConfig, false, {}, 5, std::nullopt});
  std::string out;
  r.Encode(&out, 1);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x00" "\xff\xff" "\x02" "\x00\x01t"
                 "\x00\x00\x00\x01" "\x00\x01" "a" "\x00\x01" "b" "\x00" "\x01" "\x00" "\x00\x00\x00\x00"s);
}

TEST(DescribeConfigsTest, V4ResponseHasTypeAndDocumentation) {
  DescribeConfigsResponse r;
  DescribeConfigsResponse::Result& res = r.results.emplace_back();
  res.resource_type = kResourceTopic;
  res.resource_name = "t";
  res.configs.push_back({"a", std::nullopt, true, kSourceDefault, false, {{"a", "b", 5}}, 5, std::nullopt});
  std::string out;
  r.Encode(&out, 4);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x02" "\x00\x00" "\x00" "\x02" "\x02t" "\x02" "\x02" "a" "\x00" "\x01"
                 "\x05" "\x00" "\x02" "\x02" "a" "\x02" "b" "\x05" "\x00" "\x05" "\x00" "\x00" "\x00" "\x00"s);
}

TEST(AlterConfigsTest, V0RequestAndResponse) {
  ByteReader in("\x00\x00\x00\x01" "\x02" "\x00\x01t" "\x00\x00\x00\x02" "\x00\x01" "a" "\x00\x01" "b"
                "\x00\x01" "c" "\xff\xff" "\x00"sv);
  AlterConfigsRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  ASSERT_EQ(r.resources[0].configs.size(), 2u);
  EXPECT_FALSE(r.resources[0].configs[1].value);
  AlterConfigsResponse resp;
  resp.responses.push_back({40, "bad", kResourceTopic, "t"});
  std::string out;
  resp.Encode(&out, 0);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x28" "\x00\x03" "bad" "\x02" "\x00\x01t"s);
}

TEST(IncrementalAlterConfigsTest, V1RequestAndResponse) {
  ByteReader in("\x02" "\x02" "\x02t" "\x02" "\x02" "a" "\x01" "\x00" "\x00" "\x00" "\x01" "\x00"sv);
  IncrementalAlterConfigsRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  EXPECT_EQ(r.resources[0].configs[0].config_operation, kOpDelete);
  EXPECT_FALSE(r.resources[0].configs[0].value);
  EXPECT_TRUE(r.validate_only);
  IncrementalAlterConfigsResponse resp;
  resp.responses.push_back({0, std::nullopt, kResourceTopic, "t"});
  std::string out;
  resp.Encode(&out, 1);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x02" "\x00\x00" "\x00" "\x02" "\x02t" "\x00" "\x00"s);
}

TEST(DescribeClusterTest, V1RequestAndResponse) {
  ByteReader in("\x00" "\x01" "\x00"sv);
  DescribeClusterRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  EXPECT_EQ(r.endpoint_type, 1);
  DescribeClusterResponse resp;
  resp.cluster_id = "c";
  resp.controller_id = 1;
  resp.brokers.push_back({1, "h", 9092});
  std::string out;
  resp.Encode(&out, 1);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x00" "\x01" "\x02" "c" "\x00\x00\x00\x01" "\x02"
                 "\x00\x00\x00\x01" "\x02h" "\x00\x00\x23\x84" "\x00" "\x00" "\x80\x00\x00\x00" "\x00"s);
}

// What MirrorMaker 2's ACL sync asks (topics, any name, LITERAL... MATCH,
// ALLOW, any operation) and the empty answer, v1 and flexible v2.
TEST(DescribeAclsTest, RequestsDecodeAndTheAnswerListsNothing) {
  ByteReader v1("\x02" "\xff\xff" "\x03" "\xff\xff" "\xff\xff" "\x01" "\x03"sv);
  DescribeAclsRequest r;
  ASSERT_TRUE(r.Decode(v1, 1));
  EXPECT_EQ(r.resource_type_filter, 2);
  EXPECT_FALSE(r.resource_name_filter);
  EXPECT_EQ(r.pattern_type_filter, 3);
  EXPECT_EQ(r.permission_type, 3);
  ByteReader v2("\x02" "\x02t" "\x03" "\x00" "\x00" "\x01" "\x03" "\x00"sv);
  DescribeAclsRequest f;
  ASSERT_TRUE(f.Decode(v2, 2));
  EXPECT_EQ(f.resource_name_filter, std::optional<std::string_view>("t"));
  DescribeAclsResponse resp;
  std::string out;
  resp.Encode(&out, 1);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\xff\xff" "\x00\x00\x00\x00"s);
  out.clear();
  resp.Encode(&out, 3);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x00" "\x01" "\x00"s);
}

TEST(DeleteRecordsTest, V0RequestAndResponse) {
  ByteReader in("\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01" "\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x10" "\x00\x00\x75\x30"sv);
  DeleteRecordsRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  EXPECT_EQ(r.topics[0].partitions[0].offset, 16);
  DeleteRecordsResponse resp;
  resp.topics.push_back({"t", {{0, 16, 0}}});
  std::string out;
  resp.Encode(&out, 2);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x02" "\x02t" "\x02" "\x00\x00\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x10"
                 "\x00\x00" "\x00" "\x00" "\x00"s);
}

TEST(SaslHandshakeTest, UnsupportedAnswerHasNoMechanisms) {
  ByteReader in("\x00\x05PLAIN"sv);
  SaslHandshakeRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  EXPECT_EQ(r.mechanism, "PLAIN");
  SaslHandshakeResponse resp;
  resp.error_code = 33;
  std::string out;
  resp.Encode(&out, 1);
  EXPECT_EQ(out, "\x00\x21" "\x00\x00\x00\x00"s);
}

TEST(InitProducerIdTest, V0AndV4Requests) {
  ByteReader in("\xff\xff" "\x00\x00\xea\x60"sv);
  InitProducerIdRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  EXPECT_FALSE(r.transactional_id);
  ByteReader in4("\x03tx" "\x00\x00\xea\x60" "\x00\x00\x00\x00\x00\x00\x00\x07" "\x00\x02" "\x00"sv);
  InitProducerIdRequest r4;
  ASSERT_TRUE(r4.Decode(in4, 4));
  EXPECT_EQ(r4.transactional_id, "tx");
  EXPECT_EQ(r4.producer_id, 7);
  EXPECT_EQ(r4.producer_epoch, 2);
}

TEST(InitProducerIdTest, V2ResponseBytes) {
  InitProducerIdResponse r;
  r.producer_id = 7;
  r.producer_epoch = 0;
  std::string out;
  r.Encode(&out, 2);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x07" "\x00\x00" "\x00"s);
}

}  // namespace
}  // namespace topicfs::kafka
