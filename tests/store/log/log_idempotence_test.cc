// Log::AppendProducedBatches with idempotent producers: duplicates,
// sequences out of turn, fenced epochs, and the producer state's Kafka
// .snapshot files across close, crash, damage, truncation and retention.

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "store/format/batch_builder.h"
#include "store/format/file_names.h"
#include "store/format/producer_snapshot.h"
#include "store/io/file_io.h"
#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr int64_t kPid = 4242;

// When the test's producers send: FakeClock's start, as a producer stamps
// its records with the time it sends them (an expiry counts from there).
constexpr int64_t kSentAt = 1'764'064'800'000;

// A batch of `values` as an idempotent Java producer sends it.
std::string ProducerBatch(const std::vector<std::string>& values, int64_t pid, int16_t epoch,
                          int32_t sequence, int64_t sent_at = kSentAt) {
  BatchBuilder b;
  b.Reset(Offset(0), Timestamp(sent_at));
  b.SetProducer(pid, epoch, sequence);
  for (size_t i = 0; i < values.size(); ++i) {
    b.Add(Offset(static_cast<int64_t>(i)), Timestamp(sent_at + static_cast<int64_t>(i)), std::nullopt, values[i]);
  }
  return std::string(b.Finish());
}

class LogIdempotenceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> Open(bool clean = true) {
    Log::Options o;
    o.dir = Dir();
    o.topic_partition = {"t", 0};
    o.config = config_;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    o.producer_id_expiration_ms = expiration_ms_;
    return testing::OpenTestLog(o);
  }
  std::string Dir() const { return dir_ / "t-0"; }
  std::string SnapshotPath(Offset offset) const { return SegmentFilePath(Dir(), offset, kSnapshotSuffix); }
  std::vector<std::string> SnapshotNames() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(Dir())) {
      if (e.path().extension() == ".snapshot") names.push_back(e.path().filename());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // Appends `values` as the producer's batch at `sequence`, which must be taken.
  // Sent at the clock's now unless sent_at says when.
  Offset Produce(Log& log, const std::vector<std::string>& values, int32_t sequence, int16_t epoch = 0,
                 int64_t pid = kPid, std::optional<int64_t> sent_at = std::nullopt) {
    auto r = log.AppendProducedBatches(
        ProducerBatch(values, pid, epoch, sequence, sent_at.value_or(clock_.Now().value)));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_FALSE(r.ok() && r->duplicate);
    return r.ok() ? r->first_offset : Offset(-1);
  }
  // A retry of the batch at `sequence`: nothing appended, `first` answered.
  void ExpectDuplicate(Log& log, const std::vector<std::string>& values, int32_t sequence, Offset first,
                       int16_t epoch = 0) {
    const Offset end = log.log_end_offset();
    const std::string before = ReadAll(log);
    auto r = log.AppendProducedBatches(ProducerBatch(values, kPid, epoch, sequence));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->duplicate);
    EXPECT_EQ(first, r->first_offset);
    EXPECT_EQ(0, r->records);
    EXPECT_EQ(end, log.log_end_offset());
    EXPECT_EQ(before, ReadAll(log));
  }
  void ExpectRefused(Log& log, const std::string& records, Code code) {
    const Offset end = log.log_end_offset();
    auto r = log.AppendProducedBatches(records);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(code, r.status().code()) << r.status().ToString();
    EXPECT_EQ(end, log.log_end_offset());
  }

  void SetUp() override {
    config_.segment_bytes = 1 << 20;
    config_.segment_index_bytes = 4096;
    config_.index_interval_bytes = 64;
  }

  LogConfig config_;
  TempDir dir_;
  FakeClock clock_{kSentAt};
  int64_t expiration_ms_ = 86'400'000;
};

TEST_F(LogIdempotenceTest, DuplicateAppendsNothingAndAnswersTheFirstOffset) {
  auto log = Open();
  ASSERT_TRUE(log->AppendText("", "shell\n").ok());
  const Offset first = Produce(*log, {"a", "bb"}, 0);
  EXPECT_EQ(Offset(6), first);
  ExpectDuplicate(*log, {"a", "bb"}, 0, first);
  EXPECT_EQ("shell\na\nbb\n", ReadAll(*log));
}

