// The log cleaner (Kafka's LogCleanerTest and LogCleanerManagerTest cases):
// keep the latest record per key, tombstones kept then dropped after the
// horizon, partial cleaning with a small key map, the compaction lags, the
// last batch kept when every key was deleted, and crashes at each stage of
// the swap; transactions (aborted records dropped, markers and their
// .txnindex entries kept).

#include "store/cleanup/log_cleaner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/aborted_txn.h"
#include "store/format/batch_builder.h"
#include "store/format/file_names.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

namespace fs = std::filesystem;

class LogCleanerTest : public ::testing::Test {
 protected:
  static LogConfig Compacted() {
    LogConfig c;
    c.cleanup_delete = false;
    c.cleanup_compact = true;
    c.key_separator = ":";
    c.segment_bytes = 500;
    c.segment_index_bytes = 4096;
    c.file_delete_delay_ms = 0;
    c.min_cleanable_dirty_ratio = 0.01;
    return c;
  }
  std::unique_ptr<Log> Open(LogConfig config = Compacted(), bool clean = true) {
    Log::Options o;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = config;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    auto log = Log::Open(o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(log).value();
  }
  LogCleaner MakeCleaner(int64_t map_bytes = 1 << 20, double load = 0.9) {
    return LogCleaner(dir_ / "cleaner-offset-checkpoint", &clock_, {map_bytes, load});
  }
  static void Write(Log& log, const std::string& line) {
    std::string_view v = line;
    ASSERT_TRUE(log.Append({&v, 1}).ok()) << line;
  }
  static std::vector<std::string> Lines(const Log& log) {
    std::string all;
    char buf[4096];
    for (Offset at(0);;) {
      auto r = log.Read(at, buf, sizeof(buf));
      EXPECT_TRUE(r.ok());
      if (!r.ok() || r->bytes == 0) break;
      all.append(buf, r->bytes);
      at = r->next;
    }
    std::vector<std::string> lines;
    std::istringstream in(all);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  // Lines stored outside the active segment.
  static std::vector<std::string> CleanedPart(const Log& log) {
    std::vector<std::string> lines;
    auto segments = log.Segments();
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
      auto batches = segments[i]->Batches();
      EXPECT_TRUE(batches.ok());
      for (const auto& b : *batches) {
        EXPECT_TRUE(segments[i]->ForEachRecord(b, [&](const RecordView& r) {
          lines.push_back(std::string(r.key.value_or("")) + "=" +
                          (r.value ? std::string(*r.value) : std::string("<tombstone>")));
        }).ok());
      }
    }
    return lines;
  }

  testing::TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogCleanerTest, KeepsOnlyTheLatestRecordPerKeyOutsideTheActiveSegment) {
  auto log = Open();
  for (int version = 0; version < 10; ++version) {
    for (int key = 0; key < 10; ++key) Write(*log, fmt::format("k{}:v{}", key, version));
  }
  const Offset end = log->log_end_offset();
  LogCleaner cleaner = MakeCleaner();
  auto result = cleaner.Clean(*log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_GT(result->segments_cleaned, 0);
  EXPECT_LT(result->records_kept, result->records_read);
  EXPECT_EQ(log->log_end_offset(), end) << "cleaning never moves the end";
  std::map<std::string, int> seen;
  for (const auto& line : CleanedPart(*log)) ++seen[line.substr(0, line.find('='))];
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key << " kept more than once";
  // Reading sees the survivors in offset order, ending with the newest versions.
  auto lines = Lines(*log);
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back(), "k9:v9");
  EXPECT_LT(lines.size(), 100u);
  EXPECT_EQ(cleaner.CheckpointedOffset({"t", 0}), result->end_offset);
}

TEST_F(LogCleanerTest, CleaningTwiceChangesNothingMore) {
  auto log = Open();
  for (int i = 0; i < 200; ++i) Write(*log, fmt::format("k{}:v{}", i % 7, i));
  LogCleaner cleaner = MakeCleaner();
  ASSERT_TRUE(cleaner.Clean(*log).ok());
  auto once = Lines(*log);
  auto second = cleaner.Clean(*log);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Lines(*log), once);
}

