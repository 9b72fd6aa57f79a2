// The cleaner's bounded key map (Kafka's SkimpyOffsetMap) and the 128-bit
// key digest it stores.

#include "store/cleanup/key_offset_map.h"

#include <gtest/gtest.h>

#include <bit>
#include <string>
#include <unordered_set>
#include <vector>

#include "store/cleanup/key_hash.h"

namespace topicfs::store {
namespace {

struct KeyHashHasher {
  size_t operator()(const KeyHash& h) const { return h.lo; }
};

TEST(KeyHashTest, IsDeterministicAndDependsOnEveryByteAndTheLength) {
  EXPECT_EQ(HashKey("k000001"), HashKey(std::string("k000001")));
  EXPECT_NE(HashKey("k000001"), HashKey("k000002"));
  EXPECT_NE(HashKey("a"), HashKey(std::string("a\0", 2))) << "zero padding must not collide";
  EXPECT_NE(HashKey(""), HashKey(std::string(1, '\0')));
  std::string long_key(100, 'x');
  KeyHash base = HashKey(long_key);
  for (size_t i = 0; i < long_key.size(); ++i) {
    std::string changed = long_key;
    changed[i] = 'y';
    EXPECT_NE(HashKey(changed), base) << "byte " << i;
  }
}

TEST(KeyHashTest, NeverReturnsTheEmptySlotMarker) {
  for (int i = 0; i < 1000; ++i) {
    KeyHash h = HashKey(std::to_string(i));
    EXPECT_FALSE(h.hi == 0 && h.lo == 0);
  }
}

// A collision would merge two keys and drop the older one's record, so the
// cleaner relies on there being none: no collision in either 64-bit half
// among a million keys shaped like real ones (a 64-bit half alone would
// collide with odds ~3e-8).
TEST(KeyHashTest, AMillionKeysHaveDistinctDigestsAndDistinctHalves) {
  std::unordered_set<uint64_t> his, los;
  std::unordered_set<KeyHash, KeyHashHasher> all;
  for (int i = 0; i < 1'000'000; ++i) {
    std::string key = (i % 3 == 0 ? "user-" : i % 3 == 1 ? "k" : "order/2026/") + std::to_string(i);
    KeyHash h = HashKey(key);
    ASSERT_TRUE(his.insert(h.hi).second) << key;
    ASSERT_TRUE(los.insert(h.lo).second) << key;
    ASSERT_TRUE(all.insert(h).second) << key;
  }
}

// Every input bit should flip about half of the 128 output bits.
TEST(KeyHashTest, OneFlippedBitChangesAboutHalfTheOutput) {
  for (size_t len : {1u, 7u, 8u, 15u, 16u, 17u, 40u}) {
    std::string key(len, '\0');
    for (size_t i = 0; i < len; ++i) key[i] = static_cast<char>('a' + i % 26);
    KeyHash base = HashKey(key);
    double total = 0;
    int flips = 0;
    for (size_t bit = 0; bit < len * 8; ++bit) {
      std::string changed = key;
      changed[bit / 8] = static_cast<char>(changed[bit / 8] ^ (1 << (bit % 8)));
      KeyHash h = HashKey(changed);
      total += std::popcount(h.hi ^ base.hi) + std::popcount(h.lo ^ base.lo);
      ++flips;
    }
    double mean = total / flips;
    EXPECT_GT(mean, 56) << "length " << len;
    EXPECT_LT(mean, 72) << "length " << len;
  }
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
  EXPECT_EQ(map.latest_offset(), Offset(-1));
}

TEST(KeyOffsetMapTest, RefusesNewKeysWhenFullButUpdatesKnownOnes) {
  KeyOffsetMap map(24 * 10, 0.5);
  EXPECT_EQ(map.capacity(), 5u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(map.Put("key" + std::to_string(i), Offset(i)));
  EXPECT_TRUE(map.full());
  EXPECT_FALSE(map.Put("another", Offset(10)));
  EXPECT_FALSE(map.Get("another").has_value());
  EXPECT_EQ(map.latest_offset(), Offset(4)) << "a refused key moves nothing";
  EXPECT_TRUE(map.Put("key3", Offset(11)));
  EXPECT_EQ(map.Get("key3"), Offset(11));
  EXPECT_EQ(map.size(), 5u);
}

TEST(KeyOffsetMapTest, CapacityIsTheMemoryBoundTimesTheLoadFactor) {
  KeyOffsetMap map(int64_t{32} << 20);
  EXPECT_EQ(map.slots(), size_t{(32 << 20) / 24});
  EXPECT_EQ(map.capacity(), static_cast<size_t>(static_cast<double>(map.slots()) * 0.9));
  KeyOffsetMap tiny(1);  // below one slot still holds one key
  EXPECT_EQ(tiny.slots(), 1u);
  EXPECT_EQ(tiny.capacity(), 1u);
}

TEST(KeyOffsetMapTest, AOneSlotMapNeverLoops) {
  KeyOffsetMap map(24, 1.0);
  ASSERT_TRUE(map.Put("a", Offset(1)));
  EXPECT_FALSE(map.Put("b", Offset(2)));
  EXPECT_FALSE(map.Get("b").has_value());
  EXPECT_EQ(map.Get("a"), Offset(1));
}

// A full table at load factor 1: every key but the first probes past slots
// taken by others (home-slot collisions), wrapping round the end.
TEST(KeyOffsetMapTest, KeysWhoseSlotsCollideProbeOnAndAreAllFound) {
  KeyOffsetMap map(24 * 8, 1.0);
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(map.Put("key" + std::to_string(i), Offset(i)));
  EXPECT_TRUE(map.full());
  for (int i = 0; i < 8; ++i) EXPECT_EQ(map.Get("key" + std::to_string(i)), Offset(i)) << i;
  EXPECT_FALSE(map.Get("key8").has_value()) << "a miss in a full table ends after one lap";
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(map.Put("key" + std::to_string(i), Offset(100 + i)));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(map.Get("key" + std::to_string(i)), Offset(100 + i)) << i;
}

TEST(KeyOffsetMapTest, LatestOffsetsAreEachKeysNewestInOrder) {
  KeyOffsetMap map(24 * 100);
  ASSERT_TRUE(map.Put("b", Offset(10)));
  ASSERT_TRUE(map.Put("a", Offset(20)));
  ASSERT_TRUE(map.Put("b", Offset(30)));
  ASSERT_TRUE(map.Put("c", Offset(25)));
  std::vector<int64_t> latest = {99};  // replaced, not appended to
  map.LatestOffsets(&latest);
  EXPECT_EQ(latest, (std::vector<int64_t>{20, 25, 30}));
  map.Clear();
  map.LatestOffsets(&latest);
  EXPECT_TRUE(latest.empty());
}

TEST(KeyOffsetMapTest, ManyKeysRoundTripThroughHashesAndPrefetch) {
  KeyOffsetMap map(24 * 20000);
  for (int i = 0; i < 10000; ++i) {
    KeyHash h = HashKey("key-" + std::to_string(i));
    map.Prefetch(h);
    ASSERT_TRUE(map.Put(h, Offset(i * 3)));
  }
  EXPECT_EQ(map.size(), 10000u);
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(map.Get("key-" + std::to_string(i)), Offset(i * 3));
  EXPECT_FALSE(map.Get("key-10000").has_value());
}

}  // namespace
}  // namespace topicfs::store