TEST_F(LogIdempotenceTest, AnyOfTheLastFiveBatchesIsADuplicate) {
  auto log = Open();
  std::vector<Offset> firsts;
  for (int32_t i = 0; i < 6; ++i) firsts.push_back(Produce(*log, {"v" + std::to_string(i)}, i));
  for (int32_t i = 1; i < 6; ++i) ExpectDuplicate(*log, {"v" + std::to_string(i)}, i, firsts[i]);
  // The sixth from the end is forgotten: its sequence is out of turn now.
  ExpectRefused(*log, ProducerBatch({"v0"}, kPid, 0, 0), Code::kOutOfOrderSequence);
}

TEST_F(LogIdempotenceTest, OutOfOrderSequenceIsRefusedAndAppendsNothing) {
  auto log = Open();
  Produce(*log, {"a", "b"}, 0);
  ExpectRefused(*log, ProducerBatch({"c"}, kPid, 0, 3), Code::kOutOfOrderSequence);  // 2 is next
  ExpectRefused(*log, ProducerBatch({"c"}, kPid, 0, 1), Code::kOutOfOrderSequence);  // overlaps
  Produce(*log, {"c"}, 2);
  EXPECT_EQ("a\nb\nc\n", ReadAll(*log));
}

TEST_F(LogIdempotenceTest, OlderEpochIsRefusedAndANewerOneStartsAtZero) {
  auto log = Open();
  Produce(*log, {"a"}, 0, /*epoch=*/3);
  ExpectRefused(*log, ProducerBatch({"b"}, kPid, 2, 1), Code::kInvalidProducerEpoch);
  ExpectRefused(*log, ProducerBatch({"b"}, kPid, 4, 1), Code::kOutOfOrderSequence);
  Produce(*log, {"b"}, 0, /*epoch=*/4);
  EXPECT_EQ("a\nb\n", ReadAll(*log));
}

TEST_F(LogIdempotenceTest, UnknownProducerIsTakenAtAnySequence) {
  auto log = Open();
  Produce(*log, {"a"}, 77);
  Produce(*log, {"b"}, 78);
}

TEST_F(LogIdempotenceTest, TwoBatchesWithAProducerIdInOneProduceAreRefused) {
  auto log = Open();
  ExpectRefused(*log, ProducerBatch({"a"}, kPid, 0, 0) + ProducerBatch({"b"}, kPid, 0, 1),
                Code::kInvalidArgument);
  ExpectRefused(*log, ProducerBatch({"a"}, -1, -1, -1) + ProducerBatch({"b"}, kPid, 0, 0),
                Code::kInvalidArgument);
  EXPECT_EQ("", ReadAll(*log));
  EXPECT_TRUE(log->ProducerStateEntries().empty());
}

TEST_F(LogIdempotenceTest, StateSurvivesCloseAndOpenThroughTheSnapshot) {
  Offset first;
  {
    auto log = Open();
    Produce(*log, {"a"}, 0);
    first = Produce(*log, {"bb", "c"}, 1);
    ASSERT_TRUE(log->Close().ok());
  }
  const Offset end(7);
  ASSERT_TRUE(std::filesystem::exists(SnapshotPath(end)));
  // The snapshot alone (no replay): nothing after it.
  auto log = Open();
  EXPECT_TRUE(log->warnings().empty());
  auto entries = log->ProducerStateEntries();
  ASSERT_EQ(1u, entries.size());
  EXPECT_EQ(2, entries[0].last_sequence);
  EXPECT_EQ(Offset(2), first);
  EXPECT_EQ(6, entries[0].last_offset);  // the batch's presented end - 1
  // The first offset is found again in the log (the snapshot keeps only the last).
  ExpectDuplicate(*log, {"bb", "c"}, 1, first);
  ExpectRefused(*log, ProducerBatch({"x"}, kPid, 0, 5), Code::kOutOfOrderSequence);
  Produce(*log, {"d"}, 3);
}

