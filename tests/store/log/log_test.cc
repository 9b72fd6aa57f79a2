// Partition log behaviour: appends, offsets in the one coordinate, reads,
// roll, flush and reopen. (Kafka's UnifiedLogTest cases live here.)

#include "store/log/log.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/format/file_names.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;
using testing::TempDir;

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(const LogConfig& config, bool clean = false,
                               Offset recovery_point = Offset(0), FileIo* io = nullptr,
                               const std::string& dir_name = "t-0") {
    Log::Options o;
    o.dir = dir_ / dir_name;
    o.topic_partition = {"t", 0};
    o.config = config;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    o.recovery_point = recovery_point;
    if (io != nullptr) o.io = io;
    auto log = Log::Open(o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    if (!log.ok()) return nullptr;
    return std::move(log).value();
  }

  // Small segments need small indexes: the default preallocates 10 MiB each.
  static LogConfig SmallConfig(int32_t segment_bytes = 1 << 20) {
    LogConfig c;
    c.segment_bytes = segment_bytes;
    c.segment_index_bytes = 4096;
    c.index_interval_bytes = 64;
    return c;
  }

  static Result<AppendResult> Append(Log& log, std::vector<std::string_view> lines,
                                     std::vector<Offset>* offsets = nullptr) {
    return log.Append(lines, offsets);
  }

  // Appends each line in its own call, the clock moving `step_ms` before each.
  std::vector<Offset> AppendEach(Log& log, const std::vector<std::string>& lines, int64_t step_ms = 0) {
    std::vector<Offset> offsets;
    for (const auto& line : lines) {
      clock_.Advance(step_ms);
      std::string_view v = line;
      auto r = log.Append({&v, 1}, &offsets);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
    }
    return offsets;
  }

  static std::vector<std::string> Lines(int n, const std::string& prefix = "line-") {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
  }

  static std::string Joined(const std::vector<std::string>& lines, size_t from = 0) {
    std::string out;
    for (size_t i = from; i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
  }

  // The size of a one-record batch holding `value`, as Log::Append builds it.
  int64_t BatchSizeFor(std::string_view value) {
    BatchBuilder b;
    b.Reset(Offset(0), clock_.Now());
    b.Add(Offset(0), clock_.Now(), std::nullopt, value);
    return static_cast<int64_t>(b.Finish().size());
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogTest, LineOffsetsAreBytePositionsOfThePresentedFile) {
  auto log = OpenLog(LogConfig{});
  std::vector<std::string_view> lines = {"hello", "", "world!"};
  std::vector<Offset> offsets;
  auto r = log->Append(lines, &offsets);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(offsets, (std::vector<Offset>{Offset(0), Offset(6), Offset(7)}));
  EXPECT_EQ(r->end_offset, Offset(14));
  EXPECT_EQ(log->log_end_offset(), Offset(14));
  EXPECT_EQ(ReadAll(*log), "hello\n\nworld!\n");
  EXPECT_EQ(ReadAll(*log, Offset(8)), "orld!\n");
}

TEST_F(LogTest, ReadsCrossSegmentsAndSurviveCleanReopen) {
  LogConfig config;
  config.segment_bytes = 300;
  config.index_interval_bytes = 50;
  std::string expected;
  {
    auto log = OpenLog(config);
    for (int i = 0; i < 200; ++i) {
      std::string line = "line-" + std::to_string(i);
      std::string_view v = line;
      ASSERT_TRUE(log->Append({&v, 1}).ok());
      expected += line + "\n";
    }
    EXPECT_GT(log->Segments().size(), 5u);
    EXPECT_EQ(ReadAll(*log), expected);
    Status closed = log->Close();
    ASSERT_TRUE(closed.ok()) << closed.ToString();
  }
  auto log = OpenLog(config, /*clean=*/true);
  EXPECT_EQ(log->log_end_offset(), Offset(static_cast<int64_t>(expected.size())));
  EXPECT_EQ(ReadAll(*log), expected);
  for (int64_t at : {1, 17, 500, 1000}) EXPECT_EQ(ReadAll(*log, Offset(at)), expected.substr(at));
  auto unclean = OpenLog(config, /*clean=*/false);
}

TEST_F(LogTest, ReadAtEveryOffsetReturnsTheFileFromThere) {
  LogConfig config = SmallConfig(/*segment_bytes=*/300);
  config.index_interval_bytes = 20;
  auto log = OpenLog(config);
  std::mt19937_64 rng(5);
  std::string model;
  for (int call = 0; call < 60; ++call) {
    std::vector<std::string> lines;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n; ++i) {
      lines.push_back(std::string(rng() % 12, static_cast<char>('a' + call % 26)));
      model += lines.back() + "\n";
    }
    std::vector<std::string_view> views(lines.begin(), lines.end());
    ASSERT_TRUE(log->Append(views).ok());
  }
  ASSERT_GT(log->Segments().size(), 5u);
  char buf[64];
  for (size_t at = 0; at <= model.size(); ++at) {
    auto r = log->Read(Offset(static_cast<int64_t>(at)), buf, sizeof(buf));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    std::string expected = model.substr(at, sizeof(buf));
    ASSERT_EQ(std::string(buf, static_cast<size_t>(r->bytes)), expected) << "at " << at;
    if (r->bytes > 0) {
      EXPECT_EQ(r->start, Offset(static_cast<int64_t>(at)));
      EXPECT_EQ(r->next, Offset(static_cast<int64_t>(at + expected.size())));
    }
  }
}

TEST_F(LogTest, ReadAtOrBeyondTheEndReturnsNothing) {
  auto log = OpenLog(SmallConfig());
  char buf[16];
  auto r = log->Read(Offset(0), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->bytes, 0);
  AppendEach(*log, {"abc"});
  for (int64_t at : {4, 5, 1000}) {
    r = log->Read(Offset(at), buf, sizeof(buf));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->bytes, 0) << at;
  }
}

