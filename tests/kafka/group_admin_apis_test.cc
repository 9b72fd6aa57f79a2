#include <gtest/gtest.h>

#include "kafka/protocol/delete_groups.h"
#include "kafka/protocol/describe_groups.h"
#include "kafka/protocol/list_groups.h"

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(ListGroupsTest, V4RequestFiltersStates) {
  ByteReader in("\x02" "\x07" "Stable" "\x00"sv);
  ListGroupsRequest r;
  ASSERT_TRUE(r.Decode(in, 4));
  ASSERT_EQ(r.states_filter.size(), 1u);
  EXPECT_EQ(r.states_filter[0], "Stable");
}

TEST(ListGroupsTest, V0RequestIsEmptyAndV1ResponseBytes) {
  ByteReader in(""sv);
  ListGroupsRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  ListGroupsResponse resp;
  resp.groups.push_back({"g", "consumer", "Stable"});
  std::string out;
  resp.Encode(&out, 1);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x00\x00\x00\x01" "\x00\x01g" "\x00\x08" "consumer"s);
  out.clear();
  resp.Encode(&out, 4);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x02" "\x02g" "\x09" "consumer" "\x07" "Stable" "\x00" "\x00"s);
}

TEST(DescribeGroupsTest, V5Request) {
  ByteReader in("\x02" "\x02g" "\x01" "\x00"sv);
  DescribeGroupsRequest r;
  ASSERT_TRUE(r.Decode(in, 5));
  EXPECT_EQ(r.groups[0], "g");
  EXPECT_TRUE(r.include_authorized_operations);
}

TEST(DescribeGroupsTest, V0ResponseBytes) {
  DescribeGroupsResponse r;
  DescribeGroupsResponse::Group& g = r.groups.emplace_back();
  g.group_id = "g";
  g.group_state = "Empty";
  std::string out;
  r.Encode(&out, 0);
  EXPECT_EQ(out, "\x00\x00\x00\x01" "\x00\x00" "\x00\x01g" "\x00\x05" "Empty" "\x00\x00" "\x00\x00"
                 "\x00\x00\x00\x00"s);
}

TEST(DescribeGroupsTest, V4ResponseWithMember) {
  DescribeGroupsResponse r;
  DescribeGroupsResponse::Group& g = r.groups.emplace_back();
  g.group_id = "g";
  g.group_state = "Stable";
  g.protocol_type = "consumer";
  g.protocol_data = "range";
  g.members.push_back({"m", std::nullopt, "c", "/h", "md", "as"});
  std::string out;
  r.Encode(&out, 4);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x00" "\x00\x01g" "\x00\x06" "Stable"
                 "\x00\x08" "consumer" "\x00\x05" "range" "\x00\x00\x00\x01" "\x00\x01m" "\xff\xff" "\x00\x01" "c"
                 "\x00\x02/h" "\x00\x00\x00\x02" "md" "\x00\x00\x00\x02" "as" "\x80\x00\x00\x00"s);
}

TEST(DeleteGroupsTest, V2RequestAndResponse) {
  ByteReader in("\x03" "\x02g" "\x02h" "\x00"sv);
  DeleteGroupsRequest r;
  ASSERT_TRUE(r.Decode(in, 2));
  EXPECT_EQ(r.groups_names.size(), 2u);
  DeleteGroupsResponse resp;
  resp.results.push_back({"g", 68});
  std::string out;
  resp.Encode(&out, 0);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01g" "\x00\x44"s);
}

TEST(DeleteGroupsTest, TruncatedRequestFails) {
  ByteReader in("\x00\x00\x00\x02" "\x00\x01g"sv);
  DeleteGroupsRequest r;
  EXPECT_FALSE(r.Decode(in, 0));
}

}  // namespace
}  // namespace topicfs::kafka