TEST_F(LogIdempotenceTest, AProducerIsForgottenItsExpirationAfterItsLastBatch) {
  expiration_ms_ = 60'000;
  auto log = Open();
  Produce(*log, {"a"}, 0);
  Produce(*log, {"b"}, 0, /*epoch=*/0, /*pid=*/kPid + 1);
  clock_.Advance(30'000);
  Produce(*log, {"c"}, 1, /*epoch=*/0, /*pid=*/kPid + 1);  // sent now: this one is fresh
  clock_.Advance(30'000);  // kPid's last batch is a minute old
  EXPECT_EQ(1u, log->RemoveExpiredProducers());
  auto entries = log->ProducerStateEntries();
  ASSERT_EQ(1u, entries.size());
  EXPECT_EQ(kPid + 1, entries[0].producer_id);
  // Forgotten: its retry is no duplicate now but a new batch, and any
  // sequence is taken, as from a producer never seen (Kafka's behaviour).
  auto r = log->AppendProducedBatches(ProducerBatch({"a"}, kPid, 0, 0, clock_.Now().value));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->duplicate);
  EXPECT_EQ("a\nb\nc\na\n", ReadAll(*log));
  EXPECT_EQ(0u, log->RemoveExpiredProducers());
}

TEST_F(LogIdempotenceTest, ExpiredProducersAreLeftOutAtLoad) {
  expiration_ms_ = 60'000;
  {
    auto log = Open();
    Produce(*log, {"old"}, 0);
    Produce(*log, {"new"}, 0, /*epoch=*/0, /*pid=*/kPid + 1, /*sent_at=*/kSentAt + 50'000);
    ASSERT_TRUE(log->Close().ok());
  }
  clock_.Advance(60'000);
  for (bool clean : {true, false}) {  // from the snapshot, and by replay
    if (!clean) {
      for (const auto& name : SnapshotNames()) std::filesystem::remove(std::filesystem::path(Dir()) / name);
    }
    auto log = Open(clean);
    auto entries = log->ProducerStateEntries();
    ASSERT_EQ(1u, entries.size()) << (clean ? "from the snapshot" : "by replay");
    EXPECT_EQ(kPid + 1, entries[0].producer_id);
    ASSERT_TRUE(log->Close().ok());
  }
}

TEST_F(LogIdempotenceTest, StagingFilesACrashLeftAreRemovedAtLoad) {
  {
    auto log = Open();
    Produce(*log, {"a"}, 0);
    ASSERT_TRUE(log->Close().ok());
  }
  const std::string snapshot_staging = SnapshotPath(Offset(2)) + ".tmp";
  const std::string txnindex_staging = SegmentFilePath(Dir(), Offset(0), kTxnIndexSuffix) + ".tmp";
  WriteFile(snapshot_staging, "half a snapshot");
  WriteFile(txnindex_staging, "half an index");
  auto log = Open();
  EXPECT_FALSE(std::filesystem::exists(snapshot_staging));
  EXPECT_FALSE(std::filesystem::exists(txnindex_staging));
  EXPECT_EQ(1u, log->ProducerStateEntries().size());
}

TEST_F(LogIdempotenceTest, StateSurvivesAnUncleanStopByReplay) {
  Offset first;
  {
    auto log = Open();
    Produce(*log, {"a"}, 0);
    first = Produce(*log, {"b"}, 1);
    ASSERT_TRUE(log->Flush().ok());
    // Dropped without Close: no snapshot, as after kill -9.
  }
  EXPECT_TRUE(SnapshotNames().empty());
  auto log = Open(/*clean=*/false);
  ExpectDuplicate(*log, {"b"}, 1, first);
  // A replay knows all of the last five, not only the last.
  ExpectDuplicate(*log, {"a"}, 0, Offset(0));
}

TEST_F(LogIdempotenceTest, DamagedSnapshotIsIgnoredWithAWarningAndTheLogReplayed) {
  Offset first;
  {
    auto log = Open();
    Produce(*log, {"a"}, 0);
    first = Produce(*log, {"b"}, 1);
    ASSERT_TRUE(log->Close().ok());
  }
  const std::string path = SnapshotPath(Offset(4));
  std::string bytes = ReadFile(path);
  bytes[bytes.size() - 1] ^= 0x40;  // fails the CRC-32C
  WriteFile(path, bytes);
  auto log = Open();
  ASSERT_EQ(1u, log->warnings().size());
  EXPECT_NE(std::string::npos, log->warnings()[0].find("producer snapshot")) << log->warnings()[0];
  EXPECT_NE(std::string::npos, log->warnings()[0].find("CRC")) << log->warnings()[0];
  EXPECT_FALSE(std::filesystem::exists(path));
  ExpectDuplicate(*log, {"b"}, 1, first);
}

TEST_F(LogIdempotenceTest, SnapshotThatCannotBeWrittenCostsAReplayNotTheClose) {
  FaultInjectingFileIo io;
  Offset first;
  {
    Log::Options o;
    o.dir = Dir();
    o.topic_partition = {"t", 0};
    o.config = config_;
    o.clock = &clock_;
    o.io = &io;
    auto log = testing::OpenTestLog(o);
    first = Produce(*log, {"a"}, 0);
    ASSERT_TRUE(log->Flush().ok());
    io.FailAfter(FaultInjectingFileIo::kRename, 0, ENOSPC, /*sticky=*/true);
    EXPECT_TRUE(log->Close().ok());
    io.Clear();
  }
  EXPECT_TRUE(SnapshotNames().empty());
  auto log = Open();
  ExpectDuplicate(*log, {"a"}, 0, first);
}

TEST_F(LogIdempotenceTest, TruncationByRecoveryForgetsTheTruncatedBatches) {
  {
    auto log = Open();
    Produce(*log, {"a"}, 0);
    Produce(*log, {"b"}, 1);
    ASSERT_TRUE(log->Close().ok());  // a snapshot at 4 remembers sequence 1
  }
  // The last batch torn, as a crash leaves it.
  const std::string log_path = SegmentFilePath(Dir(), Offset(0), kLogSuffix);
  std::filesystem::resize_file(log_path, std::filesystem::file_size(log_path) - 5);
  auto log = Open(/*clean=*/false);
  EXPECT_EQ(Offset(2), log->log_end_offset());
  EXPECT_FALSE(std::filesystem::exists(SnapshotPath(Offset(4))));
  auto entries = log->ProducerStateEntries();
  ASSERT_EQ(1u, entries.size());
  EXPECT_EQ(0, entries[0].last_sequence);
  // The retry of the lost batch is appended, not answered as a duplicate.
  EXPECT_EQ(Offset(2), Produce(*log, {"b"}, 1));
  EXPECT_EQ("a\nb\n", ReadAll(*log));
}

TEST_F(LogIdempotenceTest, RollWritesASnapshotNamedAfterTheNewSegmentAndFewAreKept) {
  config_.segment_bytes = 200;
  auto log = Open();
  for (int32_t i = 0; i < 40; ++i) Produce(*log, {std::string(20, static_cast<char>('a' + i % 26))}, i);
  auto segments = log->Segments();
  ASSERT_GT(segments.size(), 4u);
  const std::vector<std::string> names = SnapshotNames();
  // The two newest: the active segment's base among them.
  ASSERT_EQ(2u, names.size());
  EXPECT_EQ(FilenamePrefixFromOffset(segments.back()->base_offset()) + ".snapshot", names.back());
  EXPECT_EQ(FilenamePrefixFromOffset(segments[segments.size() - 2]->base_offset()) + ".snapshot", names.front());
  auto parsed = DecodeProducerSnapshot(ReadFile(SnapshotPath(segments.back()->base_offset())));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(1u, parsed->size());
  // The table as of the roll: every batch below the new segment.
  EXPECT_EQ(segments.back()->base_offset().value - 1, (*parsed)[0].last_offset);
}

TEST_F(LogIdempotenceTest, DeleteRecordsRemovesSnapshotsBelowTheNewStart) {
  config_.segment_bytes = 200;
  auto log = Open();
  for (int32_t i = 0; i < 20; ++i) Produce(*log, {std::string(20, 'x')}, i);
  ASSERT_EQ(2u, SnapshotNames().size());
  auto start = log->DeleteRecordsBefore(log->log_end_offset());
  ASSERT_TRUE(start.ok());
  EXPECT_TRUE(SnapshotNames().empty());
  // The table is kept: the next retry is still a duplicate.
  ExpectDuplicate(*log, {std::string(20, 'x')}, 19, log->log_end_offset() - 21);
}

}  // namespace
}  // namespace topicfs::store
