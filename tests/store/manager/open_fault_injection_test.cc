// A failed open changes nothing: for every file call that opening a data
// directory makes (listing, opening, sizing, mapping, truncating, renaming,
// syncing...), a failure injected there, once or from then on, with EIO or
// EMFILE, leaves every segment's .log byte-identical, and a later open
// without faults serves every record. The loop walks the injection point
// forward until an open sees no fault at all.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "store/io/file_io.h"
#include "store/manager/log_manager.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

constexpr int kTopics = 2;
constexpr int kPartitions = 2;
constexpr int kLinesPerPartition = 300;
// Every injection point; under the sanitizers (several times slower) every
// third, so that the loop still meets each kind of call.
#ifdef TOPICFS_SANITIZED
constexpr int kPointStep = 3;
#else
constexpr int kPointStep = 1;
#endif

std::string TopicName(int t) { return "topic" + std::to_string(t); }

std::string Line(int t, int p, int i) {
  return fmt::format("t{} p{} line {} {}", t, p, i, std::string(static_cast<size_t>(i % 37), 'x'));
}

// Every .log file under dir (its segments, whatever their suffix), by path
// relative to dir, with its bytes.
std::map<std::string, std::string> LogFiles(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.find(".log") == std::string::npos) continue;
    files[fs::relative(entry.path(), dir).string()] = testing::ReadFile(entry.path().string());
  }
  return files;
}

void CopyTree(const std::string& from, const std::string& to) {
  fs::remove_all(to);
  fs::copy(from, to, fs::copy_options::recursive);
}

// A data directory of kTopics topics x kPartitions partitions, several
// segments each; closed cleanly, or left as a crash would (no marker).
void MakeDataDirectory(const std::string& dir, bool clean) {
  LogManager::Options o;
  o.data_dir = dir;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  for (int t = 0; t < kTopics; ++t) {
    ASSERT_TRUE((*m)->CreateTopic(TopicName(t), {{"partitions", std::to_string(kPartitions)},
                                                 {"internal.segment.bytes", "2048"}})
                    .ok());
    for (int p = 0; p < kPartitions; ++p) {
      auto log = (*m)->GetLog(TopicName(t), p);
      for (int i = 0; i < kLinesPerPartition; i += 10) {
        std::vector<std::string> lines;
        for (int j = i; j < i + 10; ++j) lines.push_back(Line(t, p, j));
        std::vector<std::string_view> views(lines.begin(), lines.end());
        ASSERT_TRUE(log->Append(views).ok());
      }
    }
  }
  ASSERT_TRUE((*m)->Close().ok());
  if (!clean) fs::remove(dir + "/.kafka_cleanshutdown");
}

void ExpectEveryRecord(const std::string& dir) {
  LogManager::Options o;
  o.data_dir = dir;
  auto m = LogManager::Open(o);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  for (int t = 0; t < kTopics; ++t) {
    for (int p = 0; p < kPartitions; ++p) {
      std::string expected;
      for (int i = 0; i < kLinesPerPartition; ++i) expected += Line(t, p, i) + "\n";
      auto log = (*m)->GetLog(TopicName(t), p);
      ASSERT_NE(log, nullptr);
      EXPECT_EQ(testing::ReadAll(*log), expected) << TopicName(t) << "-" << p;
    }
  }
  ASSERT_TRUE((*m)->Close().ok());
}

struct Fault {
  int err;
  bool sticky;
};

class OpenFaultInjectionTest : public ::testing::TestWithParam<std::tuple<bool, Fault>> {};

TEST_P(OpenFaultInjectionTest, AFailureAtAnyStepLeavesEverySegmentByteIdentical) {
  const auto [clean, fault] = GetParam();
  TempDir dir;
  const std::string pristine = dir / "pristine";
  const std::string data = dir / "data";
  ASSERT_NO_FATAL_FAILURE(MakeDataDirectory(pristine, clean));
  const auto before = LogFiles(pristine);
  ASSERT_GE(before.size(), static_cast<size_t>(kTopics * kPartitions * 3));

  int points = 0;
  for (int n = 0;; n += kPointStep) {
    SCOPED_TRACE(fmt::format("fault at call {}", n));
    CopyTree(pristine, data);
    FaultInjectingFileIo io;
    io.SkipSyncs(true);
    io.FailAfter(FaultInjectingFileIo::kAll, n, fault.err, fault.sticky);
    LogManager::Options o;
    o.data_dir = data;
    o.io = &io;
    {
      auto m = LogManager::Open(o);
      // An open that survived the fault (a partition served offline, a
      // failed checkpoint) closes: that must not change a segment either.
      if (m.ok()) (void)(*m)->Close();
    }
    ASSERT_EQ(LogFiles(data), before) << "a segment changed";
    if (io.injected() == 0) break;
    ++points;
  }
  EXPECT_GT(points * kPointStep, 50) << "the loop met few file calls";
  // What the last round left (the open that met no fault) serves everything.
  ASSERT_NO_FATAL_FAILURE(ExpectEveryRecord(data));
}

std::string Name(const ::testing::TestParamInfo<std::tuple<bool, Fault>>& info) {
  const auto [clean, fault] = info.param;
  return fmt::format("{}_{}_{}", clean ? "Clean" : "Unclean", fault.err == EIO ? "EIO" : "EMFILE",
                     fault.sticky ? "FromThenOn" : "Once");
}

INSTANTIATE_TEST_SUITE_P(Faults, OpenFaultInjectionTest,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(Fault{EIO, false}, Fault{EIO, true},
                                                              Fault{EMFILE, false}, Fault{EMFILE, true})),
                         Name);

}  // namespace
}  // namespace topicfs::store
