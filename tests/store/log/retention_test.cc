// Retention planning as a pure function of segment metadata, config, clock
// and log start (Kafka's deleteOldSegments rules).

#include "store/log/retention.h"

#include <gtest/gtest.h>

#include <vector>

namespace topicfs::store {
namespace {

// n segments of `size` bytes each, segment i's newest record at ts[i].
std::vector<SegmentSummary> Segments(const std::vector<int64_t>& ts, int64_t size = 100) {
  std::vector<SegmentSummary> out;
  for (size_t i = 0; i < ts.size(); ++i) {
    out.push_back({Offset(static_cast<int64_t>(i) * size), Offset(static_cast<int64_t>(i + 1) * size),
                   size, Timestamp(ts[i])});
  }
  return out;
}

LogConfig Config(int64_t retention_ms, int64_t retention_bytes = -1) {
  LogConfig c;
  c.retention_ms = retention_ms;
  c.retention_bytes = retention_bytes;
  return c;
}

TEST(RetentionTest, DeletesSegmentsWhoseNewestRecordIsPastRetentionMs) {
  auto segs = Segments({1000, 2000, 3000, 9000});
  RetentionPlan plan = PlanRetention(segs, Config(5000), Timestamp(8000), Offset(0));
  EXPECT_EQ(plan.delete_count, 2u) << "8000-2000 > 5000 but 8000-3000 is not";
  EXPECT_EQ(plan.reason, "retention.ms");
  EXPECT_FALSE(plan.roll_first);
}

TEST(RetentionTest, OnlyAPrefixIsDeleted) {
  auto segs = Segments({1000, 9000, 1000, 9000});
  EXPECT_EQ(PlanRetention(segs, Config(5000), Timestamp(8000), Offset(0)).delete_count, 1u);
}

TEST(RetentionTest, AnExpiredActiveSegmentIsDeletedAfterARoll) {
  auto segs = Segments({1000, 2000});
  RetentionPlan plan = PlanRetention(segs, Config(10), Timestamp(8000), Offset(0));
  EXPECT_EQ(plan.delete_count, 2u);
  EXPECT_TRUE(plan.roll_first);
}

TEST(RetentionTest, AnEmptyActiveSegmentStays) {
  auto segs = Segments({1000, 2000});
  segs.back().size_bytes = 0;
  RetentionPlan plan = PlanRetention(segs, Config(10), Timestamp(8000), Offset(0));
  EXPECT_EQ(plan.delete_count, 1u);
  EXPECT_FALSE(plan.roll_first);
}

TEST(RetentionTest, NegativeRetentionMsKeepsEverything) {
  auto segs = Segments({1, 2, 3});
  EXPECT_EQ(PlanRetention(segs, Config(-1), Timestamp(1'000'000), Offset(0)).delete_count, 0u);
}

// Kafka's LogManagerTest.testCleanupSegmentsToMaintainSize: the kept log
// stays at least retention.bytes.
TEST(RetentionTest, SizeRetentionKeepsAtLeastRetentionBytes) {
  auto segs = Segments(std::vector<int64_t>(20, 0), 100);  // 2000 bytes
  LogConfig c = Config(-1, 510);
  RetentionPlan plan = PlanRetention(segs, c, Timestamp(0), Offset(0));
  EXPECT_EQ(plan.delete_count, 14u) << "6 segments (600 bytes) remain: 500 would be below 510";
  EXPECT_EQ(plan.reason, "retention.bytes");
  c.retention_bytes = 2000;
  EXPECT_EQ(PlanRetention(segs, c, Timestamp(0), Offset(0)).delete_count, 0u);
}

TEST(RetentionTest, CompactTopicsIgnoreTimeAndSizeButNotTheLogStart) {
  auto segs = Segments({1, 2, 3, 4});
  LogConfig c = Config(10, 0);
  c.cleanup_delete = false;
  c.cleanup_compact = true;
  EXPECT_EQ(PlanRetention(segs, c, Timestamp(1'000'000), Offset(0)).delete_count, 0u);
  RetentionPlan plan = PlanRetention(segs, c, Timestamp(1'000'000), Offset(250));
  EXPECT_EQ(plan.delete_count, 2u) << "segments ending at or below the log start go";
  EXPECT_EQ(plan.reason, "log start offset");
}

TEST(RetentionTest, DeleteAndCompactAppliesRetention) {
  auto segs = Segments({1, 2, 3, 9000});
  LogConfig c = Config(100);
  c.cleanup_compact = true;
  EXPECT_EQ(PlanRetention(segs, c, Timestamp(5000), Offset(0)).delete_count, 3u);
}

}  // namespace
}  // namespace topicfs::store
