// The cleaner's bounded key map (Kafka's SkimpyOffsetMap) and MD5.

#include "store/key_offset_map.h"

#include <gtest/gtest.h>

#include <string>

#include "store/md5.h"

namespace topicfs::store {
namespace {

std::string Hex(const std::array<uint8_t, 16>& d) {
  std::string out;
  for (uint8_t b : d) out += fmt::format("{:02x}", b);
  return out;
}

TEST(Md5Test, MatchesRfc1321TestSuite) {
  EXPECT_EQ(Hex(Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex(Md5("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(Hex(Md5("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex(Md5("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(Hex(Md5("12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(KeyOffsetMapTest, KeepsTheLatestOffsetPerKey) {
  KeyOffsetMap map(24 * 100);
  EXPECT_EQ(map.slots(), 100u);
  EXPECT_FALSE(map.Get("k").has_value());
  ASSERT_TRUE(map.Put("k", Offset(5)));
  ASSERT_TRUE(map.Put("j", Offset(7)));
  ASSERT_TRUE(map.Put("k", Offset(9)));
  EXPECT_EQ(map.Get("k"), Offset(9));
  EXPECT_EQ(map.Get("j"), Offset(7));
  EXPECT_EQ(map.size(), 2u);
  EXPECT_EQ(map.latest_offset(), Offset(9));
  map.Clear();
  EXPECT_FALSE(map.Get("k").has_value());
  EXPECT_EQ(map.size(), 0u);
}

TEST(KeyOffsetMapTest, RefusesNewKeysWhenFullButUpdatesKnownOnes) {
  KeyOffsetMap map(24 * 10, 0.5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(map.Put("key" + std::to_string(i), Offset(i)));
  EXPECT_TRUE(map.full());
  EXPECT_FALSE(map.Put("another", Offset(10)));
  EXPECT_FALSE(map.Get("another").has_value());
  EXPECT_TRUE(map.Put("key3", Offset(11)));
  EXPECT_EQ(map.Get("key3"), Offset(11));
}

TEST(KeyOffsetMapTest, AOneSlotMapNeverLoops) {
  KeyOffsetMap map(24, 1.0);
  ASSERT_TRUE(map.Put("a", Offset(1)));
  EXPECT_FALSE(map.Put("b", Offset(2)));
  EXPECT_FALSE(map.Get("b").has_value());
}

TEST(KeyOffsetMapTest, ManyKeysRoundTrip) {
  KeyOffsetMap map(24 * 20000);
  for (int i = 0; i < 10000; ++i) ASSERT_TRUE(map.Put("key-" + std::to_string(i), Offset(i * 3)));
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(map.Get("key-" + std::to_string(i)), Offset(i * 3));
}

}  // namespace
}  // namespace topicfs::store