TEST_F(LogCleanerTest, TombstoneIsKeptOnTheFirstCleaningThenDroppedAfterTheHorizon) {
  LogConfig config = Compacted();
  config.delete_retention_ms = 1000;
  auto log = Open(config);
  Write(*log, "gone:first");
  Write(*log, "gone:");
  for (int i = 0; i < 30; ++i) Write(*log, fmt::format("other{}:x", i));
  LogCleaner cleaner = MakeCleaner();
  ASSERT_TRUE(cleaner.Clean(*log).ok());
  auto part = CleanedPart(*log);
  EXPECT_NE(std::find(part.begin(), part.end(), "gone=<tombstone>"), part.end())
      << "the first cleaning keeps the tombstone";
  EXPECT_EQ(std::find(part.begin(), part.end(), "gone=first"), part.end());
  auto lines = Lines(*log);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "gone:"), lines.end())
      << "a tombstone reads back as it was written";

  clock_.Advance(1001);
  for (int i = 0; i < 30; ++i) Write(*log, fmt::format("more{}:x", i));
  ASSERT_TRUE(cleaner.Clean(*log).ok());
  part = CleanedPart(*log);
  EXPECT_EQ(std::find(part.begin(), part.end(), "gone=<tombstone>"), part.end())
      << "a cleaning past delete.retention.ms drops it";
}

TEST_F(LogCleanerTest, ASmallKeyMapCleansPartOfTheLogEachPass) {
  auto log = Open();
  for (int i = 0; i < 120; ++i) Write(*log, fmt::format("k{}:v{}", i % 40, i));
  LogCleaner cleaner = MakeCleaner(24 * 10, 0.9);  // room for 9 keys
  auto first = cleaner.Clean(*log);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  const Offset active = log->Segments().back()->base_offset();
  EXPECT_LT(first->end_offset, active) << "a full map stops the pass early";
  Offset previous = first->end_offset;
  for (int pass = 0; pass < 50 && previous < active; ++pass) {
    auto next = cleaner.Clean(*log);
    ASSERT_TRUE(next.ok());
    EXPECT_GT(next->end_offset, previous) << "every pass makes progress";
    previous = next->end_offset;
  }
  EXPECT_EQ(previous, log->Segments().back()->base_offset());
  std::map<std::string, int> seen;
  for (const auto& line : CleanedPart(*log)) ++seen[line.substr(0, line.find('='))];
  for (const auto& [key, count] : seen) EXPECT_EQ(count, 1) << key;
}