TEST_F(LogTest, AppendAfterCloseIsRefused) {
  auto log = OpenLog(SmallConfig());
  AppendEach(*log, {"abc"}, 5);
  Status closed = log->Close();
  ASSERT_TRUE(closed.ok()) << closed.ToString();
  auto r = Append(*log, {"x"});
  EXPECT_EQ(r.status().code(), Code::kFenced);
  EXPECT_EQ(log->log_end_offset(), Offset(4));
}

// ---- Roll (Kafka's UnifiedLogTest) ----

TEST_F(LogTest, SizeBasedRollPutsTenBatchesInEachSegment) {
  const int64_t batch = BatchSizeFor("test");
  auto log = OpenLog(SmallConfig(static_cast<int32_t>(10 * batch)));
  EXPECT_EQ(log->Segments().size(), 1u);
  std::vector<std::string> lines(10, "test");
  AppendEach(*log, lines);
  EXPECT_EQ(log->Segments().size(), 1u);
  EXPECT_EQ(log->Segments().back()->size(), 10 * batch);
  AppendEach(*log, {"test"});
  ASSERT_EQ(log->Segments().size(), 2u);
  EXPECT_EQ(log->Segments().back()->base_offset(), Offset(10 * 5));
  AppendEach(*log, std::vector<std::string>(10, "test"));
  EXPECT_EQ(log->Segments().size(), 3u);
  EXPECT_EQ(ReadAll(*log), Joined(std::vector<std::string>(21, "test")));
}

TEST_F(LogTest, SizeBasedRollOneByteShortHoldsNineBatches) {
  const int64_t batch = BatchSizeFor("test");
  auto log = OpenLog(SmallConfig(static_cast<int32_t>(10 * batch - 1)));
  AppendEach(*log, std::vector<std::string>(10, "test"));
  ASSERT_EQ(log->Segments().size(), 2u);
  EXPECT_EQ(log->Segments().front()->size(), 9 * batch);
}

TEST_F(LogTest, TimeBasedRollFollowsRecordTimestamps) {
  LogConfig config = SmallConfig();
  config.segment_ms = 1000;
  auto log = OpenLog(config);
  // No roll into an empty segment, however old it is.
  clock_.Advance(config.segment_ms + 1);
  AppendEach(*log, {"a"});
  EXPECT_EQ(log->Segments().size(), 1u);
  // Record time since the segment's first batch, not the wall clock.
  AppendEach(*log, {"b"});
  EXPECT_EQ(log->Segments().size(), 1u);
  AppendEach(*log, {"c"}, /*step_ms=*/1000);
  EXPECT_EQ(log->Segments().size(), 1u);
  AppendEach(*log, {"d"}, /*step_ms=*/1);
  ASSERT_EQ(log->Segments().size(), 2u);
  EXPECT_EQ(log->Segments().back()->base_offset(), Offset(6));
  for (size_t expected = 3; expected < 5; ++expected) {
    AppendEach(*log, {"e"}, config.segment_ms + 1);
    EXPECT_EQ(log->Segments().size(), expected);
  }
  // An empty append never rolls, and appends nothing.
  clock_.Advance(config.segment_ms + 1);
  const Offset end = log->log_end_offset();
  auto r = Append(*log, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->records, 0);
  EXPECT_EQ(log->Segments().size(), 4u);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(ReadAll(*log), "a\nb\nc\nd\ne\ne\n");
}

TEST_F(LogTest, TimeBasedRollSurvivesReopen) {
  LogConfig config = SmallConfig();
  config.segment_ms = 1000;
  {
    auto log = OpenLog(config);
    AppendEach(*log, {"first"});
    ASSERT_TRUE(log->Close().ok());
  }
  auto log = OpenLog(config, /*clean=*/true);
  AppendEach(*log, {"second"}, /*step_ms=*/1000);
  EXPECT_EQ(log->Segments().size(), 1u);
  AppendEach(*log, {"third"}, /*step_ms=*/1);
  EXPECT_EQ(log->Segments().size(), 2u);
}

