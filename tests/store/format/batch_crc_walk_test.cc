#include "store/format/batch_crc_walk.h"

#include <cstdint>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "store/base/format.h"
#include "store/format/batch_builder.h"
#include "store/format/batch_header.h"

namespace topicfs::store {
namespace {

// A batch of `records` 100-byte values, about 110 bytes each on disk.
std::string MakeBatch(int records) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(1000));
  int64_t offset = 0;
  for (int i = 0; i < records; ++i) {
    std::string value(100, static_cast<char>('a' + i % 26));
    b.Add(Offset(offset), Timestamp(1000 + i), std::nullopt, value);
    offset += 101;
  }
  return std::string(b.Finish());
}

// Walks `batch` in pieces of random sizes, as a read copying it would.
Status WalkInPieces(std::string_view batch, uint64_t seed) {
  std::mt19937_64 rng(seed);
  BatchCrcWalk walk(batch);
  int64_t at = 0;
  while (at < static_cast<int64_t>(batch.size())) {
    at += static_cast<int64_t>(rng() % 20000);
    walk.CoverTo(at);
  }
  return walk.Finish();
}

TEST(BatchCrcWalkTest, AnIntactBatchPassesHoweverItIsCut) {
  const std::string batch = MakeBatch(500);
  ASSERT_TRUE(VerifyBatch(batch).ok());
  for (uint64_t seed = 0; seed < 20; ++seed) EXPECT_TRUE(WalkInPieces(batch, seed).ok()) << seed;
  BatchCrcWalk untouched(batch);
  EXPECT_TRUE(untouched.Finish().ok());  // Finish covers what no piece did
}

TEST(BatchCrcWalkTest, CoveringAPositionAgainOrBackwardsReadsNothingTwice) {
  const std::string batch = MakeBatch(50);
  BatchCrcWalk walk(batch);
  walk.CoverTo(3000);
  walk.CoverTo(1000);
  walk.CoverTo(3000);
  walk.CoverTo(0);
  walk.CoverTo(int64_t{1} << 40);  // past the end: the end
  EXPECT_TRUE(walk.Finish().ok());
}

// Every byte the CRC covers, and the stored CRC itself, is checked: a
// flipped byte fails the walk as it fails VerifyBatch, wherever the pieces
// fall and whether or not a piece already covered it.
TEST(BatchCrcWalkTest, AFlippedByteFailsLikeVerifyBatch) {
  const std::string good = MakeBatch(300);
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bad = good;
    const size_t at = format::kCrcPos + rng() % (bad.size() - format::kCrcPos);
    bad[at] = static_cast<char>(bad[at] ^ (1 << (rng() % 8)));
    const Status walked = WalkInPieces(bad, trial);
    EXPECT_FALSE(walked.ok()) << "byte " << at;
    EXPECT_EQ(walked.code(), VerifyBatch(bad).code()) << "byte " << at;
  }
}

TEST(BatchCrcWalkTest, ABatchCutShortOrWithAWrongLengthFails) {
  const std::string good = MakeBatch(20);
  BatchCrcWalk header_only(std::string_view(good).substr(0, 40));
  EXPECT_EQ(header_only.Finish().code(), Code::kCorruption);
  BatchCrcWalk missing_tail(std::string_view(good).substr(0, good.size() - 1));
  EXPECT_EQ(missing_tail.Finish().code(), Code::kCorruption);
}

}  // namespace
}  // namespace topicfs::store