TEST_F(LogCleanerTest, MinCompactionLagKeepsRecentSegmentsUncleanable) {
  LogConfig config = Compacted();
  config.min_compaction_lag_ms = 10'000;
  auto log = Open(config);
  for (int i = 0; i < 100; ++i) Write(*log, fmt::format("k{}:v{}", i % 5, i));
  LogCleaner cleaner = MakeCleaner();
  CleanableRange range = cleaner.Range(*log);
  EXPECT_EQ(range.first_uncleanable, range.first_dirty) << "everything is newer than the lag";
  EXPECT_FALSE(range.eligible());
  clock_.Advance(10'001);
  range = cleaner.Range(*log);
  EXPECT_EQ(range.first_uncleanable, log->Segments().back()->base_offset());
  EXPECT_TRUE(range.eligible());
}

TEST_F(LogCleanerTest, MaxCompactionLagMakesALogEligibleWhateverItsRatio) {
  LogConfig config = Compacted();
  config.min_cleanable_dirty_ratio = 1.0;
  config.max_compaction_lag_ms = 5'000;
  auto log = Open(config);
  for (int i = 0; i < 100; ++i) Write(*log, fmt::format("k{}:v{}", i % 5, i));
  LogCleaner cleaner = MakeCleaner();
  EXPECT_FALSE(cleaner.Range(*log).eligible());
  clock_.Advance(5'001);
  EXPECT_TRUE(cleaner.Range(*log).eligible());
}

TEST_F(LogCleanerTest, DirtyRatioDecidesWhichLogIsCleaned) {
  LogConfig config = Compacted();
  config.min_cleanable_dirty_ratio = 0.5;
  auto log = Open(config);
  for (int i = 0; i < 100; ++i) Write(*log, fmt::format("k{}:v{}", i % 5, i));
  LogCleaner cleaner = MakeCleaner();
  CleanableRange range = cleaner.Range(*log);
  EXPECT_DOUBLE_EQ(range.dirty_ratio, 1.0) << "nothing was cleaned yet";
  std::shared_ptr<Log> shared = std::move(log);
  auto cleaned = cleaner.CleanFilthiest({shared});
  ASSERT_TRUE(cleaned.ok());
  EXPECT_TRUE(cleaned->has_value());
  auto again = cleaner.CleanFilthiest({shared});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value()) << "a clean log is not eligible";
}

TEST_F(LogCleanerTest, WhenEveryKeyIsDeletedTheLastBatchIsKeptEmpty) {
  LogConfig config = Compacted();
  config.delete_retention_ms = 0;
  auto log = Open(config);
  for (int i = 0; i < 40; ++i) Write(*log, fmt::format("k{}:v", i));
  for (int i = 0; i < 40; ++i) Write(*log, fmt::format("k{}:", i));
  ASSERT_TRUE(log->Roll().ok());
  LogCleaner cleaner = MakeCleaner();
  ASSERT_TRUE(cleaner.Clean(*log).ok());  // stamps horizons (now + 0)
  clock_.Advance(1);
  Write(*log, "z:1");
  ASSERT_TRUE(log->Roll().ok());
  Offset last_before = log->Segments()[log->Segments().size() - 2]->base_offset();
  ASSERT_TRUE(cleaner.Clean(*log).ok());
  auto segments = log->Segments();
  ASSERT_GE(segments.size(), 2u);
  const auto& cleaned = segments[segments.size() - 2];
  auto batches = cleaned->Batches();
  ASSERT_TRUE(batches.ok());
  ASSERT_FALSE(batches->empty());
  EXPECT_GE(batches->back().base_offset, last_before);
  auto lines = Lines(*log);
  EXPECT_EQ(lines, std::vector<std::string>{"z:1"}) << "only the surviving key is read";
}

// The PartitionLeaderEpoch of every batch in the partition's .log files,
// in file order; with set_to, each is first overwritten (the field is not
// covered by the CRC), as batches a Kafka broker wrote carry theirs.
std::vector<int32_t> LeaderEpochs(const std::string& dir, std::optional<int32_t> set_to = std::nullopt) {
  std::vector<std::string> logs;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".log") logs.push_back(e.path().string());
  }
  std::sort(logs.begin(), logs.end());
  std::vector<int32_t> epochs;
  for (const auto& path : logs) {
    std::string bytes = testing::ReadFile(path);
    for (size_t pos = 0; pos + format::kBatchHeaderSize <= bytes.size();) {
      if (set_to) be::Store<int32_t>(bytes.data() + pos + format::kLeaderEpochPos, *set_to);
      epochs.push_back(be::Load<int32_t>(bytes.data() + pos + format::kLeaderEpochPos));
      pos += static_cast<size_t>(be::Load<int32_t>(bytes.data() + pos + format::kLengthPos)) + format::kLogOverhead;
    }
    if (set_to) testing::WriteFile(path, bytes);
  }
  return epochs;
}

