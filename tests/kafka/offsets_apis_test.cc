#include <gtest/gtest.h>

#include "kafka/protocol/offset_commit.h"
#include "kafka/protocol/offset_delete.h"
#include "kafka/protocol/offset_fetch.h"

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(OffsetCommitTest, V2RequestSkipsRetentionTime) {
  ByteReader in("\x00\x01g" "\xff\xff\xff\xff" "\x00\x00" "\xff\xff\xff\xff\xff\xff\xff\xff"
                "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01" "\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x2a" "\xff\xff"sv);
  OffsetCommitRequest r;
  ASSERT_TRUE(r.Decode(in, 2));
  EXPECT_EQ(r.generation_id, -1);
  ASSERT_EQ(r.topics.size(), 1u);
  EXPECT_EQ(r.topics[0].partitions[0].committed_offset, 42);
  EXPECT_FALSE(r.topics[0].partitions[0].committed_metadata);
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(OffsetCommitTest, V8RequestIsFlexible) {
  ByteReader in("\x02g" "\x00\x00\x00\x03" "\x02m" "\x00" "\x02" "\x02t" "\x02" "\x00\x00\x00\x01"
                "\x00\x00\x00\x00\x00\x00\x00\x10" "\x00\x00\x00\x00" "\x01" "\x00" "\x00" "\x00"sv);
  OffsetCommitRequest r;
  ASSERT_TRUE(r.Decode(in, 8));
  EXPECT_EQ(r.generation_id, 3);
  EXPECT_EQ(r.member_id, "m");
  EXPECT_EQ(r.topics[0].partitions[0].index, 1);
  EXPECT_EQ(r.topics[0].partitions[0].committed_leader_epoch, 0);
  EXPECT_EQ(r.topics[0].partitions[0].committed_metadata, "");
}

TEST(OffsetCommitTest, V3ResponseBytes) {
  OffsetCommitResponse r;
  r.topics.push_back({"t", {{0, 25}}});
  std::string out;
  r.Encode(&out, 3);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01" "\x00\x00\x00\x00"
                 "\x00\x19"s);
}

TEST(OffsetFetchTest, V1RequestNamesPartitions) {
  ByteReader in("\x00\x01g" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x02" "\x00\x00\x00\x00"
                "\x00\x00\x00\x01"sv);
  OffsetFetchRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  ASSERT_EQ(r.groups.size(), 1u);
  ASSERT_TRUE(r.groups[0].topics);
  EXPECT_EQ((*r.groups[0].topics)[0].partition_indexes.size(), 2u);
}

TEST(OffsetFetchTest, NullTopicsAreRefusedBeforeV2) {
  ByteReader in("\x00\x01g" "\xff\xff\xff\xff"sv);
  OffsetFetchRequest r;
  EXPECT_FALSE(r.Decode(in, 1));
  ByteReader in2("\x00\x01g" "\xff\xff\xff\xff"sv);
  OffsetFetchRequest r2;
  ASSERT_TRUE(r2.Decode(in2, 2));
  EXPECT_FALSE(r2.groups[0].topics);
}

TEST(OffsetFetchTest, V8RequestAsksForSeveralGroups) {
  ByteReader in("\x03" "\x02g" "\x00" "\x00" "\x02h" "\x02" "\x02t" "\x02" "\x00\x00\x00\x00" "\x00" "\x00"
                "\x01" "\x00"sv);
  OffsetFetchRequest r;
  ASSERT_TRUE(r.Decode(in, 8));
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_FALSE(r.groups[0].topics);
  ASSERT_TRUE(r.groups[1].topics);
  EXPECT_EQ((*r.groups[1].topics)[0].name, "t");
  EXPECT_TRUE(r.require_stable);
}

TEST(OffsetFetchTest, V5ResponseBytes) {
  OffsetFetchResponse r;
  r.groups.push_back({"g", {{"t", {{0, 7, -1, "", 0}}}}, 0});
  std::string out;
  r.Encode(&out, 5);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01" "\x00\x00\x00\x00"
                 "\x00\x00\x00\x00\x00\x00\x00\x07" "\xff\xff\xff\xff" "\x00\x00" "\x00\x00" "\x00\x00"s);
}

TEST(OffsetFetchTest, V8ResponseBytes) {
  OffsetFetchResponse r;
  r.groups.push_back({"g", {}, 69});
  std::string out;
  r.Encode(&out, 8);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x02" "\x02g" "\x01" "\x00\x45" "\x00" "\x00"s);
}

TEST(OffsetDeleteTest, RequestAndResponse) {
  ByteReader in("\x00\x01g" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01" "\x00\x00\x00\x03"sv);
  OffsetDeleteRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  EXPECT_EQ(r.topics[0].partitions[0], 3);
  OffsetDeleteResponse resp;
  resp.topics.push_back({"t", {{3, 86}}});
  std::string out;
  resp.Encode(&out, 0);
  EXPECT_EQ(out, "\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01"
                 "\x00\x00\x00\x03" "\x00\x56"s);
}

}  // namespace
}  // namespace topicfs::kafka
