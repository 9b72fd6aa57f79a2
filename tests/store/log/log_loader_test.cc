// Loading and recovering a partition directory (Log::Load), ported from
// Kafka's LogLoaderTest (core/src/test/scala/unit/kafka/log/
// LogLoaderTest.scala; docs/recovery.md) into the one coordinate.
// A "crash" here is dropping the Log without Close and reopening with
// had_clean_shutdown = false and a recovery point from the test.

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "store/base/big_endian.h"
#include "store/format/file_names.h"
#include "store/log/log.h"
#include "store/log/log_segment.h"
#include "store/format/batch_builder.h"
#include "store/format/record_reader.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::TempDir;

// One stored record as a reader of the segments sees it.
struct StoredRecord {
  int64_t offset;
  int64_t timestamp;
  std::optional<std::string> key;
  std::optional<std::string> value;
  bool operator==(const StoredRecord&) const = default;
};

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

bool AnyFileEndsWith(const std::string& dir, std::string_view suffix) {
  for (const auto& name : ListDir(dir)) {
    if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

std::string RandomText(std::mt19937_64& rng, size_t n) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_";
  std::string s(n, ' ');
  for (auto& c : s) c = kChars[rng() % (sizeof(kChars) - 1)];
  return s;
}

class LogLoaderTest : public ::testing::Test {
 protected:
  std::string LogDir() const { return dir_ / "t-0"; }

  std::unique_ptr<Log> OpenLog(const LogConfig& config, bool clean, Offset recovery_point,
                               Offset log_start = Offset(0)) {
    Log::Options o;
    o.dir = LogDir();
    o.topic_partition = {"t", 0};
    o.config = config;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    o.recovery_point = recovery_point;
    o.log_start_offset = log_start;
    auto log = Log::Open(o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (!log.ok()) return nullptr;
    return std::move(log).value();
  }

  static LogConfig SmallConfig(int32_t segment_bytes = 1024, int32_t index_interval_bytes = 1) {
    LogConfig c;
    c.segment_bytes = segment_bytes;
    c.index_interval_bytes = index_interval_bytes;
    c.segment_index_bytes = 4096;
    return c;
  }

  // Appends one line per call, the clock moving 10 ms before each.
  std::vector<Offset> AppendLines(Log& log, const std::vector<std::string>& lines) {
    std::vector<Offset> offsets;
    for (const auto& line : lines) {
      clock_.Advance(10);
      std::string_view v = line;
      auto r = log.Append({&v, 1}, &offsets);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    return offsets;
  }

  std::vector<std::string> NumberedLines(int n, const std::string& prefix = "record-") {
    std::vector<std::string> lines;
    for (int i = 0; i < n; ++i) lines.push_back(prefix + std::to_string(i));
    return lines;
  }

  static std::vector<StoredRecord> Records(const Log& log) {
    std::vector<StoredRecord> out;
    for (const auto& segment : log.Segments()) {
      auto batches = segment->Batches();
      EXPECT_TRUE(batches.ok()) << batches.status().ToString();
      if (!batches.ok()) continue;
      for (const auto& b : *batches) {
        Status s = segment->ForEachRecord(b, [&](const RecordView& r) {
          StoredRecord rec{r.offset.value, r.timestamp.value, std::nullopt, std::nullopt};
          if (r.key) rec.key = std::string(*r.key);
          if (r.value) rec.value = std::string(*r.value);
          out.push_back(rec);
        });
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
    return out;
  }

  static std::string Joined(const std::vector<std::string>& lines, size_t from = 0, size_t to = SIZE_MAX) {
    std::string out;
    for (size_t i = from; i < std::min(to, lines.size()); ++i) out += lines[i] + "\n";
    return out;
  }

  std::string SegmentPath(Offset base, std::string_view suffix, std::string_view state = "") const {
    return SegmentFilePath(LogDir(), base, suffix, state);
  }

  static std::vector<OffsetIndex::Entry> OffsetEntries(const LogSegment& s) {
    std::vector<OffsetIndex::Entry> out;
    for (int i = 0; i < s.offset_index().entries(); ++i) out.push_back(s.offset_index().EntryAt(i));
    return out;
  }
  static std::vector<TimeIndex::Entry> TimeEntries(const LogSegment& s) {
    std::vector<TimeIndex::Entry> out;
    for (int i = 0; i < s.time_index().entries(); ++i) out.push_back(s.time_index().EntryAt(i));
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogLoaderTest, LogRecoversToTheCorrectOffsetAndRecoveryPointStaysUntilFlush) {
  std::mt19937_64 rng(42);
  std::vector<std::string> lines;
  for (int i = 0; i < 100; ++i) lines.push_back(RandomText(rng, 100));
  // Kafka's numbers: 100-byte messages, segments of 7 and index entries
  // every 3 messages' worth of bytes.
  LogConfig config = SmallConfig(/*segment_bytes=*/7 * 170, /*index_interval_bytes=*/3 * 100);
  Offset end;
  Offset tenth;
  Timestamp largest;
  Offset last_record;
  std::vector<std::vector<OffsetIndex::Entry>> offset_entries;
  std::vector<OffsetIndex::Entry> active_entries;
  std::vector<TimeIndex::Entry> active_time_entries;
  {
    auto log = OpenLog(config, /*clean=*/false, Offset(0));
    auto offsets = AppendLines(*log, lines);
    end = log->log_end_offset();
    EXPECT_EQ(end, Offset(101 * 100));
    tenth = offsets[10];
    // The last batch's last offset: the end - 1 (one end for everyone).
    last_record = end - 1;
    auto active = log->Segments().back();
    largest = active->LargestTimestamp();
    active_entries = OffsetEntries(*active);
    active_time_entries = TimeEntries(*active);
    for (const auto& s : log->Segments()) offset_entries.push_back(OffsetEntries(*s));
    EXPECT_GT(log->Segments().size(), 5u);
    ASSERT_TRUE(log->Close().ok());
  }
  // After close the last time index entry is (largest timestamp, last offset).
  if (active_time_entries.empty() || active_time_entries.back().offset != last_record) {
    active_time_entries.push_back({largest, last_record});
  }

  auto verify = [&](const Log& log, Offset expected_recovery_point) {
    EXPECT_EQ(log.recovery_point(), expected_recovery_point);
    EXPECT_EQ(log.log_end_offset(), end);
    auto segments = log.Segments();
    ASSERT_EQ(segments.size(), offset_entries.size());
    for (size_t i = 0; i < segments.size(); ++i) EXPECT_EQ(OffsetEntries(*segments[i]), offset_entries[i]) << i;
    const LogSegment& active = *segments.back();
    EXPECT_EQ(OffsetEntries(active), active_entries);
    EXPECT_EQ(TimeEntries(active), active_time_entries);
    EXPECT_EQ(active.time_index().LastEntry(), (TimeIndex::Entry{largest, last_record}));
    EXPECT_EQ(ReadAll(log), Joined(lines));
  };
  {
    auto log = OpenLog(config, /*clean=*/false, /*recovery_point=*/end);
    verify(*log, end);
    ASSERT_TRUE(log->Close().ok());
  }
  {
    auto log = OpenLog(config, /*clean=*/false, /*recovery_point=*/tenth);
    verify(*log, tenth);
    ASSERT_TRUE(log->Flush().ok());
    EXPECT_EQ(log->recovery_point(), end);
    ASSERT_TRUE(log->Close().ok());
  }
}

TEST_F(LogLoaderTest, RecoveryPointAboveTheLogEndIsClampedToIt) {
  Offset end;
  {
    auto log = OpenLog(SmallConfig(), false, Offset(0));
    AppendLines(*log, NumberedLines(20));
    end = log->log_end_offset();
  }
  auto log = OpenLog(SmallConfig(), false, end + 1000);
  EXPECT_EQ(log->recovery_point(), end);
  EXPECT_EQ(log->log_end_offset(), end);
}

TEST_F(LogLoaderTest, IndexesAreRebuiltAfterAllIndexFilesAreDeleted) {
  for (bool clean : {false, true}) {
    SCOPED_TRACE(clean ? "clean" : "unclean");
    TempDir dir;
    Log::Options o;
    o.dir = dir / "t-0";
    o.topic_partition = {"t", 0};
    o.config = SmallConfig(/*segment_bytes=*/2000, /*index_interval_bytes=*/1);
    o.clock = &clock_;
    std::vector<std::string> lines = NumberedLines(200, "message-");
    std::vector<Offset> offsets;
    std::vector<int64_t> timestamps;
    {
      auto log = Log::Open(o);
      ASSERT_TRUE(log.ok());
      for (const auto& line : lines) {
        clock_.Advance(10);
        timestamps.push_back(clock_.Now().value);
        std::string_view v = line;
        ASSERT_TRUE((*log)->Append({&v, 1}, &offsets).ok());
      }
      EXPECT_GT((*log)->Segments().size(), 3u);
      ASSERT_TRUE((*log)->Close().ok());
    }
    int deleted = 0;
    for (const auto& name : ListDir(o.dir)) {
      auto parsed = ParseSegmentFileName(name);
      if (parsed && (parsed->kind == SegmentFileKind::kIndex || parsed->kind == SegmentFileKind::kTimeIndex)) {
        ASSERT_EQ(::unlink((o.dir + "/" + name).c_str()), 0);
        ++deleted;
      }
    }
    ASSERT_GT(deleted, 6);
    o.had_clean_shutdown = clean;
    auto reopened = Log::Open(o);
    ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
    const Log& log = **reopened;
    for (const auto& s : log.Segments()) {
      if (s != log.Segments().back()) {
        EXPECT_GT(s->offset_index().entries(), 0);
      }
      EXPECT_TRUE(testing::FileExists(SegmentFilePath(o.dir, s->base_offset(), kIndexSuffix)));
      EXPECT_TRUE(testing::FileExists(SegmentFilePath(o.dir, s->base_offset(), kTimeIndexSuffix)));
    }
    char buf[64];
    for (size_t i = 0; i < lines.size(); ++i) {
      auto r = log.Read(offsets[i], buf, static_cast<int64_t>(lines[i].size()) + 1);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      EXPECT_EQ(r->start, offsets[i]);
      EXPECT_EQ(std::string(buf, static_cast<size_t>(r->bytes)), lines[i] + "\n");
      auto at = log.OffsetForTimestamp(Timestamp(timestamps[i]));
      ASSERT_TRUE(at.ok());
      EXPECT_EQ(*at, offsets[i]) << i;
    }
  }
}

TEST_F(LogLoaderTest, CorruptIndexesOfTwoBytesAreRebuilt) {
  std::vector<std::string> lines = NumberedLines(200, "message-");
  std::vector<Offset> offsets;
  std::vector<int64_t> timestamps;
  {
    auto log = OpenLog(SmallConfig(2000), false, Offset(0));
    for (const auto& line : lines) {
      clock_.Advance(10);
      timestamps.push_back(clock_.Now().value);
      std::string_view v = line;
      ASSERT_TRUE(log->Append({&v, 1}, &offsets).ok());
    }
    ASSERT_TRUE(log->Close().ok());
  }
  for (const auto& name : ListDir(LogDir())) {
    auto parsed = ParseSegmentFileName(name);
    if (parsed && (parsed->kind == SegmentFileKind::kIndex || parsed->kind == SegmentFileKind::kTimeIndex)) {
      testing::WriteFile(LogDir() + "/" + name, "ab");
    }
  }
  auto log = OpenLog(SmallConfig(2000), /*clean=*/false, Offset(0));
  EXPECT_EQ(ReadAll(*log), Joined(lines));
  for (size_t i = 0; i < lines.size(); ++i) {
    char buf[64];
    auto r = log->Read(offsets[i], buf, sizeof(buf));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->start, offsets[i]);
    auto at = log->OffsetForTimestamp(Timestamp(timestamps[i]));
    ASSERT_TRUE(at.ok());
    EXPECT_EQ(*at, offsets[i]) << i;
  }
  for (const auto& s : log->Segments()) {
    EXPECT_EQ(testing::FileSize(SegmentFilePath(LogDir(), s->base_offset(), kIndexSuffix)) % 8, 0);
  }
}

TEST_F(LogLoaderTest, IndexEntryWithANegativePositionIsRebuiltNotFollowed) {
  std::vector<std::string> lines = NumberedLines(50);
  Offset base;
  {
    auto log = OpenLog(SmallConfig(100'000, 64), false, Offset(0));
    AppendLines(*log, lines);
    base = log->Segments().back()->base_offset();
    ASSERT_TRUE(log->Close().ok());
  }
  // An extra entry that passes the sanity check (whole entries, offset above
  // the base) but points before the start of the file.
  std::string index = SegmentPath(base, kIndexSuffix);
  char entry[8];
  be::Store<int32_t>(entry, 1'000'000);
  be::Store<int32_t>(entry + 4, -4096);
  testing::PokeFile(index, testing::FileSize(index), std::string_view(entry, 8));
  for (bool clean : {true, false}) {
    SCOPED_TRACE(clean ? "clean" : "unclean");
    auto log = OpenLog(SmallConfig(100'000, 64), clean, Offset(0));
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(ReadAll(*log), Joined(lines));
    EXPECT_EQ(ReadAll(*log, Offset(100)), Joined(lines).substr(100));
    ASSERT_TRUE(log->Close().ok());
  }
}

TEST_F(LogLoaderTest, OrphanIndexFilesAreDeletedAndTheLogStaysAppendable) {
  ASSERT_EQ(::mkdir(LogDir().c_str(), 0755), 0);
  for (int64_t base : {0, 5}) {
    testing::WriteFile(SegmentPath(Offset(base), kIndexSuffix), std::string(16, 'x'));
    testing::WriteFile(SegmentPath(Offset(base), kTimeIndexSuffix), std::string(24, 'y'));
  }
  auto log = OpenLog(SmallConfig(), false, Offset(0));
  EXPECT_FALSE(testing::FileExists(SegmentPath(Offset(5), kIndexSuffix)));
  EXPECT_FALSE(testing::FileExists(SegmentPath(Offset(5), kTimeIndexSuffix)));
  ASSERT_EQ(log->Segments().size(), 1u);
  EXPECT_EQ(log->Segments().front()->offset_index().entries(), 0);
  EXPECT_EQ(log->Segments().front()->time_index().entries(), 0);
  std::vector<std::string> lines = NumberedLines(100);
  AppendLines(*log, lines);
  EXPECT_EQ(ReadAll(*log), Joined(lines));
}

TEST_F(LogLoaderTest, ObsoleteDeletedFilesAreRemovedOnOpen) {
  std::vector<std::string> lines = NumberedLines(100);
  std::vector<Offset> offsets;
  Offset active_base;
  {
    auto log = OpenLog(SmallConfig(300), false, Offset(0));
    offsets = AppendLines(*log, lines);
    ASSERT_GT(log->Segments().size(), 3u);
    active_base = log->Segments().back()->base_offset();
    ASSERT_TRUE(log->Close().ok());
  }
  // Retention renamed every older segment's files to .deleted and moved the
  // log start; the process died before the files were removed.
  for (const auto& name : ListDir(LogDir())) {
    auto parsed = ParseSegmentFileName(name);
    if (parsed && parsed->state_suffix.empty() && parsed->base_offset < active_base) {
      std::string path = LogDir() + "/" + name;
      ASSERT_EQ(::rename(path.c_str(), (path + std::string(kDeletedSuffix)).c_str()), 0);
    }
  }
  auto log = OpenLog(SmallConfig(300), false, active_base, /*log_start=*/active_base);
  EXPECT_FALSE(AnyFileEndsWith(LogDir(), kDeletedSuffix));
  ASSERT_EQ(log->Segments().size(), 1u);
  EXPECT_EQ(log->log_start_offset(), active_base);
  size_t first_kept = static_cast<size_t>(std::find(offsets.begin(), offsets.end(), active_base) - offsets.begin());
  ASSERT_LT(first_kept, lines.size());
  // A read below the log start continues at the first surviving record.
  char buf[16];
  auto r = log->Read(Offset(0), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start, active_base);
  EXPECT_EQ(ReadAll(*log), Joined(lines, first_kept));
}

TEST_F(LogLoaderTest, GarbageAppendedToTheActiveLogAndIndexIsCutOnUncleanReopen) {
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    TempDir dir;
    Log::Options o;
    o.dir = dir / "t-0";
    o.topic_partition = {"t", 0};
    o.config = SmallConfig(1000, 1);
    o.config.max_message_bytes = 64 * 1024;
    o.clock = &clock_;
    std::vector<std::string> lines;
    const int n = 50 + static_cast<int>(rng() % 50);
    for (int i = 0; i < n; ++i) lines.push_back(RandomText(rng, rng() % 30));
    std::vector<StoredRecord> records;
    Offset end;
    std::string active_log, active_index;
    {
      auto log = Log::Open(o);
      ASSERT_TRUE(log.ok());
      AppendLines(**log, lines);
      records = Records(**log);
      end = (*log)->log_end_offset();
      active_log = (*log)->Segments().back()->log_path();
      active_index = SegmentFilePath(o.dir, (*log)->Segments().back()->base_offset(), kIndexSuffix);
      ASSERT_TRUE((*log)->Close().ok());
    }
    std::string junk = RandomText(rng, 1 + rng() % 1024);
    for (auto& c : junk) c = static_cast<char>(rng());
    testing::PokeFile(active_log, testing::FileSize(active_log), junk);
    for (auto& c : junk) c = static_cast<char>(rng());
    testing::PokeFile(active_index, testing::FileSize(active_index), junk.substr(0, 1 + rng() % junk.size()));

    o.had_clean_shutdown = false;
    o.recovery_point = Offset(50);
    auto log = Log::Open(o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ((*log)->log_end_offset(), end);
    EXPECT_EQ(Records(**log), records);
    EXPECT_EQ(ReadAll(**log), Joined(lines));
    ASSERT_TRUE((*log)->Close().ok());
  }
}

// After a clean shutdown the segments are trusted at open (only each one's
// last batch is read). A damaged batch inside one is found by the first
// read that touches it: the bytes before it are served, then the error;
// the bytes after it stay readable; and the partition is marked so that the
// next open validates it and moves the batch into a side file.
TEST_F(LogLoaderTest, ADamagedBatchTrustedAtOpenIsWithheldByReadsAndRepairedAtTheNextOpen) {
  std::vector<std::string> lines = NumberedLines(100);
  std::vector<Offset> offsets;
  Offset end;
  std::string active_log;
  {
    auto log = OpenLog(SmallConfig(1 << 20), false, Offset(0));
    offsets = AppendLines(*log, lines);
    end = log->log_end_offset();
    active_log = log->Segments().back()->log_path();
    ASSERT_TRUE(log->Close().ok());
  }
  // Flip a byte of record 50's value: its batch still parses, but its CRC
  // no longer holds.
  std::string bytes = testing::ReadFile(active_log);
  const size_t at = bytes.find("record-50");
  ASSERT_NE(at, std::string::npos);
  testing::PokeFile(active_log, static_cast<int64_t>(at) + 8, "X");
  const int64_t size = testing::FileSize(active_log);
  {
    auto log = OpenLog(SmallConfig(1 << 20), /*clean=*/true, end);
    EXPECT_EQ(testing::FileSize(active_log), size);
    EXPECT_EQ(log->log_end_offset(), end);
    // A sequential read: every good byte before the batch, then the error.
    std::string out;
    std::vector<char> buf(100'000);
    Offset pos(0);
    Status failed;
    while (true) {
      auto r = log->Read(pos, buf.data(), static_cast<int64_t>(buf.size()));
      if (!r.ok()) {
        failed = r.status();
        break;
      }
      if (r->bytes == 0) break;
      out.append(buf.data(), static_cast<size_t>(r->bytes));
      pos = r->next;
    }
    EXPECT_EQ(failed.code(), Code::kCorruption) << failed.ToString();
    EXPECT_EQ(out, Joined(lines, 0, 50));
    EXPECT_EQ(pos, offsets[50]);
    // Past it, everything reads.
    EXPECT_EQ(ReadAll(*log, offsets[51]), Joined(lines, 51));
    EXPECT_EQ(log->Figures().withheld_batches, 1);
    EXPECT_EQ(log->CheckpointedRecoveryPoint(), Offset(0));
    ASSERT_TRUE(log->Close().ok());
  }
  // The next open, clean or not, validates from the marked point: the batch
  // goes to a side file and nothing else is lost.
  auto log = OpenLog(SmallConfig(1 << 20), /*clean=*/true, Offset(0));
  EXPECT_LT(testing::FileSize(active_log), size);
  EXPECT_EQ(ReadAll(*log), Joined(lines, 0, 50) + Joined(lines, 51));
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_TRUE(AnyFileEndsWith(LogDir(), kCorruptSuffix));
  EXPECT_EQ(log->Figures().withheld_batches, 0);
}

// A partition whose recovery point is below its end after a clean shutdown
// (missing from the checkpoint, marked after a bad read, copied in) is
// validated from the recovery point like after a crash.
TEST_F(LogLoaderTest, CleanShutdownWithTheRecoveryPointBelowTheEndValidatesFromIt) {
  std::vector<std::string> lines = NumberedLines(100);
  std::string active_log;
  {
    auto log = OpenLog(SmallConfig(1000), false, Offset(0));
    AppendLines(*log, lines);
    active_log = log->Segments().back()->log_path();
    ASSERT_TRUE(log->Close().ok());
  }
  const int64_t size = testing::FileSize(active_log);
  testing::PokeFile(active_log, size - 2, "X");
  auto log = OpenLog(SmallConfig(1000), /*clean=*/true, Offset(0));
  EXPECT_LT(testing::FileSize(active_log), size);
  EXPECT_EQ(ReadAll(*log), Joined(lines, 0, lines.size() - 1));
  ASSERT_FALSE(log->warnings().empty());
  EXPECT_NE(log->warnings().back().find(".corrupt"), std::string::npos) << log->warnings().back();
}

TEST_F(LogLoaderTest, LogEndBelowLogStartAfterReopenStartsOverAtTheLogStart) {
  Offset end;
  {
    auto log = OpenLog(SmallConfig(300), false, Offset(0));
    AppendLines(*log, NumberedLines(50));
    end = log->log_end_offset();
    ASSERT_TRUE(log->Close().ok());
  }
  const Offset start = end + 100;
  auto log = OpenLog(SmallConfig(300), /*clean=*/false, Offset(0), /*log_start=*/start);
  ASSERT_EQ(log->Segments().size(), 1u);
  EXPECT_EQ(log->Segments().front()->base_offset(), start);
  EXPECT_TRUE(log->Segments().front()->empty());
  EXPECT_EQ(log->log_start_offset(), start);
  EXPECT_EQ(log->log_end_offset(), start);
  int logs = 0;
  for (const auto& name : ListDir(LogDir())) {
    auto parsed = ParseSegmentFileName(name);
    if (parsed && parsed->kind == SegmentFileKind::kLog) ++logs;
  }
  EXPECT_EQ(logs, 1);
  EXPECT_EQ(ReadAll(*log), "");
  auto offsets = AppendLines(*log, {"after"});
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0], start);
  EXPECT_EQ(ReadAll(*log), "after\n");
}

TEST_F(LogLoaderTest, EmptyActiveSegmentWithMissingIndexFilesLoads) {
  Offset end;
  Offset active_base;
  size_t segments = 0;
  {
    auto log = OpenLog(SmallConfig(), false, Offset(0));
    AppendLines(*log, NumberedLines(30));
    ASSERT_TRUE(log->Roll().ok());
    segments = log->Segments().size();
    end = log->log_end_offset();
    active_base = log->Segments().back()->base_offset();
    ASSERT_EQ(active_base, end);
    ASSERT_TRUE(log->Close().ok());
  }
  ASSERT_EQ(::unlink(SegmentPath(active_base, kIndexSuffix).c_str()), 0);
  ASSERT_EQ(::unlink(SegmentPath(active_base, kTimeIndexSuffix).c_str()), 0);
  auto log = OpenLog(SmallConfig(), /*clean=*/false, /*recovery_point=*/end);
  EXPECT_EQ(log->recovery_point(), end);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_TRUE(testing::FileExists(SegmentPath(active_base, kIndexSuffix)));
  EXPECT_TRUE(testing::FileExists(SegmentPath(active_base, kTimeIndexSuffix)));
  ASSERT_EQ(log->Segments().size(), segments);
  EXPECT_TRUE(log->Segments().back()->empty());
  AppendLines(*log, {"more"});
  EXPECT_EQ(ReadAll(*log, end), "more\n");
}

TEST_F(LogLoaderTest, LeftoverCleanedFilesAreRemoved) {
  std::vector<std::string> lines = NumberedLines(60);
  {
    auto log = OpenLog(SmallConfig(400), false, Offset(0));
    AppendLines(*log, lines);
    ASSERT_GT(log->Segments().size(), 2u);
    ASSERT_TRUE(log->Close().ok());
  }
  for (auto suffix : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
    testing::WriteFile(SegmentPath(Offset(0), suffix, kCleanedSuffix), "half-written cleaner output");
  }
  auto log = OpenLog(SmallConfig(400), false, Offset(0));
  EXPECT_FALSE(AnyFileEndsWith(LogDir(), kCleanedSuffix));
  EXPECT_EQ(ReadAll(*log), Joined(lines));
}

// Writes a segment <base>.log<state> (and its indexes) holding `records`,
// one batch per record, the way the cleaner writes its output.
void WriteSegment(const std::string& dir, Offset base, std::string_view state,
                  const std::vector<StoredRecord>& records) {
  LogSegment::Options o;
  o.dir = dir;
  o.base_offset = base;
  o.max_index_bytes = 4096;
  o.segment_bytes = 1 << 20;
  o.index_interval_bytes = 1;
  o.file_state_suffix = std::string(state);
  auto created = LogSegment::Create(o);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto& seg = *created;
  BatchBuilder b;
  for (const auto& r : records) {
    b.Reset(Offset(r.offset), Timestamp(r.timestamp));
    b.Add(Offset(r.offset), Timestamp(r.timestamp), r.key, r.value);
    std::string_view bytes = b.Finish();
    BatchLocation loc;
    loc.size = static_cast<int64_t>(bytes.size());
    loc.base_offset = loc.last_offset = Offset(r.offset);
    loc.records = 1;
    loc.max_timestamp = Timestamp(r.timestamp);
    LogSegment::AppendInfo info;
    info.batches = bytes;
    info.locations = {loc};
    info.next_offset = Offset(r.offset + static_cast<int64_t>(r.value->size()) + 1);
    info.max_timestamp = loc.max_timestamp;
    info.offset_of_max_timestamp = loc.last_offset;
    info.records = 1;
    ASSERT_TRUE(seg->Append(info).ok());
  }
  ASSERT_TRUE(seg->Close().ok());
}

std::string Presented(const std::vector<StoredRecord>& records) {
  std::string out;
  for (const auto& r : records) out += *r.value + "\n";
  return out;
}

TEST_F(LogLoaderTest, SwapWithAllNewSegmentsPresentCompletesTheSwap) {
  std::vector<std::string> lines = NumberedLines(60);
  std::vector<Offset> bases;
  std::vector<std::vector<StoredRecord>> per_segment;
  Offset end;
  {
    auto log = OpenLog(SmallConfig(400), false, Offset(0));
    AppendLines(*log, lines);
    for (const auto& s : log->Segments()) {
      bases.push_back(s->base_offset());
      per_segment.emplace_back();
      auto batches = s->Batches();
      ASSERT_TRUE(batches.ok());
      for (const auto& b : *batches) {
        ASSERT_TRUE(s->ForEachRecord(b, [&](const RecordView& r) {
                       per_segment.back().push_back({r.offset.value, r.timestamp.value, std::nullopt,
                                                     std::string(*r.value)});
                     }).ok());
      }
    }
    end = log->log_end_offset();
    ASSERT_GE(bases.size(), 4u);
    ASSERT_TRUE(log->Close().ok());
  }
  // The cleaner merged segments 0 and 1 into one, keeping every other record
  // and the last one of segment 1, and crashed after renaming it to .swap but
  // before the old segments were removed.
  std::vector<StoredRecord> survivors;
  for (size_t i = 0; i < per_segment[0].size(); i += 2) survivors.push_back(per_segment[0][i]);
  for (size_t i = 1; i < per_segment[1].size(); i += 2) survivors.push_back(per_segment[1][i]);
  if (survivors.back().offset != per_segment[1].back().offset) survivors.push_back(per_segment[1].back());
  WriteSegment(LogDir(), bases[0], kSwapSuffix, survivors);

  auto log = OpenLog(SmallConfig(400), /*clean=*/false, Offset(0));
  EXPECT_FALSE(AnyFileEndsWith(LogDir(), kSwapSuffix));
  EXPECT_FALSE(testing::FileExists(SegmentPath(bases[1], kLogSuffix)));
  EXPECT_FALSE(testing::FileExists(SegmentPath(bases[1], kIndexSuffix)));
  EXPECT_FALSE(testing::FileExists(SegmentPath(bases[1], kTimeIndexSuffix)));
  ASSERT_EQ(log->Segments().size(), bases.size() - 1);
  EXPECT_EQ(log->log_end_offset(), end);
  std::vector<StoredRecord> expected = survivors;
  for (size_t s = 2; s < per_segment.size(); ++s) {
    expected.insert(expected.end(), per_segment[s].begin(), per_segment[s].end());
  }
  EXPECT_EQ(ReadAll(*log), Presented(expected));
  // A read at a removed record continues at the next survivor.
  char buf[16];
  auto r = log->Read(Offset(per_segment[0][1].offset), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start, Offset(per_segment[0][2].offset));
}

TEST_F(LogLoaderTest, SwapOfOnlyALogFileCompletesWithoutLeavingSwapFiles) {
  std::vector<std::string> lines = NumberedLines(60);
  std::vector<Offset> bases;
  std::vector<Offset> offsets;
  {
    auto log = OpenLog(SmallConfig(400), false, Offset(0));
    offsets = AppendLines(*log, lines);
    for (const auto& s : log->Segments()) bases.push_back(s->base_offset());
    ASSERT_GE(bases.size(), 3u);
    ASSERT_TRUE(log->Close().ok());
  }
  // The cleaner's output reached .swap as a .log alone (its indexes are
  // caches it may not have written).
  size_t last_of_0 = static_cast<size_t>(std::find(offsets.begin(), offsets.end(), bases[1]) - offsets.begin()) - 1;
  WriteSegment(LogDir(), bases[0], kSwapSuffix, {{offsets[last_of_0].value, 1, std::nullopt, lines[last_of_0]}});
  ASSERT_EQ(::unlink(SegmentPath(bases[0], kIndexSuffix, kSwapSuffix).c_str()), 0);
  ASSERT_EQ(::unlink(SegmentPath(bases[0], kTimeIndexSuffix, kSwapSuffix).c_str()), 0);
  for (int reopen = 0; reopen < 2; ++reopen) {
    auto log = OpenLog(SmallConfig(400), /*clean=*/false, Offset(0));
    EXPECT_FALSE(AnyFileEndsWith(LogDir(), kSwapSuffix)) << reopen;
    EXPECT_EQ(log->Segments().size(), bases.size());
    EXPECT_EQ(ReadAll(*log), Joined(lines, last_of_0));
    EXPECT_TRUE(testing::FileExists(SegmentPath(bases[0], kIndexSuffix)));
    EXPECT_TRUE(testing::FileExists(SegmentPath(bases[0], kTimeIndexSuffix)));
    ASSERT_TRUE(log->Close().ok());
  }
}

TEST_F(LogLoaderTest, SwapAtOrAboveACleanedOffsetIsDeletedAndOldSegmentsKept) {
  std::vector<std::string> lines = NumberedLines(60);
  std::vector<Offset> bases;
  {
    auto log = OpenLog(SmallConfig(400), false, Offset(0));
    AppendLines(*log, lines);
    for (const auto& s : log->Segments()) bases.push_back(s->base_offset());
    ASSERT_GE(bases.size(), 3u);
    ASSERT_TRUE(log->Close().ok());
  }
  // A split was writing output: the first new segment reached .swap, the
  // second is still .cleaned, so the swap is at or above the .cleaned one.
  WriteSegment(LogDir(), bases[1], kSwapSuffix, {{bases[1].value, 1, std::nullopt, "only"}});
  WriteSegment(LogDir(), bases[1], kCleanedSuffix, {{bases[1].value, 1, std::nullopt, "half"}});
  auto log = OpenLog(SmallConfig(400), /*clean=*/false, Offset(0));
  EXPECT_FALSE(AnyFileEndsWith(LogDir(), kSwapSuffix));
  EXPECT_FALSE(AnyFileEndsWith(LogDir(), kCleanedSuffix));
  EXPECT_EQ(log->Segments().size(), bases.size());
  EXPECT_EQ(ReadAll(*log), Joined(lines));
}

TEST_F(LogLoaderTest, SwapBelowTheFirstCleanedOffsetStillCompletes) {
  std::vector<std::string> lines = NumberedLines(60);
  std::vector<Offset> bases;
  std::vector<Offset> offsets;
  {
    auto log = OpenLog(SmallConfig(400), false, Offset(0));
    offsets = AppendLines(*log, lines);
    for (const auto& s : log->Segments()) bases.push_back(s->base_offset());
    ASSERT_GE(bases.size(), 4u);
    ASSERT_TRUE(log->Close().ok());
  }
  // Segment 0 cleaned down to its last record and swapped; a later pass left
  // a .cleaned at segment 2.
  size_t last_of_0 = static_cast<size_t>(std::find(offsets.begin(), offsets.end(), bases[1]) - offsets.begin()) - 1;
  WriteSegment(LogDir(), bases[0], kSwapSuffix,
               {{offsets[last_of_0].value, 1, std::nullopt, lines[last_of_0]}});
  WriteSegment(LogDir(), bases[2], kCleanedSuffix, {{bases[2].value, 1, std::nullopt, "half"}});
  auto log = OpenLog(SmallConfig(400), /*clean=*/false, Offset(0));
  EXPECT_FALSE(AnyFileEndsWith(LogDir(), kSwapSuffix));
  EXPECT_FALSE(AnyFileEndsWith(LogDir(), kCleanedSuffix));
  EXPECT_EQ(log->Segments().size(), bases.size());
  EXPECT_EQ(ReadAll(*log), Joined(lines, last_of_0));
}

// Kafka deletes the segments after a tear, because its offsets must be
// consecutive. Byte positions may have gaps: the later segments were
// acknowledged, so they stay, and only the torn bytes go (to a side file).
TEST_F(LogLoaderTest, TornTailInAnEarlierSegmentCostsOnlyTheTornBytes) {
  std::vector<std::string> lines = NumberedLines(80);
  std::vector<Offset> bases;
  std::vector<Offset> offsets;
  Offset end;
  {
    auto log = OpenLog(SmallConfig(400), false, Offset(0));
    offsets = AppendLines(*log, lines);
    for (const auto& s : log->Segments()) bases.push_back(s->base_offset());
    ASSERT_GE(bases.size(), 4u);
    end = log->log_end_offset();
    // No Close: the process dies.
  }
  // Segment 1 lost the end of its last batch.
  std::string torn = SegmentPath(bases[1], kLogSuffix);
  const std::string torn_bytes = testing::ReadFile(torn);
  testing::TruncateFile(torn, testing::FileSize(torn) - 7);
  auto log = OpenLog(SmallConfig(400), /*clean=*/false, /*recovery_point=*/bases[1]);
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->Segments().size(), bases.size());
  // Everything but the torn batch (the last record of segment 1) survives.
  size_t first_of_2 = static_cast<size_t>(std::find(offsets.begin(), offsets.end(), bases[2]) - offsets.begin());
  std::vector<std::string> expected(lines.begin(), lines.begin() + static_cast<long>(first_of_2) - 1);
  expected.insert(expected.end(), lines.begin() + static_cast<long>(first_of_2), lines.end());
  std::string joined;
  for (const auto& l : expected) joined += l + "\n";
  EXPECT_EQ(ReadAll(*log), joined);
  EXPECT_EQ(log->log_end_offset(), end);
  // The cut bytes are kept beside the segment.
  bool kept = false;
  for (const auto& name : ListDir(LogDir())) {
    if (name.ends_with(kCorruptSuffix)) {
      kept = true;
      std::string side = testing::ReadFile(LogDir() + "/" + name);
      EXPECT_NE(torn_bytes.find(side), std::string::npos);
    }
  }
  EXPECT_TRUE(kept);
  // The log takes appends where it ended.
  auto appended = AppendLines(*log, {"after"});
  EXPECT_EQ(appended[0], end);
}

TEST_F(LogLoaderTest, RecoveryUnderASmallerIndexConfigStillLoadsEverything) {
  std::vector<std::string> lines = NumberedLines(300);
  std::vector<Offset> offsets;
  {
    auto log = OpenLog(SmallConfig(/*segment_bytes=*/1 << 20, /*index_interval_bytes=*/4096), false, Offset(0));
    offsets = AppendLines(*log, lines);
    ASSERT_EQ(log->Segments().size(), 1u);
  }
  // index.interval.bytes and segment.index.bytes were lowered before the
  // crash: rebuilding the index wants more entries than it now has room for.
  LogConfig smaller = SmallConfig(1 << 20, /*index_interval_bytes=*/1);
  smaller.segment_index_bytes = 64;
  auto log = OpenLog(smaller, /*clean=*/false, Offset(0));
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->log_end_offset(), offsets.back() + static_cast<int64_t>(lines.back().size() + 1));
  EXPECT_EQ(ReadAll(*log), Joined(lines));
  EXPECT_EQ(ReadAll(*log, offsets[250]), Joined(lines, 250));
  // Full indexes roll the next append into a new segment.
  AppendLines(*log, {"after"});
  EXPECT_EQ(log->Segments().size(), 2u);
  EXPECT_EQ(ReadAll(*log, offsets[299]), lines[299] + "\nafter\n");
}

TEST_F(LogLoaderTest, SegmentBelowTheRecoveryPointIsNotRecovered) {
  std::vector<std::string> lines = NumberedLines(80);
  std::vector<Offset> bases;
  {
    auto log = OpenLog(SmallConfig(400), false, Offset(0));
    AppendLines(*log, lines);
    for (const auto& s : log->Segments()) bases.push_back(s->base_offset());
    ASSERT_GE(bases.size(), 4u);
  }
  // A bad CRC in segment 0's first batch (its last one is read at every
  // open), which lies wholly below the recovery point: trusted as flushed,
  // so not validated (Kafka's floor rule).
  std::string first = SegmentPath(bases[0], kLogSuffix);
  const int64_t size = testing::FileSize(first);
  const int64_t value_at = static_cast<int64_t>(testing::ReadFile(first).find("record-0"));
  ASSERT_GT(value_at, 0);
  testing::PokeFile(first, value_at, "#");
  auto log = OpenLog(SmallConfig(400), /*clean=*/false, /*recovery_point=*/bases[2]);
  EXPECT_EQ(testing::FileSize(first), size);
  EXPECT_EQ(log->Segments().size(), bases.size());
}

}  // namespace
}  // namespace topicfs::store
