#include "kafka/protocol/fetch.h"

#include <gtest/gtest.h>

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(FetchTest, V11Request) {
  ByteReader in("\xff\xff\xff\xff" "\x00\x00\x01\xf4" "\x00\x00\x00\x01" "\x03\x20\x00\x00" "\x00"
                "\x00\x00\x00\x00" "\xff\xff\xff\xff"
                "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01"
                "\x00\x00\x00\x00" "\xff\xff\xff\xff" "\x00\x00\x00\x00\x00\x00\x00\x2a"
                "\xff\xff\xff\xff\xff\xff\xff\xff" "\x00\x10\x00\x00"
                "\x00\x00\x00\x00" "\x00\x00"sv);
  FetchRequest r;
  ASSERT_TRUE(r.Decode(in, 11));
  EXPECT_EQ(r.max_wait_ms, 500);
  EXPECT_EQ(r.min_bytes, 1);
  EXPECT_EQ(r.max_bytes, 0x03200000);
  ASSERT_EQ(r.topics.size(), 1u);
  EXPECT_EQ(r.topics[0].partitions[0].fetch_offset, 42);
  EXPECT_EQ(r.topics[0].partitions[0].partition_max_bytes, 0x100000);
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(FetchTest, V4Request) {
  ByteReader in("\xff\xff\xff\xff" "\x00\x00\x00\x64" "\x00\x00\x00\x01" "\x00\x00\x10\x00" "\x00"
                "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01"
                "\x00\x00\x00\x03" "\x00\x00\x00\x00\x00\x00\x00\x07" "\x00\x00\x10\x00"sv);
  FetchRequest r;
  ASSERT_TRUE(r.Decode(in, 4));
  EXPECT_EQ(r.topics[0].partitions[0].index, 3);
  EXPECT_EQ(r.topics[0].partitions[0].fetch_offset, 7);
}

TEST(FetchTest, TruncatedRequestFails) {
  ByteReader in("\xff\xff\xff\xff" "\x00\x00\x00\x64" "\x00\x00\x00\x01" "\x00\x00\x10\x00" "\x00"
                "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01" "\x00\x00"sv);
  FetchRequest r;
  EXPECT_FALSE(r.Decode(in, 4));
}

TEST(FetchTest, ResponseLeavesTheRecordsToTheSink) {
  FetchResponse r;
  FetchResponse::Topic t{"t", {}};
  t.partitions.push_back({0, 0, 50, 50, 0, 5, false, {}});
  r.topics.push_back(t);
  std::string out;
  int sunk = 0;
  r.Encode(&out, 11, [&](size_t ti, size_t pi) {
    ++sunk;
    out += "RECS!";
  });
  EXPECT_EQ(sunk, 1);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x00\x00" "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t"
                 "\x00\x00\x00\x01" "\x00\x00\x00\x00" "\x00\x00"
                 "\x00\x00\x00\x00\x00\x00\x00\x32" "\x00\x00\x00\x00\x00\x00\x00\x32"
                 "\x00\x00\x00\x00\x00\x00\x00\x00" "\xff\xff\xff\xff" "\xff\xff\xff\xff"
                 "\x00\x00\x00\x05" "RECS!"s);
}

// FetchResponse v4+: a read_committed answer lists its aborted
// transactions (producer id, first offset); read_uncommitted's is null.
TEST(FetchTest, ResponseListsAbortedTransactionsOnlyForReadCommitted) {
  FetchResponse r;
  FetchResponse::Topic t{"t", {}};
  FetchResponse::Partition p{};
  p.high_watermark = 50;
  p.last_stable_offset = 50;
  p.log_start_offset = 0;
  t.partitions.push_back(p);
  r.topics.push_back(t);
  auto encode = [&] {
    std::string out;
    r.Encode(&out, 4, [](size_t, size_t) {});
    return out;
  };
  const std::string prefix = "\x00\x00\x00\x00" "\x00\x00\x00\x01" "\x00\x01t" "\x00\x00\x00\x01"
                             "\x00\x00\x00\x00" "\x00\x00" "\x00\x00\x00\x00\x00\x00\x00\x32"
                             "\x00\x00\x00\x00\x00\x00\x00\x32"s;
  EXPECT_EQ(encode(), prefix + "\xff\xff\xff\xff" "\x00\x00\x00\x00"s);
  r.topics[0].partitions[0].list_aborted = true;
  EXPECT_EQ(encode(), prefix + "\x00\x00\x00\x00" "\x00\x00\x00\x00"s);
  r.topics[0].partitions[0].aborted_transactions = {{2000, 117}};
  EXPECT_EQ(encode(), prefix + "\x00\x00\x00\x01" "\x00\x00\x00\x00\x00\x00\x07\xd0"
                               "\x00\x00\x00\x00\x00\x00\x00\x75" "\x00\x00\x00\x00"s);
}

}  // namespace
}  // namespace topicfs::kafka
