// `topicfs export-kafka`'s store half: a stopped data directory's
// partitions into a (fake, stopped) broker's log directory. Every refusal
// changes nothing on either side; an export's files are topicfs's byte for
// byte, its checkpoints merged into the broker's, --link shares inodes but
// the last segment's.

#include "store/manager/kafka_export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "store/format/checkpoint_file.h"
#include "store/manager/log_manager.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

namespace fs = std::filesystem;

// Every path under dir with its bytes and inode: what "changes nothing"
// compares.
std::map<std::string, std::pair<std::string, ino_t>> Snapshot(const std::string& dir) {
  std::map<std::string, std::pair<std::string, ino_t>> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    out[e.path().string()] = {e.is_regular_file() ? ReadFile(e.path().string()) : "<dir>", st.st_ino};
  }
  return out;
}

ino_t Inode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".log") || name.ends_with(".index") || name.ends_with(".timeindex") ||
        name.ends_with(".snapshot")) {
      names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

constexpr char kPartitionMetadata[] = "version: 0\ntopic_id: Q5v2VdE9T1uvWk2bnsaX1Q\n";

class KafkaExportTest : public ::testing::Test {
 protected:
  // topicfs's data directory: "orders" over 2 partitions of several
  // segments each, "one" with 1, and the internal __consumer_offsets.
  void SetUp() override {
    LogManager::Options o;
    o.data_dir = data_;
    auto m = LogManager::Open(o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE((*m)->CreateTopic("orders", {{"partitions", "2"}, {"internal.segment.bytes", "2048"}}).ok());
    ASSERT_TRUE((*m)->CreateTopic("one").ok());
    ASSERT_TRUE((*m)->CreateTopic("__consumer_offsets").ok());
    for (int p = 0; p < 2; ++p) {
      auto log = (*m)->GetLog("orders", p);
      for (int i = 0; i < 40; ++i) {
        std::string line = "order " + std::to_string(p) + "-" + std::to_string(i) + " " + std::string(100, 'x');
        ASSERT_TRUE(log->Append(std::vector<std::string_view>{line}).ok());
      }
      ends_[{"orders", p}] = log->log_end_offset();
    }
    ASSERT_TRUE((*m)->GetLog("one", 0)->Append(std::vector<std::string_view>{"only line"}).ok());
    ends_[{"one", 0}] = (*m)->GetLog("one", 0)->log_end_offset();
    ASSERT_TRUE((*m)->Close().ok());

    // The broker's log directory, as a broker leaves it after creating the
    // topics and a clean shutdown.
    fs::create_directories(kafka_);
    WriteFile(kafka_ + "/meta.properties", "version=1\nnode.id=1\n");
    WriteFile(kafka_ + "/.lock", "");
    WriteFile(kafka_ + "/.kafka_cleanshutdown", "{\"version\":0,\"brokerEpoch\":7}");
    WriteFile(kafka_ + "/recovery-point-offset-checkpoint", "0\n1\nother 0 42\n");
    WriteFile(kafka_ + "/log-start-offset-checkpoint", "0\n1\nother 0 3\n");
    for (const char* dir : {"orders-0", "orders-1", "one-0", "other-0"}) MakeBrokerPartition(dir);
  }

  void MakeBrokerPartition(const std::string& name) {
    const std::string dir = kafka_ + "/" + name;
    fs::create_directories(dir);
    WriteFile(dir + "/partition.metadata", kPartitionMetadata);
    WriteFile(dir + "/leader-epoch-checkpoint", "0\n1\n0 0\n");
    WriteFile(dir + "/00000000000000000000.log", "");
    WriteFile(dir + "/00000000000000000000.index", std::string(80, '\0'));
    WriteFile(dir + "/00000000000000000000.timeindex", std::string(120, '\0'));
    WriteFile(dir + "/00000000000000000000.snapshot", "broker's producer state");
  }

  Result<KafkaExportReport> Export(std::vector<std::string> topics = {}, bool link = false) {
    KafkaExportOptions o;
    o.data_dir = data_;
    o.kafka_log_dir = kafka_;
    o.topics = std::move(topics);
    o.link = link;
    return KafkaExport::Run(o);
  }

  // Runs an export that must be refused with `code` and a message holding
  // `says`, and checks that neither directory changed.
  void ExpectRefused(Code code, const std::string& says, std::vector<std::string> topics = {},
                     bool link = false) {
    auto data_before = Snapshot(data_);
    auto kafka_before = Snapshot(kafka_);
    auto r = Export(std::move(topics), link);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(says), std::string::npos) << r.status().ToString();
    EXPECT_EQ(Snapshot(data_), data_before);
    EXPECT_EQ(Snapshot(kafka_), kafka_before);
  }

  TempDir tmp_;
  const std::string data_ = tmp_ / "data";
  const std::string kafka_ = tmp_ / "kafka-logs";
  std::map<TopicPartition, Offset> ends_;
};

TEST_F(KafkaExportTest, ExportedPartitionsHoldTopicfsFilesByteForByteAndTheBrokersMetadata) {
  auto r = Export();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->partitions.size(), 3u);  // one-0, orders-0, orders-1; not __consumer_offsets
  EXPECT_TRUE(r->broker_clean_shutdown);
  for (const PartitionExport& p : r->partitions) {
    SCOPED_TRACE(p.tp.DirName());
    const std::string ours = data_ + "/" + p.tp.DirName();
    const std::string theirs = kafka_ + "/" + p.tp.DirName();
    auto files = SegmentFiles(ours);
    EXPECT_EQ(SegmentFiles(theirs), files);  // the broker's segments and .snapshot gone
    for (const auto& f : files) EXPECT_EQ(ReadFile(theirs + "/" + f), ReadFile(ours + "/" + f)) << f;
    EXPECT_EQ(ReadFile(theirs + "/partition.metadata"), kPartitionMetadata);
    EXPECT_EQ(ReadFile(theirs + "/leader-epoch-checkpoint"), "0\n1\n0 0\n");
    EXPECT_EQ(p.log_start, Offset(0));
    EXPECT_EQ(p.log_end, ends_[p.tp]);
    EXPECT_EQ(p.epochs, (std::vector<std::pair<int32_t, Offset>>{{0, Offset(0)}}));
    EXPECT_EQ(p.files_linked, 0);
    EXPECT_EQ(p.files_copied, static_cast<int>(files.size()));
  }
  EXPECT_GT(r->partitions[1].segments, 1);  // orders-0 rolled
  // The partition the export did not touch, and no staging directory left.
  EXPECT_EQ(SegmentFiles(kafka_ + "/other-0").size(), 4u);
  for (const auto& e : fs::directory_iterator(kafka_)) {
    EXPECT_FALSE(e.path().filename().string().ends_with("-delete")) << e.path();
  }
  EXPECT_TRUE(fs::exists(kafka_ + "/.kafka_cleanshutdown"));

  auto recovery = ReadCheckpointFile(kafka_ + "/recovery-point-offset-checkpoint");
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(*recovery, (OffsetMap{{{"other", 0}, Offset(42)},
                                  {{"one", 0}, ends_[{"one", 0}]},
                                  {{"orders", 0}, ends_[{"orders", 0}]},
                                  {{"orders", 1}, ends_[{"orders", 1}]}}));
  auto starts = ReadCheckpointFile(kafka_ + "/log-start-offset-checkpoint");
  ASSERT_TRUE(starts.ok());
  EXPECT_EQ(*starts, (OffsetMap{{{"other", 0}, Offset(3)},
                                {{"one", 0}, Offset(0)},
                                {{"orders", 0}, Offset(0)},
                                {{"orders", 1}, Offset(0)}}));
}

