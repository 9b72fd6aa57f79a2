#include "kafka/protocol/metadata.h"

#include <gtest/gtest.h>

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(MetadataTest, V1NullTopicArrayAsksForEveryTopic) {
  ByteReader in("\xff\xff\xff\xff"sv);
  MetadataRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  EXPECT_FALSE(r.topics.has_value());
}

TEST(MetadataTest, V0EmptyTopicArrayAsksForEveryTopic) {
  ByteReader in("\x00\x00\x00\x00"sv);
  MetadataRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  EXPECT_FALSE(r.topics.has_value());
}

TEST(MetadataTest, V4RequestNamesTopicsAndAutoCreation) {
  ByteReader in("\x00\x00\x00\x02\x00\x01" "a" "\x00\x02" "bc" "\x00"sv);
  MetadataRequest r;
  ASSERT_TRUE(r.Decode(in, 4));
  ASSERT_TRUE(r.topics.has_value());
  EXPECT_EQ(*r.topics, (std::vector<std::string_view>{"a", "bc"}));
  EXPECT_FALSE(r.allow_auto_topic_creation);
}

TEST(MetadataTest, V12RequestHasTopicIdsAndFlexibleFields) {
  std::string uuid(16, '\0');
  const std::string bytes = "\x02"s + uuid + "\x02t\x00" "\x01" "\x00" "\x00"s;
  ByteReader in(bytes);
  MetadataRequest r;
  ASSERT_TRUE(r.Decode(in, 12));
  EXPECT_EQ(*r.topics, (std::vector<std::string_view>{"t"}));
  EXPECT_TRUE(r.allow_auto_topic_creation);
}

TEST(MetadataTest, TruncatedRequestFails) {
  ByteReader in("\x00\x00\x00\x01\x00\x05" "ab"sv);
  MetadataRequest r;
  EXPECT_FALSE(r.Decode(in, 4));
}

TEST(MetadataTest, V1ResponseBytes) {
  MetadataResponse r;
  r.brokers = {{1, "h", 9092}};
  r.controller_id = 1;
  MetadataResponse::Topic t;
  t.name = "t";
  t.partitions.push_back({0, 0, 1, 0, {1}, {1}});
  r.topics.push_back(t);
  std::string out;
  r.Encode(&out, 1);
  EXPECT_EQ(out,
            "\x00\x00\x00\x01" "\x00\x00\x00\x01" "\x00\x01h" "\x00\x00\x23\x84" "\xff\xff"
            "\x00\x00\x00\x01"
            "\x00\x00\x00\x01" "\x00\x00" "\x00\x01t" "\x00"
            "\x00\x00\x00\x01" "\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x01"
            "\x00\x00\x00\x01\x00\x00\x00\x01" "\x00\x00\x00\x01\x00\x00\x00\x01"s);
}

TEST(MetadataTest, V9ResponseIsCompact) {
  MetadataResponse r;
  r.brokers = {{1, "h", 1}};
  r.cluster_id = "c";
  std::string out;
  r.Encode(&out, 9);
  EXPECT_EQ(out,
            "\x00\x00\x00\x00" "\x02" "\x00\x00\x00\x01" "\x02h" "\x00\x00\x00\x01" "\x00" "\x00"
            "\x02" "c" "\xff\xff\xff\xff" "\x01" "\x80\x00\x00\x00" "\x00"s);
}

}  // namespace
}  // namespace topicfs::kafka
