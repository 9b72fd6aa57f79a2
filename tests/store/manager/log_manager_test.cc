// The data directory: topics and their partition directories, topic and
// default configuration, the directory lock, clean shutdown and Kafka's
// checkpoint files, adoption of bare partition directories, deletion.

#include "store/manager/log_manager.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "store/format/checkpoint_file.h"
#include "store/format/topic_name.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {

namespace {

using testing::FileExists;
using testing::ReadFile;
using testing::ReadAll;
using testing::TempDir;

namespace fs = std::filesystem;

std::set<std::string> DirEntries(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

bool IsDeleteDir(const std::string& name) {
  static const std::regex kDeleteDir(R"(.+-[0-9]+\.[0-9a-f]{32}-delete)");
  return std::regex_match(name, kDeleteDir);
}

// Polls for up to two seconds until no "<topic>-<p>.<id>-delete" is left.
bool DeleteDirsGoneWithin2s(const std::string& dir) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (true) {
    bool any = false;
    for (const auto& name : DirEntries(dir)) any = any || name.ends_with("-delete");
    if (!any) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void AppendLines(Log& log, std::vector<std::string_view> lines) {
  auto r = log.Append(lines);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

class LogManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<LogManager> Open(const std::string& dir) {
    LogManager::Options o;
    o.data_dir = dir;
    o.clock = &clock_;
    auto m = LogManager::Open(o);
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(m).value() : nullptr;
  }
  std::unique_ptr<LogManager> Open() { return Open(data_); }

  std::string TopicConfigFile(std::string_view topic) const {
    return data_ + "/" + std::string(topic) + ".conf";
  }

  TempDir tmp_;
  const std::string data_ = tmp_ / "data";
  FakeClock clock_;
};

// ---- topics -------------------------------------------------------------

TEST_F(LogManagerTest, CreateTopicMakesOnePartitionByDefault) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("orders").ok());
  EXPECT_EQ(m->ListTopics(), std::vector<std::string>{"orders"});
  EXPECT_TRUE(m->TopicExists("orders"));
  EXPECT_EQ(*m->PartitionCount("orders"), 1);
  EXPECT_TRUE(fs::is_directory(data_ + "/orders-0"));
  EXPECT_FALSE(fs::exists(data_ + "/orders-1"));
  EXPECT_TRUE(FileExists(TopicConfigFile("orders")));
  ASSERT_NE(m->GetLog("orders", 0), nullptr);
  EXPECT_EQ(m->GetLog("orders", 1), nullptr);
  EXPECT_EQ(m->GetLog("orders", -1), nullptr);
  EXPECT_EQ(m->GetLog("nope", 0), nullptr);
  EXPECT_EQ(m->PartitionCount("nope").status().code(), Code::kNotFound);
}

TEST_F(LogManagerTest, CreateTopicWithPartitionsOverride) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("orders", {{"partitions", "4"}}).ok());
  EXPECT_EQ(*m->PartitionCount("orders"), 4);
  for (int p = 0; p < 4; ++p) {
    EXPECT_TRUE(fs::is_directory(data_ + "/orders-" + std::to_string(p))) << p;
    ASSERT_NE(m->GetLog("orders", p), nullptr);
    EXPECT_EQ(m->GetLog("orders", p)->topic_partition(), (TopicPartition{"orders", p}));
  }
  EXPECT_EQ(m->AllLogs().size(), 4u);
}

TEST_F(LogManagerTest, ListTopicsIsSortedByName) {
  auto m = Open();
  for (const char* t : {"zeta", "alpha", "Mid", "m-1"}) ASSERT_TRUE(m->CreateTopic(t).ok()) << t;
  EXPECT_EQ(m->ListTopics(), (std::vector<std::string>{"Mid", "alpha", "m-1", "zeta"}));
}

TEST_F(LogManagerTest, InvalidTopicNamesAreRefusedAndCreateNothing) {
  auto m = Open();
  auto before = DirEntries(data_);
  for (std::string bad : {std::string(""), std::string("."), std::string(".."), std::string("a/b"),
                          std::string("a b"), std::string("caf\xc3\xa9"), std::string("x\ny"),
                          std::string(250, 'a')}) {
    Status s = m->CreateTopic(bad);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << "'" << bad << "': " << s.ToString();
  }
  EXPECT_TRUE(m->ListTopics().empty());
  EXPECT_EQ(DirEntries(data_), before);
}

TEST_F(LogManagerTest, InvalidConfigAtCreationIsRefusedAndCreatesNothing) {
  auto m = Open();
  auto before = DirEntries(data_);
  EXPECT_EQ(m->CreateTopic("t", {{"retention.ms", "soon"}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(m->CreateTopic("t", {{"partitions", "0"}}).code(), Code::kOutOfRange);
  EXPECT_FALSE(m->CreateTopic("t", {{"no.such.config", "1"}}).ok());
  EXPECT_EQ(m->CreateTopic("t", {{"min.compaction.lag.ms", "10"}, {"max.compaction.lag.ms", "5"}})
                .code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(m->ListTopics().empty());
  EXPECT_EQ(DirEntries(data_), before);
}

TEST_F(LogManagerTest, DuplicateTopicIsAlreadyExists) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("orders").ok());
  AppendLines(*m->GetLog("orders", 0), {"kept"});
  EXPECT_EQ(m->CreateTopic("orders").code(), Code::kAlreadyExists);
  EXPECT_EQ(m->CreateTopic("orders", {{"partitions", "3"}}).code(), Code::kAlreadyExists);
  EXPECT_EQ(*m->PartitionCount("orders"), 1);
  EXPECT_EQ(ReadAll(*m->GetLog("orders", 0)), "kept\n");
}

TEST_F(LogManagerTest, NamesDifferingOnlyInDotAndUnderscoreCollide) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("web.clicks").ok());
  EXPECT_EQ(m->CreateTopic("web_clicks").code(), Code::kAlreadyExists);
  ASSERT_TRUE(m->CreateTopic("a_b_c").ok());
  EXPECT_EQ(m->CreateTopic("a.b_c").code(), Code::kAlreadyExists);
  EXPECT_EQ(m->CreateTopic("a.b.c").code(), Code::kAlreadyExists);
  // Only '.' and '_' fold together; case and '-' do not.
  EXPECT_TRUE(m->CreateTopic("Web.clicks").ok());
  EXPECT_TRUE(m->CreateTopic("web-clicks").ok());
  EXPECT_EQ(m->ListTopics(),
            (std::vector<std::string>{"Web.clicks", "a_b_c", "web-clicks", "web.clicks"}));
}