TEST_F(KafkaExportTest, TopicsChosenAreTheOnlyOnesExported) {
  auto before = Snapshot(kafka_ + "/orders-0");
  auto r = Export({"one"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->partitions.size(), 1u);
  EXPECT_EQ(r->partitions[0].tp, (TopicPartition{"one", 0}));
  EXPECT_EQ(Snapshot(kafka_ + "/orders-0"), before);
}

TEST_F(KafkaExportTest, ExportingAgainGivesTheSameFiles) {
  ASSERT_TRUE(Export().ok());
  auto once = Snapshot(kafka_);
  ASSERT_TRUE(Export().ok());
  auto twice = Snapshot(kafka_);
  ASSERT_EQ(once.size(), twice.size());
  for (const auto& [path, content] : once) EXPECT_EQ(twice[path].first, content.first) << path;
}

TEST_F(KafkaExportTest, LinkSharesEveryInodeButTheLastSegmentsWhichTheBrokerAppendsTo) {
  auto r = Export({"orders"}, /*link=*/true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const PartitionExport& p : r->partitions) {
    const std::string ours = data_ + "/" + p.tp.DirName();
    const std::string theirs = kafka_ + "/" + p.tp.DirName();
    auto files = SegmentFiles(ours);
    std::string last_base;
    for (const auto& f : files) {
      if (f.ends_with(".log")) last_base = f.substr(0, 20);
    }
    int linked = 0;
    for (const auto& f : files) {
      SCOPED_TRACE(f);
      EXPECT_EQ(ReadFile(theirs + "/" + f), ReadFile(ours + "/" + f));
      const bool last = f.starts_with(last_base) && !f.ends_with(".snapshot");
      EXPECT_EQ(Inode(theirs + "/" + f) == Inode(ours + "/" + f), !last);
      linked += last ? 0 : 1;
    }
    EXPECT_GT(linked, 0);
    EXPECT_EQ(p.files_linked, linked);
  }
}

TEST_F(KafkaExportTest, LogStartAfterDeletedRecordsIsTheBrokersLogStartAndFirstEpochStart) {
  Offset start;
  {
    LogManager::Options o;
    o.data_dir = data_;
    auto m = LogManager::Open(o);
    ASSERT_TRUE(m.ok());
    auto deleted = (*m)->DeleteRecords("orders", 1, Offset(ends_[{"orders", 1}].value / 2));
    ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
    start = *deleted;
    ASSERT_TRUE((*m)->Close().ok());
  }
  auto r = Export({"orders"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->partitions[1].log_start, start);
  EXPECT_EQ(ReadFile(kafka_ + "/orders-1/leader-epoch-checkpoint"), "0\n1\n0 " + std::to_string(start.value) + "\n");
  auto starts = ReadCheckpointFile(kafka_ + "/log-start-offset-checkpoint");
  ASSERT_TRUE(starts.ok());
  EXPECT_EQ((*starts)[(TopicPartition{"orders", 1})], start);
}

TEST_F(KafkaExportTest, TheBrokersLockFileRemovedAtItsShutdownIsTakenAndRemovedAgain) {
  fs::remove(kafka_ + "/.lock");  // a stopped broker deletes it
  ASSERT_TRUE(Export().ok());
  EXPECT_FALSE(fs::exists(kafka_ + "/.lock"));
  fs::remove(data_ + "/.kafka_cleanshutdown");
  ExpectRefused(Code::kInvalidArgument, "not shut down cleanly");
  EXPECT_FALSE(fs::exists(kafka_ + "/.lock"));
}

// A partition directory's files and bytes, by name.
std::map<std::string, std::string> Contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out[e.path().filename().string()] = ReadFile(e.path().string());
  return out;
}

TEST_F(KafkaExportTest, AFailedCallPartWayLeavesEachPartitionAsTheBrokerHadItOrAsExported) {
  const std::string pristine = tmp_ / "pristine";
  fs::copy(kafka_, pristine, fs::copy_options::recursive);
  const std::vector<std::string> parts = {"one-0", "orders-0", "orders-1"};
  ASSERT_TRUE(Export().ok());
  std::map<std::string, std::map<std::string, std::string>> exported, before;
  for (const auto& p : parts) {
    exported[p] = Contents(kafka_ + "/" + p);
    before[p] = Contents(pristine + "/" + p);
  }
  const unsigned kinds = FaultInjectingFileIo::kWrite | FaultInjectingFileIo::kSync | FaultInjectingFileIo::kOpen |
                         FaultInjectingFileIo::kRename | FaultInjectingFileIo::kSyncDir |
                         FaultInjectingFileIo::kMakeDir;
  auto run = [&](FaultInjectingFileIo& io) {
    fs::remove_all(kafka_);
    fs::copy(pristine, kafka_, fs::copy_options::recursive);
    io.SkipSyncs(true);
    KafkaExportOptions o;
    o.data_dir = data_;
    o.kafka_log_dir = kafka_;
    o.io = &io;
    return KafkaExport::Run(o);
  };
  FaultInjectingFileIo counting;
  ASSERT_TRUE(run(counting).ok());
  const int64_t calls = counting.calls(kinds);
  int failures = 0;
  for (int n = 0; n < calls; ++n) {
    FaultInjectingFileIo io;
    io.FailAfter(kinds, n, EIO);
    auto r = run(io);
    if (r.ok()) continue;  // a call whose failure only loses a pid or a time
    ++failures;
    EXPECT_EQ(r.status().code(), Code::kIoError) << r.status().ToString();
    for (const auto& p : parts) {
      auto now = Contents(kafka_ + "/" + p);
      EXPECT_TRUE(now == before[p] || now == exported[p]) << "call " << n << ": " << p << " half exported";
    }
  }
  EXPECT_GT(failures, 20);
}

// ---- refusals: each changes nothing -----------------------------------

TEST_F(KafkaExportTest, RefusedWhileADaemonServesTheDataDirectory) {
  LogManager::Options o;
  o.data_dir = data_;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok());
  // The open manager removed the clean-shutdown marker; the lock is what refuses.
  ExpectRefused(Code::kBusy, "in use by another process");
  ASSERT_TRUE((*m)->Close().ok());
}