TEST_F(LogTest, RollOfAnEmptyActiveSegmentIsANoOp) {
  auto log = OpenLog(SmallConfig());
  ASSERT_TRUE(log->Roll().ok());
  EXPECT_EQ(log->Segments().size(), 1u);
  AppendEach(*log, {"x"});
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_EQ(log->Segments().size(), 2u);
  EXPECT_EQ(log->Segments().back()->base_offset(), Offset(2));
  ASSERT_TRUE(log->Roll().ok());
  EXPECT_EQ(log->Segments().size(), 2u);
}

TEST_F(LogTest, TinyIndexesStillTakeAppends) {
  // segment.index.bytes may be as low as 4: no time index slot at all.
  for (int32_t index_bytes : {4, 8, 12, 24}) {
    SCOPED_TRACE("segment.index.bytes " + std::to_string(index_bytes));
    testing::TempDir dir;
    Log::Options o;
    o.dir = dir / "t-0";
    o.topic_partition = {"t", 0};
    o.config.segment_index_bytes = index_bytes;
    o.config.index_interval_bytes = 0;
    o.clock = &clock_;
    auto opened = Log::Open(o);
    ASSERT_TRUE(opened.ok());
    Log& log = **opened;
    std::vector<std::string> lines = Lines(10);
    AppendEach(log, lines, 1);
    EXPECT_EQ(ReadAll(log), Joined(lines));
    ASSERT_TRUE(log.Close().ok());
    o.had_clean_shutdown = true;
    auto reopened = Log::Open(o);
    ASSERT_TRUE(reopened.ok());
    EXPECT_EQ(ReadAll(**reopened), Joined(lines));
  }
}

// ---- Message size, keys, compaction ----

TEST_F(LogTest, LineOverMaxMessageBytesIsRefusedAndNothingOfTheWriteLands) {
  LogConfig config = SmallConfig();
  config.max_message_bytes = 200;
  auto log = OpenLog(config);
  AppendEach(*log, {"before"});
  const Offset end = log->log_end_offset();
  const int64_t size = log->Segments().back()->size();
  std::string big(300, 'x');
  auto r = Append(*log, {"ok", big, "fine"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRecordTooLarge) << r.status().ToString();
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(log->Segments().back()->size(), size);
  EXPECT_EQ(ReadAll(*log), "before\n");
  // The log is not fenced by a refused line.
  AppendEach(*log, {"after"});
  EXPECT_EQ(ReadAll(*log), "before\nafter\n");
}

TEST_F(LogTest, LineMakingABatchOfExactlyMaxMessageBytesIsAccepted) {
  LogConfig config = SmallConfig();
  config.max_message_bytes = 300;
  std::string value;
  while (BatchSizeFor(value) < config.max_message_bytes) value += 'v';
  ASSERT_EQ(BatchSizeFor(value), config.max_message_bytes);
  auto log = OpenLog(config);
  auto r = Append(*log, {value});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::string over = value + "v";
  r = Append(*log, {over});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRecordTooLarge);
  EXPECT_EQ(ReadAll(*log), value + "\n");
}

TEST_F(LogTest, LineLargerThanSegmentBytesIsRefused) {
  LogConfig config = SmallConfig(/*segment_bytes=*/200);
  auto log = OpenLog(config);
  std::string big(250, 'x');
  auto r = Append(*log, {big});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRecordTooLarge);
  EXPECT_EQ(log->log_end_offset(), Offset(0));
}

TEST_F(LogTest, OneAppendOverMaxMessageBytesMakesSeveralBatchesNoneOverTheLimit) {
  LogConfig config = SmallConfig();
  config.max_message_bytes = 300;
  auto log = OpenLog(config);
  std::vector<std::string> lines;
  for (int i = 0; i < 30; ++i) lines.push_back(std::string(40, static_cast<char>('a' + i % 26)));
  std::vector<std::string_view> views(lines.begin(), lines.end());
  std::vector<Offset> offsets;
  auto r = log->Append(views, &offsets);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->records, 30);
  EXPECT_GT(r->batches, 4);
  EXPECT_EQ(r->first_offset, Offset(0));
  EXPECT_EQ(r->end_offset, Offset(30 * 41));
  for (int i = 0; i < 30; ++i) EXPECT_EQ(offsets[static_cast<size_t>(i)], Offset(41 * i));
  auto batches = log->Segments().back()->Batches();
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(static_cast<int64_t>(batches->size()), r->batches);
  int64_t records = 0;
  for (const auto& b : *batches) {
    EXPECT_LE(b.size, config.max_message_bytes);
    records += b.records;
  }
  EXPECT_EQ(records, 30);
  EXPECT_EQ(ReadAll(*log), Joined(lines));
}