// Kafka allows 249 characters precisely so that "<topic>-<partition>" and
// the "-delete" directory (whose topic part Kafka truncates) fit in 255.
TEST_F(LogManagerTest, LongestLegalTopicNameCanBeCreatedUsedReopenedAndDeleted) {
  const std::string name(kMaxTopicNameLength, 'n');
  {
    auto m = Open();
    Status created = m->CreateTopic(name);
    ASSERT_TRUE(created.ok()) << created.ToString();
    AppendLines(*m->GetLog(name, 0), {"long"});
    // Its config file's name takes 254 bytes: rewriting it must stage
    // under a name that fits too.
    Status set = m->SetTopicConfig(name, "retention.ms", "12345");
    ASSERT_TRUE(set.ok()) << set.ToString();
    ASSERT_TRUE(m->Close().ok());
  }
  EXPECT_TRUE(FileExists(TopicConfigFile(name)));
  auto m = Open();
  ASSERT_EQ(m->ListTopics(), std::vector<std::string>{name});
  EXPECT_EQ(ReadAll(*m->GetLog(name, 0)), "long\n");
  EXPECT_EQ(m->TopicConfig(name)->retention_ms, 12345);
  Status deleted = m->DeleteTopic(name);
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_TRUE(m->ListTopics().empty());
  EXPECT_TRUE(DeleteDirsGoneWithin2s(data_));
  EXPECT_FALSE(fs::exists(data_ + "/" + name + "-0"));
}

// ---- deleting topics ------------------------------------------------------

TEST_F(LogManagerTest, DeleteTopicRenamesItsDirectoriesAsideThenRemovesThem) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("gone", {{"partitions", "2"}}).ok());
  ASSERT_TRUE(m->CreateTopic("stays").ok());
  AppendLines(*m->GetLog("gone", 0), {"a", "b"});
  AppendLines(*m->GetLog("gone", 1), {"c"});
  AppendLines(*m->GetLog("stays", 0), {"d"});

  // The rename is what makes deletion crash-safe, and the background
  // removal may already be done when DeleteTopic returns: watch the renames.
  int in = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  ASSERT_GE(in, 0);
  ASSERT_GE(::inotify_add_watch(in, data_.c_str(), IN_MOVED_FROM | IN_MOVED_TO), 0);
  Status deleted = m->DeleteTopic("gone");
  ASSERT_TRUE(deleted.ok()) << deleted.ToString();
  std::map<uint32_t, std::string> moved_from;
  std::map<std::string, std::string> renamed;  // old name -> new name
  alignas(inotify_event) char buf[8192];
  ssize_t n;
  while ((n = ::read(in, buf, sizeof(buf))) > 0) {
    for (char* p = buf; p < buf + n;) {
      auto* e = reinterpret_cast<inotify_event*>(p);
      std::string name = e->len > 0 ? std::string(e->name) : "";
      if (e->mask & IN_MOVED_FROM) moved_from[e->cookie] = name;
      // Only the partition directories: checkpoint files are replaced by
      // rename too.
      if ((e->mask & IN_MOVED_TO) && moved_from.count(e->cookie) &&
          moved_from[e->cookie].starts_with("gone-")) {
        renamed[moved_from[e->cookie]] = name;
      }
      p += sizeof(inotify_event) + e->len;
    }
  }
  ::close(in);
  ASSERT_EQ(renamed.size(), 2u);
  for (const char* dir : {"gone-0", "gone-1"}) {
    ASSERT_TRUE(renamed.count(dir)) << dir << " was not renamed";
    EXPECT_TRUE(renamed[dir].starts_with(std::string(dir) + ".")) << renamed[dir];
    EXPECT_TRUE(IsDeleteDir(renamed[dir])) << renamed[dir];
  }

  EXPECT_FALSE(fs::exists(data_ + "/gone-0"));
  EXPECT_FALSE(fs::exists(data_ + "/gone-1"));
  EXPECT_FALSE(FileExists(TopicConfigFile("gone")));
  EXPECT_TRUE(DeleteDirsGoneWithin2s(data_)) << "the -delete directories are still there";
  EXPECT_EQ(m->ListTopics(), std::vector<std::string>{"stays"});
  EXPECT_FALSE(m->TopicExists("gone"));
  EXPECT_EQ(m->GetLog("gone", 0), nullptr);
  EXPECT_EQ(ReadAll(*m->GetLog("stays", 0)), "d\n");
}

TEST_F(LogManagerTest, DeletedTopicStaysDeletedAfterReopen) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("gone").ok());
    AppendLines(*m->GetLog("gone", 0), {"x"});
    ASSERT_TRUE(m->DeleteTopic("gone").ok());
    ASSERT_TRUE(m->Close().ok());
  }
  auto m = Open();
  EXPECT_TRUE(m->ListTopics().empty());
  for (const auto& name : DirEntries(data_)) EXPECT_FALSE(name.starts_with("gone")) << name;
}

TEST_F(LogManagerTest, RecreatingADeletedTopicStartsEmpty) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("again", {{"partitions", "2"}, {"retention.ms", "1000"}}).ok());
  AppendLines(*m->GetLog("again", 0), {"old", "data"});
  std::shared_ptr<Log> old_log = m->GetLog("again", 0);
  ASSERT_TRUE(m->DeleteTopic("again").ok());

  ASSERT_TRUE(m->CreateTopic("again").ok());
  std::shared_ptr<Log> log = m->GetLog("again", 0);
  ASSERT_NE(log, nullptr);
  EXPECT_NE(log, old_log);
  EXPECT_EQ(*m->PartitionCount("again"), 1);
  EXPECT_EQ(log->log_end_offset(), Offset(0));
  EXPECT_EQ(ReadAll(*log), "");
  EXPECT_EQ(m->TopicConfig("again")->retention_ms, LogConfig{}.retention_ms);
  AppendLines(*log, {"new"});
  EXPECT_EQ(ReadAll(*log), "new\n");
  // A handle to the deleted partition refuses appends.
  EXPECT_EQ(old_log->Append(std::vector<std::string_view>{"late"}).status().code(), Code::kFenced);
  EXPECT_TRUE(DeleteDirsGoneWithin2s(data_));
  EXPECT_EQ(ReadAll(*log), "new\n");
}

// A crash while a config was being replaced leaves <topic>.conf.tmp beside
// it; deleting the topic later must still work and leave nothing.
TEST_F(LogManagerTest, DeleteTopicCopesWithALeftoverTempConfigFile) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("t").ok());
  testing::WriteFile(TopicConfigFile("t") + ".tmp", "# half written\nretention.ms=1");
  Status deleted = m->DeleteTopic("t");
  EXPECT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_FALSE(m->TopicExists("t"));
  EXPECT_FALSE(FileExists(TopicConfigFile("t")));
  EXPECT_FALSE(FileExists(TopicConfigFile("t") + ".tmp"));
  ASSERT_TRUE(m->CreateTopic("t").ok());
  EXPECT_EQ(m->TopicConfig("t")->retention_ms, LogConfig{}.retention_ms);
}