TEST_F(KafkaExportTest, RefusedWhileABrokerHoldsItsLock) {
  // A broker's lock: a classic fcntl lock over .lock (Java's
  // FileChannel.tryLock), held by another process until told to go.
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int fd = ::open((kafka_ + "/.lock").c_str(), O_RDWR);
    struct flock whole = {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;
    char ok = fd >= 0 && ::fcntl(fd, F_SETLK, &whole) == 0 ? 'y' : 'n';
    (void)!::write(ready[1], &ok, 1);
    (void)!::read(done[0], &ok, 1);
    ::_exit(0);
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  EXPECT_EQ(ok, 'y');
  ExpectRefused(Code::kBusy, "a Kafka broker");
  (void)!::write(done[1], &ok, 1);
  ::waitpid(child, nullptr, 0);
  for (int fd : {ready[0], ready[1], done[0], done[1]}) ::close(fd);
  EXPECT_TRUE(Export().ok());
}

TEST_F(KafkaExportTest, RefusedForADataDirectoryNotCleanlyShutDown) {
  fs::remove(data_ + "/.kafka_cleanshutdown");
  ExpectRefused(Code::kInvalidArgument, "not shut down cleanly");
}

TEST_F(KafkaExportTest, RefusedForADirectoryThatIsNotAKafkaLogDirectory) {
  fs::remove(kafka_ + "/meta.properties");
  ExpectRefused(Code::kInvalidArgument, "not a Kafka log directory");
}

TEST_F(KafkaExportTest, RefusedWhenAPartitionLacksTheBrokersPartitionMetadata) {
  fs::remove(kafka_ + "/orders-1/partition.metadata");
  ExpectRefused(Code::kInvalidArgument, "orders-1/partition.metadata is missing");
}

TEST_F(KafkaExportTest, RefusedWhenTheBrokerHasAnotherPartitionCount) {
  fs::remove_all(kafka_ + "/orders-1");
  ExpectRefused(Code::kInvalidArgument, "topic orders has 2 partitions in " + data_ + " but 1");
  MakeBrokerPartition("orders-1");
  MakeBrokerPartition("orders-2");
  ExpectRefused(Code::kInvalidArgument, "topic orders has 2 partitions in " + data_ + " but 3");
}

TEST_F(KafkaExportTest, RefusedWhenTheBrokerDoesNotHaveTheTopic) {
  fs::remove_all(kafka_ + "/one-0");
  ExpectRefused(Code::kInvalidArgument, "topic one is not in the broker's");
}

TEST_F(KafkaExportTest, RefusedForATopicNotInTheDataDirectory) {
  ExpectRefused(Code::kInvalidArgument, "topic other is not in", {"other"});
}

TEST_F(KafkaExportTest, EveryProblemIsNamedAtOnce) {
  fs::remove(kafka_ + "/orders-0/partition.metadata");
  fs::remove_all(kafka_ + "/one-0");
  auto r = Export();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("orders-0/partition.metadata is missing"), std::string::npos);
  EXPECT_NE(r.status().message().find("topic one is not in the broker's"), std::string::npos);
}