// The batches of one append go into one segment (rolling first if they do
// not fit the active one), so that they are written, published and
// recovered together.
TEST_F(LogTest, OneAppendsBatchesGoIntoOneSegmentAfterARoll) {
  LogConfig config = SmallConfig(/*segment_bytes=*/400);
  config.max_message_bytes = 250;
  auto log = OpenLog(config);
  AppendEach(*log, {std::string(150, 'a')});
  std::vector<std::string> lines;
  for (int i = 0; i < 40; ++i) lines.push_back("line-" + std::to_string(i) + std::string(20, 'q'));
  std::vector<std::string_view> views(lines.begin(), lines.end());
  std::vector<Offset> offsets;
  auto r = log->Append(views, &offsets);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_GT(r->batches, 3);
  ASSERT_EQ(log->Segments().size(), 2u);
  auto batches = log->Segments().back()->Batches();
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(static_cast<int64_t>(batches->size()), r->batches);
  EXPECT_EQ(log->Segments().back()->base_offset(), offsets[0]);
  EXPECT_EQ(ReadAll(*log), std::string(150, 'a') + "\n" + Joined(lines));
  for (size_t i = 0; i < lines.size(); i += 7) EXPECT_EQ(ReadAll(*log, offsets[i]), Joined(lines, i));
}

// Records of keyed lines stored before lines were split (the whole line as
// the value, no separator header) read back as they were written.
TEST_F(LogTest, KeyedLinesStoredWholeStillReadAsWritten) {
  auto log = OpenLog(SmallConfig());
  std::vector<KeyValue> old = {{std::string_view("k1"), std::string_view("k1:v1")},
                               {std::string_view("k2"), std::string_view("k2:v2")}};
  ASSERT_TRUE(log->AppendRecords(old).ok());
  EXPECT_EQ(ReadAll(*log), "k1:v1\nk2:v2\n");
}

TEST_F(LogTest, KeySeparatorStoresKeysAndTombstones) {
  LogConfig config = SmallConfig();
  config.key_separator = ":";
  auto log = OpenLog(config);
  std::vector<std::string> lines = {"user1:hello", "user2:", "nokey", ":empty-key", "a:b:c"};
  std::vector<std::string_view> views(lines.begin(), lines.end());
  ASSERT_TRUE(log->Append(views).ok());
  EXPECT_EQ(ReadAll(*log), Joined(lines));
  struct Seen {
    std::optional<std::string> key, value;
  };
  std::vector<Seen> seen;
  auto segment = log->Segments().back();
  auto batches = segment->Batches();
  ASSERT_TRUE(batches.ok());
  for (const auto& b : *batches) {
    ASSERT_TRUE(segment->ForEachRecord(b, [&](const RecordView& r) {
                   Seen s;
                   if (r.key) s.key = std::string(*r.key);
                   if (r.value) s.value = std::string(*r.value);
                   seen.push_back(s);
                 }).ok());
  }
  ASSERT_EQ(seen.size(), 5u);
  EXPECT_EQ(seen[0].key, "user1");
  EXPECT_EQ(seen[0].value, "hello");  // as Kafka's console producer with parse.key=true
  EXPECT_EQ(seen[1].key, "user2");
  EXPECT_EQ(seen[1].value, std::nullopt);  // tombstone
  EXPECT_EQ(seen[2].key, std::nullopt);
  EXPECT_EQ(seen[2].value, "nokey");
  EXPECT_EQ(seen[3].key, "");
  EXPECT_EQ(seen[4].key, "a");
  EXPECT_EQ(seen[4].value, "b:c");
  EXPECT_EQ(seen[3].value, "empty-key");
  // The tombstone reads back as what was written, mid-record too.
  char buf[16];
  auto r = log->Read(Offset(12), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, 7), "user2:\n");
  r = log->Read(Offset(16), buf, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, static_cast<size_t>(r->bytes)), "2:\n");
}

TEST_F(LogTest, MultiCharacterSeparatorTombstoneReadsBackAsWritten) {
  LogConfig config = SmallConfig();
  config.key_separator = "=>";
  auto log = OpenLog(config);
  ASSERT_TRUE(Append(*log, {"k=>v", "k=>", "x=>y"}).ok());
  EXPECT_EQ(ReadAll(*log), "k=>v\nk=>\nx=>y\n");
  const std::string expected = "k=>v\nk=>\nx=>y\n";
  EXPECT_EQ(log->log_end_offset(), Offset(static_cast<int64_t>(expected.size())));
  for (size_t at = 0; at <= expected.size(); ++at) {
    EXPECT_EQ(ReadAll(*log, Offset(static_cast<int64_t>(at))), expected.substr(at)) << at;
  }
}