// The deletion's two crash points: the marker written but the config still
// there (not committed: the topic stays), and the config gone (committed:
// the next open removes the partitions).
TEST_F(LogManagerTest, AnInterruptedDeletionIsUndoneBeforeItsCommitAndFinishedAfter) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("kept").ok());
    ASSERT_TRUE(m->CreateTopic("doomed", {{"partitions", "2"}}).ok());
    AppendLines(*m->GetLog("kept", 0), {"k"});
    AppendLines(*m->GetLog("doomed", 1), {"d"});
    ASSERT_TRUE(m->Close().ok());
  }
  testing::WriteFile(data_ + "/~0123456789abcdef0123456789abcdef.deleting", "kept");
  testing::WriteFile(data_ + "/~fedcba9876543210fedcba9876543210.deleting", "doomed");
  fs::remove(TopicConfigFile("doomed"));
  auto m = Open();
  EXPECT_EQ(m->ListTopics(), std::vector<std::string>{"kept"});
  EXPECT_EQ(ReadAll(*m->GetLog("kept", 0)), "k\n");
  EXPECT_TRUE(DeleteDirsGoneWithin2s(data_));
  for (const auto& name : DirEntries(data_)) {
    EXPECT_FALSE(name.starts_with("doomed")) << name;
    EXPECT_FALSE(name.ends_with(".deleting")) << name;
  }
}

// ---- the layout before: configs under .topicfs/ -------------------------

class OldLayoutTest : public LogManagerTest {
 protected:
  // A data directory as topicfs wrote it before its configs left .topicfs/.
  void WriteOldLayout() {
    {
      auto m = Open();
      for (const char* t : {"plain", "damaged", "undeleted", "gone"}) ASSERT_TRUE(m->CreateTopic(t).ok()) << t;
      AppendLines(*m->GetLog("plain", 0), {"p"});
      AppendLines(*m->GetLog("gone", 0), {"g"});
      ASSERT_TRUE(m->Close().ok());
    }
    const std::string topics = data_ + "/.topicfs/topics";
    fs::create_directories(topics);
    testing::WriteFile(data_ + "/.topicfs/defaults.properties", "retention.ms=777000\n");
    fs::remove(data_ + "/topicfs-defaults.properties");
    for (const char* t : {"plain", "damaged", "undeleted", "gone"}) fs::remove(TopicConfigFile(t));
    fs::create_directories(topics + "/plain");
    testing::WriteFile(topics + "/plain/config.properties", "partitions=1\nretention.ms=5000\n");
    fs::create_directories(topics + "/damaged");
    testing::WriteFile(topics + "/damaged/config.properties", "# topicfs topic config\npartitions=1\n");
    // A deletion that had not committed: the marker inside the live directory.
    fs::create_directories(topics + "/undeleted");
    testing::WriteFile(topics + "/undeleted/config.properties", "partitions=1\n");
    testing::WriteFile(topics + "/undeleted/deleting", "undeleted");
    // One that had: the directory renamed, the marker naming the topic.
    fs::create_directories(topics + "/~00112233445566778899aabbccddeeff.deleting");
    testing::WriteFile(topics + "/~00112233445566778899aabbccddeeff.deleting/deleting", "gone");
  }
};

TEST_F(OldLayoutTest, OpeningMovesEveryConfigToTheRootByteForByteAndFinishesDeletions) {
  WriteOldLayout();
  auto m = Open();
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(fs::exists(data_ + "/.topicfs"));
  EXPECT_EQ(ReadFile(data_ + "/topicfs-defaults.properties"), "retention.ms=777000\n");
  EXPECT_EQ(ReadFile(TopicConfigFile("plain")), "partitions=1\nretention.ms=5000\n");
  EXPECT_EQ(ReadFile(TopicConfigFile("damaged")), "# topicfs topic config\npartitions=1\n");
  EXPECT_EQ(m->ListTopics(), (std::vector<std::string>{"damaged", "plain", "undeleted"}));
  EXPECT_EQ(m->TopicConfig("plain")->retention_ms, 5000);
  EXPECT_EQ(m->TopicConfig("undeleted")->retention_ms, 777000);
  EXPECT_EQ(ReadAll(*m->GetLog("plain", 0)), "p\n");
  // Damaged before, damaged after: read-only, as the old layout served it.
  std::string_view line = "x";
  EXPECT_EQ(m->GetLog("damaged", 0)->Append({&line, 1}).status().code(), Code::kReadOnly);
  EXPECT_TRUE(DeleteDirsGoneWithin2s(data_));
  EXPECT_FALSE(fs::exists(data_ + "/gone-0"));
  for (const auto& name : DirEntries(data_)) EXPECT_FALSE(name.ends_with(".deleting")) << name;
  auto warnings = m->warnings();
  EXPECT_TRUE(std::any_of(warnings.begin(), warnings.end(),
                          [](const std::string& w) { return w.find("moved topicfs's configs") != std::string::npos; }));
}

// A crash part way: the copies made are whole (a root file is kept over the
// old one), and the next open carries on.
TEST_F(OldLayoutTest, AMoveCutShortIsCarriedOnByTheNextOpen) {
  WriteOldLayout();
  testing::WriteFile(TopicConfigFile("plain"), "partitions=1\nretention.ms=6000\n");
  FaultInjectingFileIo io;
  io.FailAfter(FaultInjectingFileIo::kRemoveTree, 0, EIO);
  LogManager::Options o;
  o.data_dir = data_;
  o.io = &io;
  auto failed = LogManager::Open(o);
  ASSERT_FALSE(failed.ok());
  EXPECT_TRUE(fs::exists(data_ + "/.topicfs"));
  EXPECT_TRUE(FileExists(TopicConfigFile("undeleted")));

  auto m = Open();
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(fs::exists(data_ + "/.topicfs"));
  EXPECT_EQ(m->TopicConfig("plain")->retention_ms, 6000);
  EXPECT_EQ(m->ListTopics(), (std::vector<std::string>{"damaged", "plain", "undeleted"}));
}

