// Retention through the partition log: whole old segments go by time or
// size, the log start moves, positions and the log end never move, files
// are renamed .deleted and removed after file.delete.delay.ms.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "store/format/file_names.h"
#include "store/log/log.h"
#include "store/base/scheduler.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadAll;

class LogRetentionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> Open(LogConfig config) {
    Log::Options o;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = config;
    o.clock = &clock_;
    o.scheduler = &scheduler_;
    auto log = Log::Open(o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(log).value();
  }
  static LogConfig SmallSegments() {
    LogConfig c;
    c.segment_bytes = 400;
    c.segment_index_bytes = 4096;
    c.file_delete_delay_ms = 0;
    return c;
  }
  std::string Append(Log& log, int from, int to) {
    std::string written;
    for (int i = from; i < to; ++i) {
      std::string line = fmt::format("record-{:04}", i);
      std::string_view v = line;
      EXPECT_TRUE(log.Append({&v, 1}).ok());
      written += line + "\n";
    }
    return written;
  }
  testing::TempDir dir_;
  FakeClock clock_;
  Scheduler scheduler_{&clock_, 0};
};

TEST_F(LogRetentionTest, SegmentsPastRetentionMsGoAndTheStartMovesButNotTheEnd) {
  LogConfig config = SmallSegments();
  config.retention_ms = 1000;
  auto log = Open(config);
  std::string old = Append(*log, 0, 100);
  clock_.Advance(5000);
  std::string recent = Append(*log, 100, 130);
  const Offset end = log->log_end_offset();
  auto before = log->Segments().size();
  auto deleted = log->DeleteOldSegments();
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_GT(*deleted, 0);
  EXPECT_EQ(log->Segments().size(), before - static_cast<size_t>(*deleted));
  EXPECT_EQ(log->log_end_offset(), end) << "positions never move";
  EXPECT_EQ(log->log_start_offset(), log->Segments().front()->base_offset());
  std::string survivors = ReadAll(*log);
  std::string all = old + recent;
  EXPECT_EQ(survivors, all.substr(static_cast<size_t>(log->log_start_offset().value)))
      << "a read at 0 continues at the first surviving record";
  EXPECT_GE(survivors.size(), recent.size()) << "nothing newer than retention.ms went";
  EXPECT_FALSE(testing::FileExists(SegmentFilePath(dir_ / "t-0", Offset(0), kLogSuffix)));
}

TEST_F(LogRetentionTest, AnExpiredActiveSegmentIsRolledSoOneSegmentRemains) {
  LogConfig config;
  config.retention_ms = 10;
  config.file_delete_delay_ms = 0;
  auto log = Open(config);
  Append(*log, 0, 10);
  clock_.Advance(1000);
  const Offset end = log->log_end_offset();
  ASSERT_EQ(*log->DeleteOldSegments(), 1);
  ASSERT_EQ(log->Segments().size(), 1u);
  EXPECT_EQ(log->Segments().front()->base_offset(), end);
  EXPECT_EQ(log->log_start_offset(), end);
  EXPECT_EQ(log->log_end_offset(), end);
  EXPECT_EQ(ReadAll(*log), "");
  Append(*log, 10, 11);
  EXPECT_EQ(ReadAll(*log), "record-0010\n");
}

TEST_F(LogRetentionTest, SizeRetentionKeepsAtLeastRetentionBytes) {
  LogConfig config = SmallSegments();
  config.retention_bytes = 1000;
  auto log = Open(config);
  Append(*log, 0, 300);
  ASSERT_TRUE(log->DeleteOldSegments().ok());
  int64_t kept = 0;
  for (const auto& s : log->Segments()) kept += s->size();
  EXPECT_GE(kept, 1000);
  EXPECT_LT(kept - log->Segments().front()->size(), 1000) << "one segment fewer would be too few";
}

