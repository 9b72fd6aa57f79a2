#include <gtest/gtest.h>

#include "kafka/protocol/heartbeat.h"
#include "kafka/protocol/join_group.h"
#include "kafka/protocol/leave_group.h"
#include "kafka/protocol/sync_group.h"

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(JoinGroupTest, V2Request) {
  ByteReader in("\x00\x01g" "\x00\x00\x27\x10" "\x00\x00\x75\x30" "\x00\x00" "\x00\x08" "consumer"
                "\x00\x00\x00\x01" "\x00\x05range" "\x00\x00\x00\x02" "md"sv);
  JoinGroupRequest r;
  ASSERT_TRUE(r.Decode(in, 2));
  EXPECT_EQ(r.group_id, "g");
  EXPECT_EQ(r.session_timeout_ms, 10000);
  EXPECT_EQ(r.rebalance_timeout_ms, 30000);
  EXPECT_EQ(r.member_id, "");
  EXPECT_FALSE(r.group_instance_id);
  ASSERT_EQ(r.protocols.size(), 1u);
  EXPECT_EQ(r.protocols[0].name, "range");
  EXPECT_EQ(r.protocols[0].metadata, "md");
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(JoinGroupTest, V9RequestIsFlexibleWithReason) {
  ByteReader in("\x02g" "\x00\x00\x27\x10" "\x00\x00\x75\x30" "\x02m" "\x03in" "\x09" "consumer"
                "\x02" "\x06range" "\x03md" "\x00" "\x00" "\x00"sv);
  JoinGroupRequest r;
  ASSERT_TRUE(r.Decode(in, 9));
  EXPECT_EQ(r.member_id, "m");
  EXPECT_EQ(r.group_instance_id, "in");
  EXPECT_FALSE(r.reason);
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(JoinGroupTest, NullProtocolsFail) {
  ByteReader in("\x00\x01g" "\x00\x00\x27\x10" "\x00\x00\x75\x30" "\x00\x00" "\x00\x01" "c"
                "\xff\xff\xff\xff"sv);
  JoinGroupRequest r;
  EXPECT_FALSE(r.Decode(in, 2));
}

TEST(JoinGroupTest, V5ResponseBytes) {
  JoinGroupResponse r;
  r.generation_id = 1;
  r.protocol_name = "range";
  r.leader = "m";
  r.member_id = "m";
  r.members.push_back({"m", std::nullopt, "md"});
  std::string out;
  r.Encode(&out, 5);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x00\x00\x00\x01" "\x00\x05range" "\x00\x01m" "\x00\x01m"
                 "\x00\x00\x00\x01" "\x00\x01m" "\xff\xff" "\x00\x00\x00\x02md"s);
}

TEST(JoinGroupTest, V7ResponseHasProtocolTypeAndNullName) {
  JoinGroupResponse r;
  r.error_code = 79;  // MEMBER_ID_REQUIRED
  r.member_id = "m";
  std::string out;
  r.Encode(&out, 7);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x4f" "\xff\xff\xff\xff" "\x00" "\x00" "\x01" "\x02m" "\x01" "\x00"s);
}

TEST(SyncGroupTest, V5RequestWithAssignments) {
  ByteReader in("\x02g" "\x00\x00\x00\x01" "\x02m" "\x00" "\x09" "consumer" "\x06range"
                "\x02" "\x02m" "\x03" "as" "\x00" "\x00"sv);
  SyncGroupRequest r;
  ASSERT_TRUE(r.Decode(in, 5));
  EXPECT_EQ(r.generation_id, 1);
  EXPECT_EQ(r.protocol_type, "consumer");
  EXPECT_EQ(r.protocol_name, "range");
  ASSERT_EQ(r.assignments.size(), 1u);
  EXPECT_EQ(r.assignments[0].assignment, "as");
}

TEST(SyncGroupTest, V0ResponseBytes) {
  SyncGroupResponse r;
  r.assignment = "as";
  std::string out;
  r.Encode(&out, 0);
  EXPECT_EQ(out, "\x00\x00" "\x00\x00\x00\x02" "as"s);
}

TEST(SyncGroupTest, V4ResponseBytes) {
  SyncGroupResponse r;
  r.error_code = 27;
  std::string out;
  r.Encode(&out, 4);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x1b" "\x01" "\x00"s);
}

TEST(HeartbeatTest, V3RequestAndV4Response) {
  ByteReader in("\x00\x01g" "\x00\x00\x00\x02" "\x00\x01m" "\xff\xff"sv);
  HeartbeatRequest r;
  ASSERT_TRUE(r.Decode(in, 3));
  EXPECT_EQ(r.generation_id, 2);
  EXPECT_FALSE(r.group_instance_id);
  HeartbeatResponse resp;
  resp.error_code = 27;
  std::string out;
  resp.Encode(&out, 4);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x1b" "\x00"s);
}

TEST(LeaveGroupTest, V1RequestIsOneMember) {
  ByteReader in("\x00\x01g" "\x00\x01m"sv);
  LeaveGroupRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  ASSERT_EQ(r.members.size(), 1u);
  EXPECT_EQ(r.members[0].member_id, "m");
}

TEST(LeaveGroupTest, V5RequestBatchesMembers) {
  ByteReader in("\x02g" "\x03" "\x02m" "\x00" "\x03go" "\x00" "\x01" "\x02i" "\x00" "\x00" "\x00"sv);
  LeaveGroupRequest r;
  ASSERT_TRUE(r.Decode(in, 5));
  ASSERT_EQ(r.members.size(), 2u);
  EXPECT_EQ(r.members[0].reason, "go");
  EXPECT_EQ(r.members[1].group_instance_id, "i");
}

TEST(LeaveGroupTest, V3ResponseBytes) {
  LeaveGroupResponse r;
  r.members.push_back({"m", std::nullopt, 25});
  std::string out;
  r.Encode(&out, 3);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x00\x00\x00\x01" "\x00\x01m" "\xff\xff" "\x00\x19"s);
}

}  // namespace
}  // namespace topicfs::kafka
