// ProducerStateTable: Kafka's idempotent-producer checks, each case as
// Kafka's ProducerStateManagerTest and UnifiedLogTest have it: duplicates
// of the last five batches, sequences out of turn, fenced epochs, a new
// epoch starting again, wrapping sequences, unknown producers.

#include <gtest/gtest.h>

#include <limits>

#include "store/log/producer_state.h"

namespace topicfs::store {
namespace {

using Verdict = ProducerStateTable::Verdict;
constexpr int64_t kPid = 1000;

ProducerStateTable::Batch At(int32_t first, int32_t last, int64_t offset) {
  return {first, last, Offset(offset), Offset(offset + 10), Timestamp(1'700'000'000'000)};
}

TEST(ProducerStateTableTest, BatchesWithoutAProducerAreAlwaysAppended) {
  ProducerStateTable t;
  EXPECT_EQ(t.Judge(-1, -1, -1, -1).verdict, Verdict::kAppend);
  t.Record(-1, -1, At(0, 0, 0));
  EXPECT_EQ(t.size(), 0u);
}

TEST(ProducerStateTableTest, SequencesInTurnAreAppendedAndARetryIsADuplicateWithItsOffsets) {
  ProducerStateTable t;
  EXPECT_EQ(t.Judge(kPid, 0, 0, 4).verdict, Verdict::kAppend);
  t.Record(kPid, 0, At(0, 4, 0));
  EXPECT_EQ(t.Judge(kPid, 0, 5, 9).verdict, Verdict::kAppend);
  t.Record(kPid, 0, At(5, 9, 100));
  auto retry = t.Judge(kPid, 0, 0, 4);
  EXPECT_EQ(retry.verdict, Verdict::kDuplicate);
  ASSERT_TRUE(retry.duplicate_of);
  EXPECT_EQ(retry.duplicate_of->first_offset, Offset(0));
  EXPECT_EQ(t.Judge(kPid, 0, 5, 9).duplicate_of->first_offset, Offset(100));
}

TEST(ProducerStateTableTest, AGapOrAnOverlapIsOutOfOrder) {
  ProducerStateTable t;
  t.Record(kPid, 0, At(0, 4, 0));
  EXPECT_EQ(t.Judge(kPid, 0, 6, 8).verdict, Verdict::kOutOfOrderSequence);  // 5 missing
  EXPECT_EQ(t.Judge(kPid, 0, 3, 7).verdict, Verdict::kOutOfOrderSequence);  // overlaps, not a retry
  EXPECT_EQ(t.Judge(kPid, 0, 0, 2).verdict, Verdict::kOutOfOrderSequence);  // part of a batch
}

TEST(ProducerStateTableTest, OnlyTheLastFiveBatchesAreRecognisedAsDuplicates) {
  ProducerStateTable t;
  for (int i = 0; i < 7; ++i) t.Record(kPid, 0, At(i * 10, i * 10 + 9, i * 1000));
  ASSERT_EQ(t.Find(kPid)->batches.size(), ProducerStateTable::kBatchesKept);
  EXPECT_EQ(t.Judge(kPid, 0, 20, 29).verdict, Verdict::kDuplicate);
  EXPECT_EQ(t.Judge(kPid, 0, 10, 19).verdict, Verdict::kOutOfOrderSequence);  // too old to tell
}

TEST(ProducerStateTableTest, AnOlderEpochIsFencedAndANewerOneStartsAtZero) {
  ProducerStateTable t;
  t.Record(kPid, 3, At(0, 4, 0));
  EXPECT_EQ(t.Judge(kPid, 2, 5, 9).verdict, Verdict::kInvalidEpoch);
  EXPECT_EQ(t.Judge(kPid, 2, 0, 4).verdict, Verdict::kInvalidEpoch);  // no duplicate across epochs
  EXPECT_EQ(t.Judge(kPid, 4, 5, 9).verdict, Verdict::kOutOfOrderSequence);
  EXPECT_EQ(t.Judge(kPid, 4, 0, 0).verdict, Verdict::kAppend);
  t.Record(kPid, 4, At(0, 0, 50));
  EXPECT_EQ(t.Find(kPid)->epoch, 4);
  EXPECT_EQ(t.Find(kPid)->batches.size(), 1u);  // the old epoch's batches are gone
  EXPECT_EQ(t.Judge(kPid, 4, 1, 1).verdict, Verdict::kAppend);
}

TEST(ProducerStateTableTest, AnUnknownProducerIsTakenAtAnySequence) {
  ProducerStateTable t;
  EXPECT_EQ(t.Judge(kPid, 0, 0, 0).verdict, Verdict::kAppend);
  EXPECT_EQ(t.Judge(kPid, 7, 4242, 4250).verdict, Verdict::kAppend);
}

TEST(ProducerStateTableTest, SequencesWrapFromIntMaxToZero) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(ProducerStateTable::LastSequence(0, 5), 4);
  EXPECT_EQ(ProducerStateTable::LastSequence(kMax - 1, 2), kMax);
  EXPECT_EQ(ProducerStateTable::LastSequence(kMax - 1, 4), 1);
  ProducerStateTable t;
  t.Record(kPid, 0, At(kMax - 4, kMax, 0));
  EXPECT_EQ(t.Judge(kPid, 0, 0, 9).verdict, Verdict::kAppend);
  t.Record(kPid, 0, At(0, 9, 10));
  EXPECT_EQ(t.Judge(kPid, 0, 10, 10).verdict, Verdict::kAppend);
  EXPECT_EQ(t.Judge(kPid, 0, kMax - 4, kMax).verdict, Verdict::kDuplicate);
}

TEST(ProducerStateTableTest, AProducerExpiresItsExpirationAfterItsLastBatchsTimestamp) {
  ProducerStateTable t;
  const int64_t sent = 1'700'000'000'000;
  t.Record(kPid, 0, {0, 0, Offset(0), Offset(0), Timestamp(sent)});
  t.Record(kPid, 0, {1, 1, Offset(10), Offset(10), Timestamp(sent + 500)});  // the last batch counts
  t.Record(kPid + 1, 0, {0, 0, Offset(20), Offset(20), Timestamp(sent)});
  EXPECT_EQ(t.RemoveExpired(Timestamp(sent + 999), 1000), 0u);  // Kafka: now - last >= expiration
  EXPECT_EQ(t.RemoveExpired(Timestamp(sent + 1000), 1000), 1u);
  EXPECT_EQ(t.Find(kPid + 1), nullptr);
  ASSERT_NE(t.Find(kPid), nullptr);
  EXPECT_EQ(t.RemoveExpired(Timestamp(sent + 1500), 1000), 1u);
  EXPECT_TRUE(t.empty());
  // Forgotten, it is taken at any sequence again.
  EXPECT_EQ(t.Judge(kPid, 0, 7, 7).verdict, Verdict::kAppend);
}

}  // namespace
}  // namespace topicfs::store