TEST_F(LogRetentionTest, DeletedFilesWaitForTheDelayThenGo) {
  LogConfig config = SmallSegments();
  config.retention_ms = 1000;
  config.file_delete_delay_ms = 60'000;
  auto log = Open(config);
  Append(*log, 0, 100);
  clock_.Advance(5000);
  Append(*log, 100, 101);
  auto first = log->Segments().front();
  std::string deleted_name = SegmentFilePath(dir_ / "t-0", Offset(0), kLogSuffix, kDeletedSuffix);
  ASSERT_GT(*log->DeleteOldSegments(), 0);
  EXPECT_TRUE(testing::FileExists(deleted_name));
  char buf[64];
  auto r = first->Read(Offset(0), buf, sizeof(buf));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf, r->bytes).substr(0, 12), "record-0000\n")
      << "a reader holding the segment finishes its read";
  clock_.Advance(59'000);
  scheduler_.RunDueTasks();
  EXPECT_TRUE(testing::FileExists(deleted_name));
  clock_.Advance(2'000);
  scheduler_.RunDueTasks();
  EXPECT_FALSE(testing::FileExists(deleted_name));
  r = first->Read(Offset(0), buf, sizeof(buf));
  ASSERT_TRUE(r.ok()) << "even after the unlink";
}

// Kafka's asyncDelete: with a delay of 0 the unlinks still go to the
// scheduler, as one task, so retention never waits for the filesystem to
// free (or discard) the blocks.
TEST_F(LogRetentionTest, WithNoDelayTheSchedulerRemovesTheFilesInOneTask) {
  LogConfig config = SmallSegments();
  config.retention_ms = 1000;
  auto log = Open(config);
  Append(*log, 0, 100);
  clock_.Advance(5000);
  Append(*log, 100, 101);
  std::string deleted_name = SegmentFilePath(dir_ / "t-0", Offset(0), kLogSuffix, kDeletedSuffix);
  const size_t pending = scheduler_.pending();
  ASSERT_GT(*log->DeleteOldSegments(), 1);
  EXPECT_TRUE(testing::FileExists(deleted_name)) << "renamed inside the call";
  EXPECT_EQ(scheduler_.pending(), pending + 1) << "one task for the whole pass";
  EXPECT_EQ(scheduler_.RunDueTasks(), 1) << "due at once, no clock advance";
  EXPECT_FALSE(testing::FileExists(deleted_name));
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "t-0")) {
    EXPECT_EQ(e.path().string().find(".deleted"), std::string::npos) << e.path();
  }
}

TEST_F(LogRetentionTest, CompactTopicsKeepTheirDataUnlessThePolicyIncludesDelete) {
  LogConfig config = SmallSegments();
  config.retention_ms = 10;
  config.cleanup_delete = false;
  config.cleanup_compact = true;
  config.key_separator = ":";
  auto log = Open(config);
  for (int i = 0; i < 100; ++i) {
    std::string line = fmt::format("k{}:v", i);
    std::string_view v = line;
    ASSERT_TRUE(log->Append({&v, 1}).ok());
  }
  clock_.Advance(1000);
  EXPECT_EQ(*log->DeleteOldSegments(), 0);
  config.cleanup_delete = true;
  log->UpdateConfig(config);
  EXPECT_GT(*log->DeleteOldSegments(), 0);
}

TEST_F(LogRetentionTest, TheStartSurvivesReopenThroughTheCheckpointedValue) {
  LogConfig config = SmallSegments();
  config.retention_ms = 1000;
  Offset start, end;
  {
    auto log = Open(config);
    Append(*log, 0, 100);
    clock_.Advance(5000);
    Append(*log, 100, 110);
    ASSERT_GT(*log->DeleteOldSegments(), 0);
    start = log->log_start_offset();
    end = log->log_end_offset();
    ASSERT_TRUE(log->Close().ok());
  }
  Log::Options o;
  o.dir = dir_ / "t-0";
  o.topic_partition = {"t", 0};
  o.config = config;
  o.clock = &clock_;
  o.log_start_offset = start;
  o.had_clean_shutdown = true;
  auto log = Log::Open(o);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ((*log)->log_start_offset(), start);
  EXPECT_EQ((*log)->log_end_offset(), end);
}

}  // namespace
}  // namespace topicfs::store
