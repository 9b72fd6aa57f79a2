#include "kafka/protocol/produce.h"

#include <gtest/gtest.h>

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(ProduceTest, V3RequestKeepsTheRecordsAsBytes) {
  ByteReader in("\xff\xff" "\xff\xff" "\x00\x00\x13\x88" "\x00\x00\x00\x01" "\x00\x01t"
                "\x00\x00\x00\x01" "\x00\x00\x00\x02" "\x00\x00\x00\x03" "REC"sv);
  ProduceRequest r;
  ASSERT_TRUE(r.Decode(in, 3));
  EXPECT_EQ(r.transactional_id, std::nullopt);
  EXPECT_EQ(r.acks, -1);
  EXPECT_EQ(r.timeout_ms, 5000);
  ASSERT_EQ(r.topics.size(), 1u);
  EXPECT_EQ(r.topics[0].name, "t");
  ASSERT_EQ(r.topics[0].partitions.size(), 1u);
  EXPECT_EQ(r.topics[0].partitions[0].index, 2);
  EXPECT_EQ(r.topics[0].partitions[0].records, "REC");
}

TEST(ProduceTest, V9RequestIsCompact) {
  ByteReader in("\x00" "\x00\x01" "\x00\x00\x00\x64" "\x02" "\x02t" "\x02" "\x00\x00\x00\x00"
                "\x04" "REC" "\x00" "\x00" "\x00"sv);
  ProduceRequest r;
  ASSERT_TRUE(r.Decode(in, 9));
  EXPECT_EQ(r.acks, 1);
  EXPECT_EQ(r.topics[0].partitions[0].records, "REC");
}

TEST(ProduceTest, RecordsLongerThanTheRequestFail) {
  ByteReader in("\xff\xff" "\x00\x01" "\x00\x00\x00\x64" "\x00\x00\x00\x01" "\x00\x01t"
                "\x00\x00\x00\x01" "\x00\x00\x00\x00" "\x00\x00\x10\x00" "REC"sv);
  ProduceRequest r;
  EXPECT_FALSE(r.Decode(in, 3));
}

TEST(ProduceTest, V7ResponseBytes) {
  ProduceResponse r;
  r.topics.push_back({"t", {{0, 0, 100, -1, 0, std::nullopt}}});
  std::string out;
  r.Encode(&out, 7);
  EXPECT_EQ(out, "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01" "\x00\x00\x00\x00" "\x00\x00"
                 "\x00\x00\x00\x00\x00\x00\x00\x64" "\xff\xff\xff\xff\xff\xff\xff\xff"
                 "\x00\x00\x00\x00\x00\x00\x00\x00" "\x00\x00\x00\x00"s);
}

TEST(ProduceTest, V9ResponseCarriesRecordErrorsAndMessage) {
  ProduceResponse r;
  r.topics.push_back({"t", {{0, 10, -1, -1, 0, std::string("big")}}});
  std::string out;
  r.Encode(&out, 9);
  EXPECT_EQ(out, "\x02" "\x02t" "\x02" "\x00\x00\x00\x00" "\x00\x0a"
                 "\xff\xff\xff\xff\xff\xff\xff\xff" "\xff\xff\xff\xff\xff\xff\xff\xff"
                 "\x00\x00\x00\x00\x00\x00\x00\x00" "\x01" "\x04" "big" "\x00" "\x00"
                 "\x00\x00\x00\x00" "\x00"s);
}

}  // namespace
}  // namespace topicfs::kafka
