#include "kafka/protocol/list_offsets.h"

#include <gtest/gtest.h>

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(ListOffsetsTest, V1Request) {
  ByteReader in("\xff\xff\xff\xff" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01"
                "\x00\x00\x00\x00" "\xff\xff\xff\xff\xff\xff\xff\xfe"sv);
  ListOffsetsRequest r;
  ASSERT_TRUE(r.Decode(in, 1));
  EXPECT_EQ(r.topics[0].partitions[0].timestamp, kEarliestTimestamp);
}

TEST(ListOffsetsTest, V7RequestIsFlexible) {
  ByteReader in("\xff\xff\xff\xff" "\x00" "\x02" "\x02t" "\x02" "\x00\x00\x00\x01"
                "\xff\xff\xff\xff" "\xff\xff\xff\xff\xff\xff\xff\xfd" "\x00" "\x00" "\x00"sv);
  ListOffsetsRequest r;
  ASSERT_TRUE(r.Decode(in, 7));
  EXPECT_EQ(r.topics[0].partitions[0].index, 1);
  EXPECT_EQ(r.topics[0].partitions[0].timestamp, kMaxTimestamp);
}

TEST(ListOffsetsTest, V4ResponseBytes) {
  ListOffsetsResponse r;
  r.topics.push_back({"t", {{0, 0, -1, 60, 0}}});
  std::string out;
  r.Encode(&out, 4);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01"
                 "\x00\x00\x00\x00" "\x00\x00" "\xff\xff\xff\xff\xff\xff\xff\xff"
                 "\x00\x00\x00\x00\x00\x00\x00\x3c" "\x00\x00\x00\x00"s);
}

}  // namespace
}  // namespace topicfs::kafka