TEST_F(LogTest, CompactedTopicWithoutKeySeparatorRefusesLines) {
  LogConfig config = SmallConfig();
  config.cleanup_compact = true;
  auto log = OpenLog(config);
  auto r = Append(*log, {"k:v"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "compacted topic needs key.separator");
  EXPECT_EQ(log->log_end_offset(), Offset(0));
}

TEST_F(LogTest, CompactedTopicRefusesTheWholeWriteIfOneLineHasNoKey) {
  LogConfig config = SmallConfig();
  config.cleanup_compact = true;
  config.key_separator = ":";
  auto log = OpenLog(config);
  ASSERT_TRUE(Append(*log, {"k:v"}).ok());
  auto r = Append(*log, {"a:1", "no key here", "b:2"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->log_end_offset(), Offset(4));
  EXPECT_EQ(ReadAll(*log), "k:v\n");
}

// ---- Flush and durability ----

TEST_F(LogTest, FlushMessagesFlushesAfterThatManyRecords) {
  LogConfig config = SmallConfig();
  config.flush_messages = 3;
  auto log = OpenLog(config);
  ASSERT_TRUE(Append(*log, {"a", "b"}).ok());
  EXPECT_EQ(log->recovery_point(), Offset(0));
  ASSERT_TRUE(Append(*log, {"c"}).ok());
  EXPECT_EQ(log->recovery_point(), Offset(6));
  ASSERT_TRUE(Append(*log, {"d"}).ok());
  EXPECT_EQ(log->recovery_point(), Offset(6));
  ASSERT_TRUE(Append(*log, {"e", "f"}).ok());
  EXPECT_EQ(log->recovery_point(), Offset(12));
}

TEST_F(LogTest, FlushMsFlushesWhenDue) {
  LogConfig config = SmallConfig();
  config.flush_ms = 1000;
  auto log = OpenLog(config);
  ASSERT_TRUE(Append(*log, {"a"}).ok());
  ASSERT_TRUE(log->FlushIfDue().ok());
  EXPECT_EQ(log->recovery_point(), Offset(0));
  clock_.Advance(999);
  ASSERT_TRUE(log->FlushIfDue().ok());
  EXPECT_EQ(log->recovery_point(), Offset(0));
  clock_.Advance(1);
  ASSERT_TRUE(log->FlushIfDue().ok());
  EXPECT_EQ(log->recovery_point(), Offset(2));
  ASSERT_TRUE(Append(*log, {"b"}).ok());
  clock_.Advance(500);
  ASSERT_TRUE(log->FlushIfDue().ok());
  EXPECT_EQ(log->recovery_point(), Offset(2));
  clock_.Advance(500);
  ASSERT_TRUE(log->FlushIfDue().ok());
  EXPECT_EQ(log->recovery_point(), Offset(4));
}

TEST_F(LogTest, FlushSyncsEverySegmentSinceTheRecoveryPoint) {
  FaultInjectingFileIo io;
  auto log = OpenLog(SmallConfig(300), false, Offset(0), &io);
  AppendEach(*log, Lines(40));
  ASSERT_GT(log->Segments().size(), 3u);
  const int64_t before = io.syncs();
  ASSERT_TRUE(log->Flush().ok());
  // .log, .index and .timeindex of every segment.
  EXPECT_GE(io.syncs() - before, static_cast<int64_t>(3 * log->Segments().size()));
  EXPECT_EQ(log->recovery_point(), log->log_end_offset());
  const int64_t again = io.syncs();
  ASSERT_TRUE(log->Flush().ok());
  EXPECT_LE(io.syncs() - again, 3);  // only the active segment
}

TEST_F(LogTest, SegmentsBelowARollAreFlushedByTheNextScheduledFlush) {
  // Kafka flushes the segments below a new one soon after the roll, so the
  // recovery point follows the rolls even with flush.ms and flush.messages
  // at their defaults (never).
  FaultInjectingFileIo io;
  auto log = OpenLog(SmallConfig(300), false, Offset(0), &io);
  AppendEach(*log, Lines(30));
  const auto segments = log->Segments();
  ASSERT_GT(segments.size(), 3u);
  EXPECT_EQ(Offset(0), log->recovery_point());
  const int64_t before = io.syncs();
  ASSERT_TRUE(log->FlushIfDue().ok());
  EXPECT_EQ(segments.back()->base_offset(), log->recovery_point());
  // .log, .index and .timeindex of each inactive segment; not the active one.
  const int64_t inactive = static_cast<int64_t>(segments.size()) - 1;
  EXPECT_GE(io.syncs() - before, 3 * inactive);
  EXPECT_LT(io.syncs() - before, 3 * inactive + 3);
  // Nothing new below a roll, and flush.ms not due: nothing to sync.
  const int64_t after = io.syncs();
  AppendEach(*log, {"x"});
  ASSERT_TRUE(log->FlushIfDue().ok());
  EXPECT_EQ(after, io.syncs());
  EXPECT_EQ(segments.back()->base_offset(), log->recovery_point());
}

TEST_F(LogTest, IndexWriteFailingAfterTheBatchsLeavesNoTraceOfTheAppend) {
  // On a full disk the batch's write can succeed (its blocks were reserved)
  // and the index entry's fail: the append must fail whole, unseen.
  FaultInjectingFileIo io;
  std::vector<std::string> lines = Lines(30);
  {
    auto log = OpenLog(SmallConfig(), false, Offset(0), &io);
    AppendEach(*log, lines);
    const Offset end = log->log_end_offset();
    const auto active = log->Segments().back();
    const int64_t active_size = active->size();
    const int entries = active->offset_index().entries();
    // 100 bytes since the last entry (interval 64): this batch gets one.
    io.FailWriteAfter(1, ENOSPC);
    auto r = Append(*log, {std::string(100, 'd')});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().sys_errno(), ENOSPC) << r.status().ToString();
    EXPECT_EQ(log->log_end_offset(), end);
    EXPECT_EQ(active->size(), active_size);
    EXPECT_EQ(testing::FileSize(active->log_path()), active_size);
    EXPECT_EQ(active->offset_index().entries(), entries);
    EXPECT_EQ(ReadAll(*log), Joined(lines));
  }
  auto log = OpenLog(SmallConfig(), /*clean=*/false, Offset(0), &io);
  EXPECT_EQ(ReadAll(*log), Joined(lines));
  AppendEach(*log, {"again"});
  EXPECT_EQ(ReadAll(*log), Joined(lines) + "again\n");
}

TEST_F(LogTest, WriteFailingWithEnospcFencesTheLogAndLosesNothingEarlier) {
  FaultInjectingFileIo io;
  std::vector<std::string> lines = Lines(30);
  {
    auto log = OpenLog(SmallConfig(300), false, Offset(0), &io);
    AppendEach(*log, lines);
    const Offset end = log->log_end_offset();
    const int64_t active_size = log->Segments().back()->size();
    io.FailWriteAfter(0, ENOSPC);
    auto r = Append(*log, {"doomed"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().sys_errno(), ENOSPC) << r.status().ToString();
    EXPECT_TRUE(log->fenced());
    EXPECT_EQ(log->log_end_offset(), end);
    EXPECT_EQ(log->Segments().back()->size(), active_size);
    EXPECT_EQ(testing::FileSize(log->Segments().back()->log_path()), active_size);
    EXPECT_EQ(ReadAll(*log), Joined(lines));
    r = Append(*log, {"later"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kFenced);
    EXPECT_EQ(log->log_end_offset(), end);
    EXPECT_EQ(ReadAll(*log), Joined(lines));
    EXPECT_EQ(log->Flush().code(), Code::kFenced);
  }
  auto log = OpenLog(SmallConfig(300), /*clean=*/false, Offset(0), &io);
  EXPECT_FALSE(log->fenced());
  EXPECT_EQ(ReadAll(*log), Joined(lines));
  AppendEach(*log, {"again"});
  EXPECT_EQ(ReadAll(*log), Joined(lines) + "again\n");
}

TEST_F(LogTest, WriteFailingInAnyBatchOfAnAppendKeepsNone) {
  for (int successes : {0, 1}) {
    SCOPED_TRACE("failing write " + std::to_string(successes));
    FaultInjectingFileIo io;
    LogConfig config = SmallConfig();
    config.max_message_bytes = 150;
    auto log = OpenLog(config, false, Offset(0), &io, "t-" + std::to_string(successes));
    ASSERT_NE(log, nullptr);
    AppendEach(*log, {"before"});
    std::vector<std::string> lines(6, std::string(40, 'z'));
    std::vector<std::string_view> views(lines.begin(), lines.end());
    io.FailWriteAfter(successes, EIO);
    auto r = log->Append(views);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().sys_errno(), EIO);
    // Nothing of it: not in the log end, not in reads, not on disk.
    EXPECT_EQ(log->log_end_offset(), Offset(7));
    EXPECT_EQ(ReadAll(*log), "before\n");
    EXPECT_EQ(testing::FileSize(log->Segments().back()->log_path()), log->Segments().back()->size());
    EXPECT_TRUE(log->fenced());
  }
}

// A process killed between the writes of a multi-batch append leaves a
// hole where the first batch goes: recovery reads it as the end, so none
// of the append's batches comes back.
TEST_F(LogTest, AKilledMultiBatchAppendIsRecoveredAsNone) {
  LogConfig config = SmallConfig();
  config.max_message_bytes = 150;
  auto log = OpenLog(config);
  AppendEach(*log, {"before"});
  const std::string path = log->Segments().back()->log_path();
  const int64_t end = log->Segments().back()->size();
  log.reset();
  // What LogFile::Write writes first: the batches after the first.
  BatchBuilder builder;
  std::string rest;
  int64_t offset = 7 + 41 * 3;
  for (int b = 0; b < 2; ++b) {
    builder.Reset(Offset(offset), Timestamp(1));
    for (int i = 0; i < 3; ++i, offset += 41) builder.Add(Offset(offset), Timestamp(1), std::nullopt, std::string(40, 'z'));
    rest += builder.Finish();
  }
  testing::PokeFile(path, end + 300, rest);  // a hole where the first batch would be
  auto reopened = OpenLog(config, /*clean=*/false);
  EXPECT_EQ(ReadAll(*reopened), "before\n");
  EXPECT_EQ(reopened->log_end_offset(), Offset(7));
}

TEST_F(LogTest, FsyncFailureOnFlushFencesTheLog) {
  FaultInjectingFileIo io;
  auto log = OpenLog(SmallConfig(), false, Offset(0), &io);
  AppendEach(*log, Lines(5));
  io.FailSyncAfter(0, EIO);
  Status s = log->Flush();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.sys_errno(), EIO) << s.ToString();
  EXPECT_TRUE(log->fenced());
  EXPECT_EQ(log->recovery_point(), Offset(0));
  auto r = Append(*log, {"x"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFenced);
  EXPECT_EQ(ReadAll(*log), Joined(Lines(5)));
}

// ---- Lookups and figures ----

TEST_F(LogTest, OffsetForTimestampAcrossSegments) {
  auto log = OpenLog(SmallConfig(300));
  const int64_t t0 = clock_.Now().value;
  std::vector<std::string> lines = Lines(60);
  std::vector<Offset> offsets = AppendEach(*log, lines, /*step_ms=*/10);
  ASSERT_GT(log->Segments().size(), 4u);
  auto find = [&](int64_t ts) {
    auto r = log->OffsetForTimestamp(Timestamp(ts));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    const int64_t ts = t0 + 10 * static_cast<int64_t>(i + 1);
    EXPECT_EQ(find(ts), offsets[i]) << i;
    EXPECT_EQ(find(ts - 9), offsets[i]) << i;
    if (i + 1 < lines.size()) {
      EXPECT_EQ(find(ts + 1), offsets[i + 1]) << i;
    }
  }
  EXPECT_EQ(find(t0 - 1000), Offset(0));
  EXPECT_EQ(find(t0 + 10 * 61), std::nullopt);
}

TEST_F(LogTest, OffsetOfNthRecordFromEnd) {
  LogConfig config = SmallConfig(400);
  config.index_interval_bytes = 1;
  auto log = OpenLog(config);
  std::vector<Offset> offsets;
  // Batches of 1..4 records, so the n-th record is sometimes mid-batch.
  std::vector<std::string> all;
  for (int i = 0; i < 60; ++i) {
    std::vector<std::string> lines;
    for (int j = 0; j <= i % 4; ++j) lines.push_back("r" + std::to_string(all.size() + lines.size()));
    std::vector<std::string_view> views(lines.begin(), lines.end());
    ASSERT_TRUE(log->Append(views, &offsets).ok());
    all.insert(all.end(), lines.begin(), lines.end());
  }
  ASSERT_GT(log->Segments().size(), 3u);
  const int64_t n_records = static_cast<int64_t>(offsets.size());
  for (int64_t n = 1; n <= n_records; ++n) {
    auto r = log->OffsetOfNthRecordFromEnd(n);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, offsets[static_cast<size_t>(n_records - n)]) << n;
  }
  for (int64_t n : {n_records + 1, n_records + 100}) {
    auto r = log->OffsetOfNthRecordFromEnd(n);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, log->log_start_offset());
  }
}