// Kafka's DeleteRecords through the manager: the new log start is in the
// checkpoint when the call returns, so a crash does not bring records back.
TEST_F(LogManagerTest, DeleteRecordsIsCheckpointedAtOnce) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("t").ok());
  AppendLines(*m->GetLog("t", 0), {"first", "second", "third"});
  auto start = m->DeleteRecords("t", 0, Offset(6));
  ASSERT_TRUE(start.ok()) << start.status().ToString();
  EXPECT_EQ(Offset(6), *start);
  EXPECT_NE(std::string::npos, ReadFile(data_ + "/log-start-offset-checkpoint").find("t 0 6\n"));
  EXPECT_EQ(Code::kNotFound, m->DeleteRecords("t", 1, Offset(0)).status().code());
  EXPECT_EQ(Code::kOutOfRange, m->DeleteRecords("t", 0, Offset(100)).status().code());
  m.reset();  // no Close: as after a crash
  auto reopened = Open();
  EXPECT_EQ(Offset(6), reopened->GetLog("t", 0)->log_start_offset());
  EXPECT_EQ("second\nthird\n", ReadAll(*reopened->GetLog("t", 0)));
}

// The checkpoints read at open describe the partitions as they were then;
// a topic deleted and created again is a new log starting at 0.
TEST_F(LogManagerTest, RecreatedTopicDoesNotInheritTheDeletedOnesCheckpoints) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("t").ok());
    AppendLines(*m->GetLog("t", 0), {std::string(99, 'a'), std::string(99, 'b')});
    ASSERT_TRUE(m->Close().ok());
  }
  // As if retention had moved the log start to 100 before the shutdown
  // (an edit by hand drops the checksum side file, or it reads as damaged).
  testing::WriteFile(data_ + "/log-start-offset-checkpoint", "0\n1\nt 0 100\n");
  fs::remove(data_ + "/log-start-offset-checkpoint.crc32c");
  auto m = Open();
  ASSERT_EQ(m->GetLog("t", 0)->log_start_offset(), Offset(100));
  ASSERT_TRUE(m->DeleteTopic("t").ok());
  ASSERT_TRUE(m->CreateTopic("t").ok());
  std::shared_ptr<Log> log = m->GetLog("t", 0);
  EXPECT_EQ(log->log_start_offset(), Offset(0));
  EXPECT_EQ(log->log_end_offset(), Offset(0));
  AppendLines(*log, {"new"});
  EXPECT_EQ(ReadAll(*log), "new\n");
  EXPECT_EQ(log->log_end_offset(), Offset(4));
}

TEST_F(LogManagerTest, DeletingAnUnknownTopicIsNotFound) {
  auto m = Open();
  EXPECT_EQ(m->DeleteTopic("never").code(), Code::kNotFound);
}

// ---- partitions -------------------------------------------------------------

TEST_F(LogManagerTest, PartitionsOnlyGrow) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("t").ok());
  AppendLines(*m->GetLog("t", 0), {"p0"});
  ASSERT_TRUE(m->SetTopicConfig("t", "partitions", "3").ok());
  EXPECT_EQ(*m->PartitionCount("t"), 3);
  for (int p = 0; p < 3; ++p) {
    EXPECT_TRUE(fs::is_directory(data_ + "/t-" + std::to_string(p))) << p;
    EXPECT_NE(m->GetLog("t", p), nullptr) << p;
  }
  EXPECT_EQ(ReadAll(*m->GetLog("t", 0)), "p0\n");

  const std::string config_before = ReadFile(TopicConfigFile("t"));
  const auto dirs_before = DirEntries(data_);
  Status shrink = m->SetTopicConfig("t", "partitions", "2");
  EXPECT_EQ(shrink.code(), Code::kInvalidArgument) << shrink.ToString();
  // Removing the override would fall back to the default of 1: also a shrink.
  Status remove = m->RemoveTopicConfig("t", "partitions");
  EXPECT_EQ(remove.code(), Code::kInvalidArgument) << remove.ToString();
  EXPECT_EQ(*m->PartitionCount("t"), 3);
  EXPECT_EQ(m->TopicConfig("t")->partitions, 3);
  EXPECT_EQ(m->TopicOverrides("t")->at("partitions"), "3");
  EXPECT_EQ(ReadFile(TopicConfigFile("t")), config_before);
  EXPECT_EQ(DirEntries(data_), dirs_before);
  // Setting the same count is a no-op, not an error.
  EXPECT_TRUE(m->SetTopicConfig("t", "partitions", "3").ok());

  ASSERT_TRUE(m->Close().ok());
  m = Open();
  EXPECT_EQ(*m->PartitionCount("t"), 3);
  EXPECT_EQ(ReadAll(*m->GetLog("t", 0)), "p0\n");
}

// A topic's partition count is pinned: changing the default does not change
// it, now or after a restart, and what the config says is what exists.
TEST_F(LogManagerTest, PartitionCountStaysPinnedWhenTheDefaultChanges) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("pinned").ok());
  ASSERT_TRUE(m->CreateTopic("one", {{"partitions", "1"}}).ok());
  // Unpinning the count (were it allowed) must not let a default resize it.
  Status removed = m->RemoveTopicConfig("one", "partitions");
  ASSERT_TRUE(removed.ok() || removed.code() == Code::kInvalidArgument) << removed.ToString();
  ASSERT_TRUE(m->SetDefault("partitions", "3").ok());
  ASSERT_TRUE(m->CreateTopic("fresh").ok());
  EXPECT_EQ(*m->PartitionCount("fresh"), 3);
  for (const char* t : {"pinned", "one", "fresh"}) {
    EXPECT_EQ(*m->PartitionCount(t), m->TopicConfig(t)->partitions) << t;
  }
  std::map<std::string, int32_t> counts;
  for (const char* t : {"pinned", "one", "fresh"}) counts[t] = *m->PartitionCount(t);
  EXPECT_EQ(counts["pinned"], 1);
  ASSERT_TRUE(m->Close().ok());

  m = Open();
  for (const char* t : {"pinned", "one", "fresh"}) {
    EXPECT_EQ(*m->PartitionCount(t), counts[t]) << t << " changed its partition count on reopen";
    EXPECT_EQ(*m->PartitionCount(t), m->TopicConfig(t)->partitions) << t;
  }
}

// ---- topic configuration ---------------------------------------------------

