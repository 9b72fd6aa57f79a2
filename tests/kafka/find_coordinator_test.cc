#include "kafka/protocol/find_coordinator.h"

#include <gtest/gtest.h>

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(FindCoordinatorTest, V0RequestIsOneGroupKey) {
  ByteReader in("\x00\x02g1"sv);
  FindCoordinatorRequest r;
  ASSERT_TRUE(r.Decode(in, 0));
  ASSERT_EQ(r.keys.size(), 1u);
  EXPECT_EQ(r.keys[0], "g1");
  EXPECT_EQ(r.key_type, 0);
}

TEST(FindCoordinatorTest, V4RequestBatchesKeys) {
  ByteReader in("\x00" "\x03" "\x02" "a" "\x02" "b" "\x00"sv);
  FindCoordinatorRequest r;
  ASSERT_TRUE(r.Decode(in, 4));
  ASSERT_EQ(r.keys.size(), 2u);
  EXPECT_EQ(r.keys[1], "b");
}

TEST(FindCoordinatorTest, TruncatedRequestFails) {
  ByteReader in("\x00\x05g1"sv);
  FindCoordinatorRequest r;
  EXPECT_FALSE(r.Decode(in, 1));
}

TEST(FindCoordinatorTest, V0ResponseBytes) {
  FindCoordinatorResponse r;
  r.coordinators.push_back({"g", 1, "h", 9092, 0, std::nullopt});
  std::string out;
  r.Encode(&out, 0);
  EXPECT_EQ(out, "\x00\x00" "\x00\x00\x00\x01" "\x00\x01h" "\x00\x00\x23\x84"s);
}

TEST(FindCoordinatorTest, V4ResponseBytes) {
  FindCoordinatorResponse r;
  r.coordinators.push_back({"g", 1, "h", 9092, 0, std::nullopt});
  std::string out;
  r.Encode(&out, 4);
  EXPECT_EQ(out, "\x00\x00\x00\x00" "\x02" "\x02g" "\x00\x00\x00\x01" "\x02h" "\x00\x00\x23\x84"
                 "\x00\x00" "\x00" "\x00" "\x00"s);
}

}  // namespace
}  // namespace topicfs::kafka