TEST_F(LogTest, FirstRecordAtOrAfterMovesInsideRecordsToTheNextOne) {
  LogConfig config = SmallConfig(300);
  config.index_interval_bytes = 1;
  auto log = OpenLog(config);
  std::vector<std::string> lines = Lines(60);
  std::vector<Offset> offsets = AppendEach(*log, lines);
  ASSERT_GT(log->Segments().size(), 3u);
  auto first = [&](int64_t at) {
    auto r = log->FirstRecordAtOrAfter(Offset(at));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->value : -1;
  };
  for (size_t i = 0; i < offsets.size(); ++i) {
    EXPECT_EQ(first(offsets[i].value), offsets[i].value) << i;
    const int64_t next = i + 1 < offsets.size() ? offsets[i + 1].value : log->log_end_offset().value;
    EXPECT_EQ(first(offsets[i].value + 1), next) << i;
  }
  EXPECT_EQ(first(log->log_end_offset().value + 100), log->log_end_offset().value);
}

TEST_F(LogTest, FiguresCountRecordsSegmentsAndBytes) {
  auto log = OpenLog(SmallConfig(300));
  LogFigures empty = log->Figures();
  EXPECT_EQ(empty.records, 0);
  EXPECT_EQ(empty.segments, 1);
  EXPECT_EQ(empty.size_bytes, 0);
  std::vector<std::string> lines = Lines(50);
  AppendEach(*log, lines);
  ASSERT_TRUE(Append(*log, {"x", "y", "z"}).ok());
  LogFigures f = log->Figures();
  EXPECT_EQ(f.records, 53);
  EXPECT_EQ(f.segments, static_cast<int64_t>(log->Segments().size()));
  int64_t bytes = 0;
  for (const auto& s : log->Segments()) bytes += testing::FileSize(s->log_path());
  EXPECT_EQ(f.size_bytes, bytes);
  EXPECT_EQ(f.log_start_offset, Offset(0));
  EXPECT_EQ(f.log_end_offset, Offset(static_cast<int64_t>(Joined(lines).size()) + 6));
  EXPECT_EQ(f.recovery_point, Offset(0));
  ASSERT_TRUE(log->Close().ok());
  auto reopened = OpenLog(SmallConfig(300), /*clean=*/true);
  LogFigures g = reopened->Figures();
  EXPECT_EQ(g.records, 53);
  EXPECT_EQ(g.segments, f.segments);
  EXPECT_EQ(g.size_bytes, f.size_bytes);
  EXPECT_EQ(g.log_end_offset, f.log_end_offset);
  EXPECT_EQ(g.recovery_point, f.log_end_offset);
}