TEST_F(LogManagerTest, TopicConfigSetGetRemove) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("t").ok());
  const LogConfig kafka;
  EXPECT_EQ(m->TopicConfig("t")->retention_ms, kafka.retention_ms);

  ASSERT_TRUE(m->SetTopicConfig("t", "retention.ms", "3600000").ok());
  ASSERT_TRUE(m->SetTopicConfig("t", "cleanup.policy", "delete,compact").ok());
  ASSERT_TRUE(m->SetTopicConfig("t", "key.separator", ":").ok());
  EXPECT_EQ(m->TopicOverrides("t")->at("retention.ms"), "3600000");
  EXPECT_EQ(m->TopicConfig("t")->retention_ms, 3'600'000);
  EXPECT_TRUE(m->TopicConfig("t")->cleanup_compact);
  EXPECT_TRUE(m->TopicConfig("t")->cleanup_delete);
  // The open log runs with the new config at once.
  EXPECT_EQ(m->GetLog("t", 0)->config().retention_ms, 3'600'000);
  EXPECT_EQ(m->GetLog("t", 0)->config().key_separator, ":");

  ASSERT_TRUE(m->RemoveTopicConfig("t", "retention.ms").ok());
  EXPECT_EQ(m->TopicOverrides("t")->count("retention.ms"), 0u);
  EXPECT_EQ(m->TopicConfig("t")->retention_ms, kafka.retention_ms);
  EXPECT_EQ(m->GetLog("t", 0)->config().retention_ms, kafka.retention_ms);
  EXPECT_EQ(m->RemoveTopicConfig("t", "retention.ms").code(), Code::kNotFound);
  EXPECT_EQ(m->RemoveTopicConfig("t", "no.such.config").code(), Code::kNotFound);

  EXPECT_EQ(m->SetTopicConfig("nope", "retention.ms", "1").code(), Code::kNotFound);
  EXPECT_EQ(m->TopicConfig("nope").status().code(), Code::kNotFound);
  EXPECT_EQ(m->TopicOverrides("nope").status().code(), Code::kNotFound);
}

TEST_F(LogManagerTest, RefusedTopicConfigChangesNothing) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("t", {{"max.compaction.lag.ms", "1000"}, {"internal.segment.bytes", "4096"}}).ok());
  const ConfigOverrides overrides = *m->TopicOverrides("t");
  const std::string file = ReadFile(TopicConfigFile("t"));
  const int32_t segment_bytes = m->GetLog("t", 0)->config().segment_bytes;

  struct Bad {
    const char* name;
    const char* value;
    Code code;
  };
  for (const Bad& bad : {Bad{"retention.ms", "soon", Code::kInvalidArgument},
                         Bad{"retention.ms", "", Code::kInvalidArgument},
                         Bad{"retention.ms", "-5", Code::kOutOfRange},
                         Bad{"segment.bytes", "99999999999", Code::kOutOfRange},
                         Bad{"segment.bytes", "13", Code::kOutOfRange},
                         Bad{"cleanup.policy", "sometimes", Code::kInvalidArgument},
                         Bad{"min.cleanable.dirty.ratio", "1.5", Code::kOutOfRange},
                         Bad{"no.such.config", "1", Code::kNotFound},
                         // Cross-field: min.compaction.lag.ms <= max.compaction.lag.ms.
                         Bad{"min.compaction.lag.ms", "2000", Code::kInvalidArgument}}) {
    Status s = m->SetTopicConfig("t", bad.name, bad.value);
    EXPECT_EQ(s.code(), bad.code) << bad.name << "=" << bad.value << ": " << s.ToString();
    EXPECT_FALSE(s.message().empty());
  }
  // Lowering max below the set min is refused the same way.
  ASSERT_TRUE(m->SetTopicConfig("t", "min.compaction.lag.ms", "500").ok());
  const ConfigOverrides with_min = *m->TopicOverrides("t");
  const std::string file_with_min = ReadFile(TopicConfigFile("t"));
  EXPECT_EQ(m->SetTopicConfig("t", "max.compaction.lag.ms", "100").code(), Code::kInvalidArgument);
  EXPECT_EQ(*m->TopicOverrides("t"), with_min);
  EXPECT_EQ(ReadFile(TopicConfigFile("t")), file_with_min);
  EXPECT_EQ(m->TopicConfig("t")->max_compaction_lag_ms, 1000);
  // Back to where it started.
  ASSERT_TRUE(m->RemoveTopicConfig("t", "min.compaction.lag.ms").ok());
  EXPECT_EQ(*m->TopicOverrides("t"), overrides);
  EXPECT_EQ(ReadFile(TopicConfigFile("t")), file);
  EXPECT_EQ(m->GetLog("t", 0)->config().segment_bytes, segment_bytes);
}

TEST_F(LogManagerTest, TopicConfigSurvivesReopen) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("t", {{"segment.bytes", "2000000"}}).ok());
    ASSERT_TRUE(m->SetTopicConfig("t", "retention.bytes", "123456").ok());
    ASSERT_TRUE(m->SetTopicConfig("t", "key.separator", " = ").ok());
    ASSERT_TRUE(m->SetTopicConfig("t", "flush.messages", "10").ok());
    ASSERT_TRUE(m->RemoveTopicConfig("t", "flush.messages").ok());
    ASSERT_TRUE(m->Close().ok());
  }
  auto m = Open();
  auto overrides = m->TopicOverrides("t");
  ASSERT_TRUE(overrides.ok());
  EXPECT_EQ(overrides->at("segment.bytes"), "2000000");
  EXPECT_EQ(overrides->at("retention.bytes"), "123456");
  EXPECT_EQ(overrides->at("key.separator"), " = ");
  EXPECT_EQ(overrides->count("flush.messages"), 0u);
  LogConfig config = *m->TopicConfig("t");
  EXPECT_EQ(config.segment_bytes, 2000000);
  EXPECT_EQ(config.retention_bytes, 123456);
  EXPECT_EQ(config.key_separator, " = ");
  EXPECT_EQ(m->GetLog("t", 0)->config().retention_bytes, 123456);
}

// ---- data-directory defaults ----------------------------------------------

TEST_F(LogManagerTest, DefaultsApplyToTopicsWithoutOverrides) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("plain").ok());
  ASSERT_TRUE(m->CreateTopic("own", {{"retention.ms", "7000"}}).ok());
  ASSERT_TRUE(m->SetDefault("retention.ms", "5000").ok());
  ASSERT_TRUE(m->SetDefault("segment.bytes", "2097152").ok());
  EXPECT_EQ(m->DefaultOverrides().at("retention.ms"), "5000");
  EXPECT_EQ(m->TopicConfig("plain")->retention_ms, 5000);
  EXPECT_EQ(m->GetLog("plain", 0)->config().retention_ms, 5000);
  EXPECT_EQ(m->TopicConfig("own")->retention_ms, 7000);
  EXPECT_EQ(m->GetLog("own", 0)->config().retention_ms, 7000);
  EXPECT_EQ(m->TopicConfig("own")->segment_bytes, 2097152);
  // A topic created later picks the defaults up too.
  ASSERT_TRUE(m->CreateTopic("later").ok());
  EXPECT_EQ(m->TopicConfig("later")->retention_ms, 5000);
  EXPECT_EQ(m->TopicOverrides("later")->count("retention.ms"), 0u);
  ASSERT_TRUE(m->Close().ok());

  m = Open();
  EXPECT_EQ(m->TopicConfig("plain")->retention_ms, 5000);
  EXPECT_EQ(m->TopicConfig("own")->retention_ms, 7000);
  EXPECT_EQ(m->GetLog("plain", 0)->config().segment_bytes, 2097152);

  ASSERT_TRUE(m->RemoveDefault("retention.ms").ok());
  EXPECT_EQ(m->TopicConfig("plain")->retention_ms, LogConfig{}.retention_ms);
  EXPECT_EQ(m->GetLog("plain", 0)->config().retention_ms, LogConfig{}.retention_ms);
  EXPECT_EQ(m->TopicConfig("own")->retention_ms, 7000);
  EXPECT_EQ(m->RemoveDefault("retention.ms").code(), Code::kNotFound);
  EXPECT_EQ(m->RemoveDefault("no.such.config").code(), Code::kNotFound);
}