TEST_F(LogCleanerTest, RewrittenBatchesKeepTheirOwnLeaderEpochAsKafkasCleanerDoes) {
  {
    auto log = Open();
    for (int version = 0; version < 10; ++version) {
      for (int key = 0; key < 10; ++key) Write(*log, fmt::format("k{}:v{}", key, version));
    }
    EXPECT_EQ(LeaderEpochs(dir_ / "t-0"), std::vector<int32_t>(LeaderEpochs(dir_ / "t-0").size(), 0))
        << "topicfs stamps epoch 0";
    ASSERT_TRUE(log->Close().ok());
  }
  const size_t written = LeaderEpochs(dir_ / "t-0", 5).size();
  auto log = Open();
  LogCleaner cleaner = MakeCleaner();
  auto result = cleaner.Clean(*log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_GT(result->segments_cleaned, 0);
  auto epochs = LeaderEpochs(dir_ / "t-0");
  EXPECT_LT(epochs.size(), written + 1);
  EXPECT_EQ(epochs, std::vector<int32_t>(epochs.size(), 5));
}

// Crashes at each stage of the swap (Kafka's testRecoveryAfterCrash): the
// log recovers to all the old records or exactly the cleaned ones.
class CleanerSwapCrashTest : public LogCleanerTest {
 protected:
  void SetUp() override {
    auto log = Open();
    for (int i = 0; i < 60; ++i) Write(*log, fmt::format("k{}:v{}", i % 6, i));
    ASSERT_TRUE(log->Roll().ok());
    before_ = Lines(*log);
    ASSERT_TRUE(log->Close().ok());
    Snapshot(dir_ / "before");
    log = Open();
    LogCleaner cleaner = MakeCleaner();
    ASSERT_TRUE(cleaner.Clean(*log).ok());
    after_ = Lines(*log);
    ASSERT_NE(before_, after_);
    ASSERT_TRUE(log->Close().ok());
    Snapshot(dir_ / "after");
  }
  void Snapshot(const std::string& to) {
    fs::remove_all(to);
    fs::copy(dir_ / "t-0", to);
  }
  // Puts back the pre-cleaning files (the replaced ones possibly renamed
  // .deleted), then adds every cleaned segment's files under new_suffix.
  void Restore(std::string_view new_suffix, bool old_as_deleted) {
    const Offset active = ActiveBase();
    fs::remove_all(dir_ / "t-0");
    fs::create_directory(dir_ / "t-0");
    for (const auto& e : fs::directory_iterator(dir_ / "before")) {
      std::string name = e.path().filename();
      auto parsed = ParseSegmentFileName(name);
      bool replaced = parsed && parsed->base_offset < active;
      fs::copy(e.path(), fs::path(dir_ / "t-0") / (name + (replaced && old_as_deleted ? ".deleted" : "")));
    }
    for (const auto& e : fs::directory_iterator(dir_ / "after")) {
      std::string name = e.path().filename();
      auto parsed = ParseSegmentFileName(name);
      if (!parsed || parsed->base_offset >= active) continue;
      fs::copy(e.path(), fs::path(dir_ / "t-0") / (name + std::string(new_suffix)),
               fs::copy_options::overwrite_existing);
    }
  }
  // The active segment's base: cleaning replaced everything below it.
  Offset ActiveBase() {
    Offset active(0);
    for (const auto& e : fs::directory_iterator(dir_ / "after")) {
      auto parsed = ParseSegmentFileName(e.path().filename().string());
      if (parsed) active = std::max(active, parsed->base_offset);
    }
    return active;
  }

  std::vector<std::string> before_, after_;
};

TEST_F(CleanerSwapCrashTest, OnlyCleanedFilesRollBackToTheOldRecords) {
  Restore(kCleanedSuffix, /*old_as_deleted=*/false);
  EXPECT_EQ(Lines(*Open(Compacted(), /*clean=*/false)), before_);
}

TEST_F(CleanerSwapCrashTest, SwapFilesWithTheOldSegmentsPresentCompleteTheSwap) {
  Restore(kSwapSuffix, /*old_as_deleted=*/false);
  EXPECT_EQ(Lines(*Open(Compacted(), false)), after_);
}

TEST_F(CleanerSwapCrashTest, SwapFilesWithTheOldSegmentsDeletedCompleteTheSwap) {
  Restore(kSwapSuffix, /*old_as_deleted=*/true);
  EXPECT_EQ(Lines(*Open(Compacted(), false)), after_);
}

TEST_F(CleanerSwapCrashTest, AFinishedSwapReopensToTheCleanedRecords) {
  fs::remove_all(dir_ / "t-0");
  fs::copy(dir_ / "after", dir_ / "t-0");
  EXPECT_EQ(Lines(*Open(Compacted(), false)), after_);
}

// Transactions (issue 13), as Kafka's cleaner treats them: the records of
// an aborted transaction are dropped, and never count as their key's
// latest (an aborted record must not make a committed one of its key go);
// the markers stay, and so do their .txnindex entries, copied into the
// output. Segments written by hand, as a copied-in Kafka directory holds
// them (topicfs's appends refuse transactional batches).
class LogCleanerTransactionsTest : public LogCleanerTest {
 protected:
  // A keyed record's batch at `at`, its value presented as value + "\n".
  void Put(std::string* out, int64_t* at, std::string_view key, std::string_view value, int64_t pid = -1,
           int16_t attributes = 0) {
    b_.Reset(Offset(*at), Timestamp(clock_.Now().value));
    b_.SetProducer(pid, pid < 0 ? -1 : 0, pid < 0 ? -1 : 0);
    b_.SetAttributes(attributes);
    b_.Add(Offset(*at), clock_.Now(), key, value);
    out->append(b_.Finish());
    *at += static_cast<int64_t>(value.size()) + 1;
  }
  void Abort(std::string* out, int64_t* at, int64_t pid) {
    std::string key(4, '\0'), value(6, '\0');
    b_.Reset(Offset(*at), clock_.Now());
    b_.SetProducer(pid, 0, -1);
    b_.SetAttributes(format::kTransactionalBit | format::kControlBit);
    b_.Add(Offset(*at), clock_.Now(), std::string_view(key), std::string_view(value));
    out->append(b_.Finish());
    *at += 1;
  }
  BatchBuilder b_;
};

TEST_F(LogCleanerTransactionsTest, AbortedRecordsAreDroppedAndNeverShadowACommittedOne) {
  const std::string dir = dir_ / "t-0";
  fs::create_directories(dir);
  int64_t at = 0;
  std::string seg0, seg1, seg2;
  Put(&seg0, &at, "k", "committed");
  const int64_t aborted_at = at;
  Put(&seg0, &at, "k", "aborted", 7, format::kTransactionalBit);
  const int64_t second = at;
  const int64_t marker = at;
  Abort(&seg1, &at, 7);
  Put(&seg1, &at, "j", "x");
  const int64_t third = at;
  Put(&seg2, &at, "j", "y");
  testing::WriteFile(SegmentFilePath(dir, Offset(0), kLogSuffix), seg0);
  testing::WriteFile(SegmentFilePath(dir, Offset(second), kLogSuffix), seg1);
  testing::WriteFile(SegmentFilePath(dir, Offset(third), kLogSuffix), seg2);
  auto log = Open(Compacted(), /*clean=*/false);
  const AbortedTxn entry{7, Offset(aborted_at), Offset(marker), Offset(marker + 1)};
  ASSERT_EQ((std::vector<AbortedTxn>{entry}), log->AbortedTransactionsIn(Offset(0), Offset(at)));
  EXPECT_EQ((std::vector<std::string>{"committed", "x", "y"}), Lines(*log));

  LogCleaner cleaner = MakeCleaner();
  auto result = cleaner.Clean(*log);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_GT(result->segments_cleaned, 0);
  EXPECT_EQ((std::vector<std::string>{"committed", "x", "y"}), Lines(*log));
  EXPECT_EQ((std::vector<std::string>{"k=committed", std::string(4, '\0') + "=" + std::string(6, '\0'), "j=x"}),
            CleanedPart(*log))
      << "the aborted record left the log, the marker stayed";
  // The output's .txnindex holds the entry, on disk and for readers.
  const auto segments = log->Segments();
  ASSERT_GE(segments.size(), 2u);
  EXPECT_EQ((std::vector<AbortedTxn>{entry}), log->AbortedTransactionsIn(Offset(0), Offset(at)));
  bool found = false;
  for (const auto& segment : segments) {
    if (segment->aborted_txns().empty()) continue;
    found = true;
    EXPECT_EQ(EncodeAbortedTxns(std::vector<AbortedTxn>{entry}),
              testing::ReadFile(SegmentFilePath(dir, segment->base_offset(), kTxnIndexSuffix)));
  }
  EXPECT_TRUE(found);
  for (const auto& name : fs::directory_iterator(dir)) {
    EXPECT_EQ(std::string::npos, name.path().filename().string().find(".cleaned")) << name.path();
  }
}

}  // namespace
}  // namespace topicfs::store