// ---- Concurrency ----

// Uncompressed and compressed: readers of a compressed log share the
// inflated twins of its batches (store/log/inflated_batch_cache.h).
class LogConcurrencyTest : public LogTest, public ::testing::WithParamInterface<CompressionType> {};

TEST_P(LogConcurrencyTest, ConcurrentReadersSeeExactlyTheAppendedBytes) {
  std::mt19937_64 rng(1234);
  // The whole partition file, decided up front: each append call takes the
  // next 1..5 lines.
  std::vector<std::vector<std::string>> calls;
  std::string model;
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> lines;
    const int n = 1 + static_cast<int>(rng() % 5);
    for (int j = 0; j < n; ++j) {
      std::string line(rng() % 60, ' ');
      for (auto& c : line) c = static_cast<char>('a' + rng() % 26);
      lines.push_back(line);
      model += line + "\n";
    }
    calls.push_back(std::move(lines));
  }
  LogConfig config = SmallConfig(4096);
  config.index_interval_bytes = 128;
  config.compression_type = GetParam();
  auto log = OpenLog(config);
  std::atomic<bool> done{false};
  std::atomic<int64_t> reads{0};
  std::atomic<int64_t> failures{0};

  auto reader = [&](uint64_t seed) {
    std::mt19937_64 r(seed);
    std::vector<char> buf(512);
    while (!done.load()) {
      const int64_t end = log->log_end_offset().value;
      const int64_t at = end == 0 ? 0 : static_cast<int64_t>(r() % static_cast<uint64_t>(end + 1));
      const int64_t max = 1 + static_cast<int64_t>(r() % buf.size());
      auto got = log->Read(Offset(at), buf.data(), max);
      reads.fetch_add(1);
      if (!got.ok()) {
        ADD_FAILURE() << got.status().ToString();
        failures.fetch_add(1);
        return;
      }
      bool good = got->next - got->start == got->bytes && got->next.value <= static_cast<int64_t>(model.size());
      if (got->bytes > 0) {
        good = good && got->start == Offset(at) &&
               std::string_view(buf.data(), static_cast<size_t>(got->bytes)) ==
                   std::string_view(model).substr(static_cast<size_t>(got->start.value),
                                                  static_cast<size_t>(got->bytes));
      } else {
        good = good && at >= end;
      }
      if (!good) {
        ADD_FAILURE() << "read at " << at << " max " << max << " got [" << got->start.value << ", "
                      << got->next.value << ") " << got->bytes << " bytes";
        for (const auto& seg : log->Segments()) {
          ADD_FAILURE() << "segment " << seg->base_offset().value << " size " << seg->size() << " next "
                        << seg->next_offset().value << " oi " << seg->offset_index().entries() << " first "
                        << (seg->offset_index().entries() > 0 ? seg->offset_index().EntryAt(0).offset.value : -1);
          auto again = seg->Read(Offset(at), buf.data(), max);
          ADD_FAILURE() << "  again: " << (again.ok() ? again->bytes : -1) << " start " << (again.ok() ? again->start.value : -1);
        }
        failures.fetch_add(1);
        return;
      }
    }
  };
  std::vector<std::thread> readers;
  for (uint64_t i = 0; i < 3; ++i) readers.emplace_back(reader, 100 + i);
  // Bounded in time too, so sanitizer builds stay quick.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::thread appender([&] {
    for (const auto& lines : calls) {
      if (std::chrono::steady_clock::now() > deadline) break;
      std::vector<std::string_view> views(lines.begin(), lines.end());
      auto r = log->Append(views);
      if (!r.ok()) {
        ADD_FAILURE() << r.status().ToString();
        break;
      }
      if (failures.load() > 0) break;
    }
    done = true;
  });
  appender.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(reads.load(), 100);
  EXPECT_GT(log->Segments().size(), 2u);
  const int64_t end = log->log_end_offset().value;
  ASSERT_LE(end, static_cast<int64_t>(model.size()));
  EXPECT_TRUE(ReadAll(*log) == model.substr(0, static_cast<size_t>(end)));
}

INSTANTIATE_TEST_SUITE_P(Codecs, LogConcurrencyTest,
                         ::testing::Values(CompressionType::kProducer, CompressionType::kLz4,
                                           CompressionType::kZstd));

}  // namespace
}  // namespace topicfs::store