TEST_F(LogManagerTest, RefusedDefaultChangesNothing) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("t", {{"min.compaction.lag.ms", "5000"}}).ok());
  ASSERT_TRUE(m->SetDefault("retention.ms", "5000").ok());
  const ConfigOverrides defaults = m->DefaultOverrides();
  const std::string file = ReadFile(data_ + "/topicfs-defaults.properties");
  EXPECT_EQ(m->SetDefault("retention.ms", "soon").code(), Code::kInvalidArgument);
  EXPECT_EQ(m->SetDefault("no.such.config", "1").code(), Code::kNotFound);
  // Valid alone, but topic t would then have min > max compaction lag.
  Status s = m->SetDefault("max.compaction.lag.ms", "1000");
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.ToString();
  EXPECT_EQ(m->DefaultOverrides(), defaults);
  EXPECT_EQ(ReadFile(data_ + "/topicfs-defaults.properties"), file);
  EXPECT_EQ(m->TopicConfig("t")->max_compaction_lag_ms, LogConfig{}.max_compaction_lag_ms);
  EXPECT_EQ(m->TopicConfig("t")->retention_ms, 5000);
}

// ---- the directory lock -----------------------------------------------------

TEST_F(LogManagerTest, SecondOpenOfTheSameDirectoryIsBusy) {
  auto first = Open();
  ASSERT_NE(first, nullptr);
  LogManager::Options o;
  o.data_dir = data_;
  auto second = LogManager::Open(o);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kBusy) << second.status().ToString();
  EXPECT_NE(second.status().message().find(data_), std::string::npos) << second.status().message();

  // The lock is per open file description: this process's own second
  // open(2) + flock(2) conflicts, as another process's would.
  int fd = ::open((data_ + "/.lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_EQ(errno, EWOULDBLOCK);
  ::close(fd);

  ASSERT_TRUE(first->Close().ok());
  auto third = LogManager::Open(o);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

// A Kafka broker locks its log directory with FileChannel.tryLock on
// .lock: a POSIX record lock (fcntl F_SETLK) over the whole file, which an
// flock(2) does not exclude. Each side must keep the other out.
namespace {

// fcntl(F_SETLK) of a write lock over all of `path`, as Java's tryLock()
// takes it: 0 or the errno.
int KafkaStyleLock(const std::string& path, int* fd_out) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;
  if (::fcntl(fd, F_SETLK, &fl) != 0) {
    int e = errno;
    ::close(fd);
    return e;
  }
  *fd_out = fd;
  return 0;
}

// Runs KafkaStyleLock in a child process (record locks are per process, so
// the test's own would never conflict with the store's): its result.
int KafkaStyleLockInChild(const std::string& path) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = -1;
    ::_exit(KafkaStyleLock(path, &fd));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_F(LogManagerTest, OpenDirectoryKeepsAKafkaBrokersRecordLockOut) {
  auto m = Open();
  ASSERT_NE(m, nullptr);
  int e = KafkaStyleLockInChild(data_ + "/.lock");
  EXPECT_TRUE(e == EAGAIN || e == EACCES) << "a broker's lock of .lock got " << e;
  ASSERT_TRUE(m->Close().ok());
  EXPECT_EQ(KafkaStyleLockInChild(data_ + "/.lock"), 0) << "the lock outlived Close";
}

TEST_F(LogManagerTest, DirectoryARecordLockHoldsIsBusy) {
  std::filesystem::create_directories(data_);
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::alarm(30);  // never outlives a parent that failed before releasing it
    ::close(ready[0]);
    ::close(done[1]);
    int fd = -1;
    char c = KafkaStyleLock(data_ + "/.lock", &fd) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    (void)!::read(done[0], &c, 1);  // hold the lock until the parent is done
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(done[0]);
  char c = 0;
  const bool locked = ::read(ready[0], &c, 1) == 1 && c == 'y';
  LogManager::Options o;
  o.data_dir = data_;
  auto refused = LogManager::Open(o);
  ::close(done[1]);  // the child lets go and exits
  ::close(ready[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(locked) << "the child could not lock .lock";
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kBusy) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find(".lock"), std::string::npos) << refused.status().message();
  EXPECT_FALSE(FileExists(data_ + "/.kafka_cleanshutdown"));
  auto opened = LogManager::Open(o);
  EXPECT_TRUE(opened.ok()) << opened.status().ToString();
}

// A refused open must not touch the directory it does not own: no
// checkpoints, no clean-shutdown marker, which would make the owner's next
// crash look clean and skip recovery.
TEST_F(LogManagerTest, RefusedSecondOpenLeavesTheDirectoryAlone) {
  auto first = Open();
  ASSERT_TRUE(first->CreateTopic("t").ok());
  AppendLines(*first->GetLog("t", 0), {"one", "two"});
  ASSERT_TRUE(first->GetLog("t", 0)->Flush().ok());
  ASSERT_TRUE(first->WriteCheckpoints().ok());
  const std::string checkpoint = ReadFile(data_ + "/recovery-point-offset-checkpoint");
  ASSERT_FALSE(FileExists(data_ + "/.kafka_cleanshutdown"));
  {
    LogManager::Options o;
    o.data_dir = data_;
    auto second = LogManager::Open(o);
    ASSERT_EQ(second.status().code(), Code::kBusy);
  }
  EXPECT_FALSE(FileExists(data_ + "/.kafka_cleanshutdown"))
      << "a refused open wrote the clean-shutdown marker of a directory in use";
  EXPECT_EQ(ReadFile(data_ + "/recovery-point-offset-checkpoint"), checkpoint)
      << "a refused open rewrote the checkpoint of a directory in use";
}

// An open that fails while loading releases the lock and writes nothing.
TEST_F(LogManagerTest, OpenThatFailsWhileLoadingReleasesTheLockAndWritesNothing) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("t").ok());
    AppendLines(*m->GetLog("t", 0), {"a"});
    ASSERT_TRUE(m->Close().ok());
  }
  const std::string checkpoint = ReadFile(data_ + "/recovery-point-offset-checkpoint");
  FaultInjectingFileIo io;
  // The listing of the data directory for topics fails (after the one for
  // interrupted deletions).
  io.FailAfter(FaultInjectingFileIo::kList, 1, EIO);
  LogManager::Options o;
  o.data_dir = data_;
  o.io = &io;
  auto failed = LogManager::Open(o);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().sys_errno(), EIO) << failed.status().ToString();
  EXPECT_EQ(ReadFile(data_ + "/recovery-point-offset-checkpoint"), checkpoint);
  // The marker was consumed by the failed open: the next one is unclean.
  EXPECT_FALSE(FileExists(data_ + "/.kafka_cleanshutdown"));

  auto m = Open();
  ASSERT_NE(m, nullptr) << "the failed open kept the lock";
  EXPECT_FALSE(m->had_clean_shutdown());
  EXPECT_EQ(ReadAll(*m->GetLog("t", 0)), "a\n");
}