TEST_F(KafkaExportTest, RefusedForASegmentWhoseBatchesDoNotFrame) {
  // Bytes after the last batch of orders-0's last segment.
  std::string last;
  for (const auto& f : SegmentFiles(data_ + "/orders-0")) {
    if (f.ends_with(".log")) last = data_ + "/orders-0/" + f;
  }
  std::string bytes = ReadFile(last);
  WriteFile(last, bytes + std::string(30, '\x01'));
  ExpectRefused(Code::kCorruption, "at position " + std::to_string(bytes.size()) + " do not frame");
}

TEST_F(KafkaExportTest, LinkAcrossFilesystemsIsRefused) {
  // /dev/shm is a tmpfs; skipped where it shares the temporary directory's filesystem.
  struct stat a {}, b {};
  if (::stat("/dev/shm", &b) != 0 || ::stat(tmp_.path().c_str(), &a) != 0 || a.st_dev == b.st_dev) {
    GTEST_SKIP() << "no second filesystem at /dev/shm";
  }
  char templ[] = "/dev/shm/topicfs-export-XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  const std::string other = std::string(templ) + "/kafka-logs";
  fs::copy(kafka_, other, fs::copy_options::recursive);
  KafkaExportOptions o;
  o.data_dir = data_;
  o.kafka_log_dir = other;
  o.link = true;
  auto before = Snapshot(other);
  auto r = KafkaExport::Run(o);
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("one filesystem"), std::string::npos) << r.status().ToString();
  EXPECT_EQ(Snapshot(other), before);
  fs::remove_all(templ);
}

}  // namespace
}  // namespace topicfs::store