// Damaged defaults affect every topic's config: all are served read-only
// (reads work, appends and config changes fail with kReadOnly), the rest
// of the directory opens.
TEST_F(LogManagerTest, DamagedDefaultsMakeEveryTopicReadOnly) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("t").ok());
    AppendLines(*m->GetLog("t", 0), {"a"});
    ASSERT_TRUE(m->Close().ok());
  }
  const std::string defaults = data_ + "/topicfs-defaults.properties";
  testing::WriteFile(defaults, "segment.bytes=lots\n");
  auto m = Open();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(ReadAll(*m->GetLog("t", 0)), "a\n");
  std::string_view line = "b";
  EXPECT_EQ(m->GetLog("t", 0)->Append({&line, 1}).status().code(), Code::kReadOnly);
  EXPECT_EQ(m->SetTopicConfig("t", "retention.ms", "1000").code(), Code::kReadOnly);
  EXPECT_EQ(m->SetDefault("retention.ms", "1000").code(), Code::kReadOnly);
  EXPECT_EQ(ReadFile(defaults), "segment.bytes=lots\n");
}

// ---- clean shutdown, checkpoints, recovery -------------------------------------

TEST_F(LogManagerTest, CleanCloseWritesMarkerAndCheckpointsInKafkasFormat) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("a", {{"partitions", "2"}}).ok());
  ASSERT_TRUE(m->CreateTopic("b").ok());
  AppendLines(*m->GetLog("a", 0), {"hello", "world"});  // 12 bytes
  AppendLines(*m->GetLog("b", 0), {"x"});               // 2 bytes
  ASSERT_TRUE(m->Close().ok());

  EXPECT_TRUE(FileExists(data_ + "/.kafka_cleanshutdown"));
  // Kafka's CheckpointFile: version 0, entry count, "topic partition offset".
  std::string rp = ReadFile(data_ + "/recovery-point-offset-checkpoint");
  std::istringstream lines(rp);
  std::string line;
  std::vector<std::string> all;
  while (std::getline(lines, line)) all.push_back(line);
  ASSERT_EQ(all.size(), 5u) << rp;
  EXPECT_EQ(all[0], "0");
  EXPECT_EQ(all[1], "3");
  std::set<std::string> entries(all.begin() + 2, all.end());
  EXPECT_EQ(entries, (std::set<std::string>{"a 0 12", "a 1 0", "b 0 2"})) << rp;
  EXPECT_TRUE(rp.ends_with("\n"));

  std::string ls = ReadFile(data_ + "/log-start-offset-checkpoint");
  std::istringstream ls_lines(ls);
  std::vector<std::string> ls_all;
  while (std::getline(ls_lines, line)) ls_all.push_back(line);
  ASSERT_GE(ls_all.size(), 2u) << ls;
  EXPECT_EQ(ls_all[0], "0");
  EXPECT_EQ(ls_all[1], std::to_string(ls_all.size() - 2));
  static const std::regex kEntry(R"((a|b) [01] 0)");
  for (size_t i = 2; i < ls_all.size(); ++i) EXPECT_TRUE(std::regex_match(ls_all[i], kEntry)) << ls_all[i];
  auto parsed = ReadCheckpointFile(data_ + "/log-start-offset-checkpoint");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
}

TEST_F(LogManagerTest, ReopenAfterCleanCloseRemovesTheMarkerAtOnce) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("t").ok());
    AppendLines(*m->GetLog("t", 0), {"kept"});
    ASSERT_TRUE(m->Close().ok());
  }
  auto m = Open();
  EXPECT_TRUE(m->had_clean_shutdown());
  // Gone while the directory is open, so a crash from now on is unclean.
  EXPECT_FALSE(FileExists(data_ + "/.kafka_cleanshutdown"));
  std::shared_ptr<Log> log = m->GetLog("t", 0);
  EXPECT_EQ(log->log_end_offset(), Offset(5));
  EXPECT_EQ(log->recovery_point(), Offset(5));
  EXPECT_EQ(ReadAll(*log), "kept\n");
}

TEST_F(LogManagerTest, CopyOfAnOpenDirectoryOpensUnclean) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("t", {{"internal.segment.bytes", "200"}}).ok());
  std::shared_ptr<Log> log = m->GetLog("t", 0);
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    std::string line = "line-" + std::to_string(i);
    AppendLines(*log, {line});
    expected += line + "\n";
    if (i == 19) {
      ASSERT_TRUE(log->Flush().ok());
      ASSERT_TRUE(m->WriteCheckpoints().ok());
    }
  }
  const Offset flushed = log->recovery_point();
  ASSERT_GT(flushed, Offset(0));
  // What a crash leaves: no marker, checkpoints as last written.
  const std::string copy = tmp_ / "copy";
  fs::copy(data_, copy, fs::copy_options::recursive);

  auto crashed = Open(copy);
  ASSERT_NE(crashed, nullptr);
  EXPECT_FALSE(crashed->had_clean_shutdown());
  std::shared_ptr<Log> recovered = crashed->GetLog("t", 0);
  EXPECT_EQ(ReadAll(*recovered), expected);
  EXPECT_EQ(recovered->log_end_offset(), log->log_end_offset());
  // Not advanced until the next flush.
  EXPECT_EQ(recovered->recovery_point(), flushed);
  ASSERT_TRUE(crashed->Close().ok());
}

TEST_F(LogManagerTest, MissingMarkerAfterCloseMeansUnclean) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("t").ok());
    AppendLines(*m->GetLog("t", 0), {"a"});
    ASSERT_TRUE(m->Close().ok());
  }
  ASSERT_EQ(::unlink((data_ + "/.kafka_cleanshutdown").c_str()), 0);
  auto m = Open();
  EXPECT_FALSE(m->had_clean_shutdown());
  EXPECT_EQ(ReadAll(*m->GetLog("t", 0)), "a\n");
  ASSERT_TRUE(m->Close().ok());
  m = Open();
  EXPECT_TRUE(m->had_clean_shutdown());
}

TEST_F(LogManagerTest, UnreadableCheckpointMeansRecoveryFromTheStart) {
  {
    auto m = Open();
    ASSERT_TRUE(m->CreateTopic("t").ok());
    AppendLines(*m->GetLog("t", 0), {"a", "b"});
    ASSERT_TRUE(m->Close().ok());
  }
  ::unlink((data_ + "/.kafka_cleanshutdown").c_str());
  testing::WriteFile(data_ + "/recovery-point-offset-checkpoint", "7\n1\nt 0 4\n");
  auto m = Open();
  ASSERT_NE(m, nullptr);
  EXPECT_FALSE(m->had_clean_shutdown());
  EXPECT_FALSE(m->warnings().empty());
  EXPECT_EQ(m->GetLog("t", 0)->recovery_point(), Offset(0));
  EXPECT_EQ(ReadAll(*m->GetLog("t", 0)), "a\nb\n");
}

// ---- adoption and leftovers ---------------------------------------------------

TEST_F(LogManagerTest, PartitionDirectoryWithoutConfigIsAdoptedAsATopic) {
  fs::create_directories(data_);
  for (int p : {0, 2}) {
    Log::Options o;
    o.dir = data_ + "/adopted-" + std::to_string(p);
    o.topic_partition = {"adopted", p};
    o.clock = &clock_;
    auto log = Log::Open(o);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    AppendLines(**log, {"from kafka " + std::to_string(p)});
    ASSERT_TRUE((*log)->Close().ok());
  }
  // Not partition directories: no number after the last '-', a bad topic name.
  fs::create_directories(data_ + "/not-a-partition");
  fs::create_directories(data_ + "/bad name-0");

  auto m = Open();
  EXPECT_EQ(m->ListTopics(), std::vector<std::string>{"adopted"});
  // As many partitions as the highest one found.
  EXPECT_EQ(*m->PartitionCount("adopted"), 3);
  EXPECT_EQ(ReadAll(*m->GetLog("adopted", 0)), "from kafka 0\n");
  EXPECT_EQ(ReadAll(*m->GetLog("adopted", 1)), "");
  EXPECT_EQ(ReadAll(*m->GetLog("adopted", 2)), "from kafka 2\n");
  EXPECT_TRUE(FileExists(TopicConfigFile("adopted")));
  ASSERT_TRUE(m->Close().ok());

  m = Open();
  EXPECT_EQ(*m->PartitionCount("adopted"), 3);
  EXPECT_EQ(ReadAll(*m->GetLog("adopted", 2)), "from kafka 2\n");
}

TEST_F(LogManagerTest, LeftoverDeleteDirectoriesAreRemovedAtOpen) {
  const std::string leftover = data_ + "/old-0.0123456789abcdef0123456789abcdef-delete";
  fs::create_directories(leftover + "/sub");
  testing::WriteFile(leftover + "/00000000000000000000.log", "whatever");
  testing::WriteFile(leftover + "/sub/file", "x");

  auto m = Open();
  EXPECT_TRUE(m->ListTopics().empty()) << "a -delete directory was adopted";
  EXPECT_TRUE(DeleteDirsGoneWithin2s(data_));
  EXPECT_FALSE(fs::exists(leftover));
}

// ---- flush.ms ----------------------------------------------------------------

TEST_F(LogManagerTest, FlushDueLogsFlushesOnlyLogsWhoseFlushMsPassed) {
  auto m = Open();
  ASSERT_TRUE(m->CreateTopic("fast", {{"flush.ms", "1000"}}).ok());
  ASSERT_TRUE(m->CreateTopic("slow", {{"flush.ms", "10000"}, {"partitions", "2"}}).ok());
  ASSERT_TRUE(m->CreateTopic("never").ok());
  for (const auto& log : m->AllLogs()) AppendLines(*log, {"line"});
  auto rp = [&](const char* topic, int p = 0) { return m->GetLog(topic, p)->recovery_point(); };

  clock_.Advance(999);
  ASSERT_TRUE(m->FlushDueLogs().ok());
  EXPECT_EQ(rp("fast"), Offset(0));

  clock_.Advance(1);
  ASSERT_TRUE(m->FlushDueLogs().ok());
  EXPECT_EQ(rp("fast"), Offset(5));
  EXPECT_EQ(rp("slow", 0), Offset(0));
  EXPECT_EQ(rp("slow", 1), Offset(0));
  EXPECT_EQ(rp("never"), Offset(0));

  AppendLines(*m->GetLog("fast", 0), {"more"});
  clock_.Advance(9000);
  ASSERT_TRUE(m->FlushDueLogs().ok());
  EXPECT_EQ(rp("fast"), Offset(10));
  EXPECT_EQ(rp("slow", 0), Offset(5));
  EXPECT_EQ(rp("slow", 1), Offset(5));
  EXPECT_EQ(rp("never"), Offset(0));

  // A config change takes effect without a reopen.
  ASSERT_TRUE(m->SetTopicConfig("never", "flush.ms", "0").ok());
  ASSERT_TRUE(m->FlushDueLogs().ok());
  EXPECT_EQ(rp("never"), Offset(5));
}

TEST_F(LogManagerTest, BackgroundThreadFlushesDueLogsAndWritesCheckpoints) {
  LogManager::Options o;
  o.data_dir = data_;
  o.clock = &clock_;
  o.background_interval_ms = 5;
  o.checkpoint_interval_ms = 5;
  auto opened = LogManager::Open(o);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto m = std::move(opened).value();
  ASSERT_TRUE(m->CreateTopic("t", {{"flush.ms", "100"}}).ok());
  AppendLines(*m->GetLog("t", 0), {"abc"});
  clock_.Advance(100);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline &&
         ReadFile(data_ + "/recovery-point-offset-checkpoint") != "0\n1\nt 0 4\n") {
    // Flush and checkpoint are separate tasks: keep the fake time moving so
    // a checkpoint runs after the flush.
    clock_.Advance(5);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(m->GetLog("t", 0)->recovery_point(), Offset(4));
  EXPECT_EQ(ReadFile(data_ + "/recovery-point-offset-checkpoint"), "0\n1\nt 0 4\n");
  ASSERT_TRUE(m->Close().ok());
}

}  // namespace
}  // namespace topicfs::store
