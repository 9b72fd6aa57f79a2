// Crash recovery end to end: a child process (crash_appender) appends to a
// partition through a LogManager and reports every append that returned; we
// SIGKILL it at a random moment, recover the data directory, and check that
// every reported append is there at its offset, that whatever follows is
// whole lines, that every batch passes its checks and that the indexes agree
// with the log. The next run appends to the same directory, so each run also
// starts from what the previous recovery left.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/manager/log_manager.h"
#include "store/format/record_reader.h"
#include "store/format/batch_header.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {

namespace {

using testing::ReadAll;
using testing::TempDir;

#ifdef TOPICFS_SANITIZED
constexpr int kRuns = 15;  // a sanitized child starts and appends several times slower
#else
constexpr int kRuns = 50;
#endif
constexpr char kTopic[] = "crash";
constexpr char kAppender[] = TOPICFS_BINARY_DIR "/crash_appender";

// crash_appender.cc has the same function; keep the two equal.
std::string CrashLine(int64_t seq) {
  uint64_t h = static_cast<uint64_t>(seq) * 2654435761u;
  std::string line = "r" + std::to_string(seq) + "-";
  size_t padding = (h >> 7) % 80;
  for (size_t i = 0; i < padding; ++i) line.push_back(static_cast<char>('a' + (h + i) % 26));
  return line;
}

struct Ack {
  int64_t first_seq = 0;
  int64_t count = 0;
  int64_t first_offset = 0;
  int64_t end_offset = 0;
};

// What one child run reported before it was killed.
struct ChildReport {
  std::optional<int64_t> open_end_offset;
  std::vector<Ack> acks;
  std::string error;  // the child failed on its own
  bool exec_failed = false;
};

ChildReport Parse(const std::string& out) {
  ChildReport report;
  std::istringstream in(out);
  std::string line;
  // A line without its newline cannot happen (one write(2) per event), but
  // if it did it would not be an event the child finished reporting.
  while (std::getline(in, line)) {
    if (in.eof()) break;
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind == "open") {
      int64_t leo = 0;
      fields >> leo;
      report.open_end_offset = leo;
    } else if (kind == "ack") {
      Ack a;
      fields >> a.first_seq >> a.count >> a.first_offset >> a.end_offset;
      report.acks.push_back(a);
    } else {
      report.error += line + "\n";
    }
  }
  return report;
}

// Starts the appender and kills it with SIGKILL kill_after_ms after it
// reported its open (or, with from_start, after it was started: then the
// kill may land while it loads and recovers), collecting its reports
// meanwhile so it never blocks on a full pipe.
ChildReport RunAndKill(const std::string& data_dir, int64_t first_seq, uint64_t seed,
                       int kill_after_ms, bool from_start) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return {};
  }
  std::string seq_arg = std::to_string(first_seq);
  std::string seed_arg = std::to_string(seed);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);  // dup2 clears O_CLOEXEC on the copy
    ::execl(kAppender, kAppender, data_dir.c_str(), kTopic, seq_arg.c_str(), seed_arg.c_str(),
            static_cast<char*>(nullptr));
    // No allocation between fork and exec: only async-signal-safe calls.
    static const char kFailed[] = "exec-failed\n";
    (void)!::write(STDOUT_FILENO, kFailed, sizeof(kFailed) - 1);
    ::_exit(127);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return {};
  }

  std::string out;
  char buf[4096];
  // A slow (sanitized, loaded) machine may take seconds to start the child.
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(from_start ? kill_after_ms : 30'000);
  bool opened = from_start;
  bool eof = false;
  while (!eof) {
    if (!opened && out.find('\n') != std::string::npos) {
      opened = true;
      deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kill_after_ms);
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    pollfd p{fds[0], POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready <= 0) continue;
    ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n > 0) out.append(buf, static_cast<size_t>(n));
    if (n == 0) eof = true;  // the child exited on its own
  }
  ::kill(pid, SIGKILL);
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);

  ChildReport report = Parse(out);
  report.exec_failed = out.starts_with("exec-failed\n");
  if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
    report.error += "child exited by itself, status " + std::to_string(status) + "\n";
  }
  return report;
}

// Every batch of every segment passes VerifyBatch, batches and segments are
// contiguous in offsets, every offset index entry names a batch start and
// that batch's last offset, time index entries never go back.
void CheckSegments(const Log& log) {
  auto segments = log.Segments();
  ASSERT_FALSE(segments.empty());
  for (size_t i = 0; i < segments.size(); ++i) {
    const LogSegment& segment = *segments[i];
    SCOPED_TRACE(segment.log_path());
    if (i + 1 < segments.size()) {
      EXPECT_EQ(segment.next_offset(), segments[i + 1]->base_offset()) << "segments not contiguous";
    }
    auto batches = segment.Batches();
    ASSERT_TRUE(batches.ok()) << batches.status().ToString();
    std::map<int64_t, Offset> last_offset_at;  // position -> last offset
    Offset expected_base = segment.base_offset();
    int64_t expected_pos = 0;
    for (const auto& b : *batches) {
      EXPECT_EQ(b.position.value, expected_pos);
      EXPECT_EQ(b.base_offset, expected_base) << "batch at " << b.position.value;
      auto bytes = segment.BatchBytes(b);
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      Status valid = VerifyBatch(bytes->second);
      EXPECT_TRUE(valid.ok()) << "batch at " << b.position.value << ": " << valid.ToString();
      last_offset_at[b.position.value] = b.last_offset;
      expected_pos += b.size;
      // Lines are never empty here, so the next batch starts after this one's
      // last record, at the end of its presented bytes.
      RecordReader reader(bytes->second);
      RecordView rec;
      Offset end = b.last_offset + 1;
      while (reader.Next(&rec)) end = rec.offset + static_cast<int64_t>(rec.value->size()) + 1;
      EXPECT_TRUE(reader.status().ok()) << reader.status().ToString();
      expected_base = end;
    }
    EXPECT_EQ(expected_pos, segment.size());
    EXPECT_EQ(expected_base, segment.next_offset());

    const OffsetIndex& index = segment.offset_index();
    Offset previous(-1);
    for (int n = 0; n < index.entries(); ++n) {
      OffsetIndex::Entry e = index.EntryAt(n);
      auto it = last_offset_at.find(e.position.value);
      if (it == last_offset_at.end()) {
        ADD_FAILURE() << "offset index entry " << n << " (" << e.offset.value << ", "
                      << e.position.value << ") points at no batch start";
        continue;
      }
      EXPECT_EQ(e.offset, it->second) << "offset index entry " << n;
      EXPECT_GT(e.offset, previous) << "offset index entry " << n;
      previous = e.offset;
    }
    const TimeIndex& times = segment.time_index();
    TimeIndex::Entry last{Timestamp(-1), segment.base_offset()};
    for (int n = 0; n < times.entries(); ++n) {
      TimeIndex::Entry e = times.EntryAt(n);
      EXPECT_GE(e.timestamp, last.timestamp) << "time index entry " << n;
      EXPECT_GE(e.offset, last.offset) << "time index entry " << n;
      EXPECT_LT(e.offset, segment.next_offset()) << "time index entry " << n;
      last = e;
    }
  }
}

// Recovers data_dir and checks it against `content` (everything the earlier
// runs left) plus this run's acknowledged appends. On success `content`
// becomes what is there now, unacknowledged whole lines included.
void RecoverAndCheck(const std::string& data_dir, const ChildReport& report, int64_t first_seq,
                     std::string* content) {
  std::string expected = *content;
  if (report.open_end_offset) {
    EXPECT_EQ(*report.open_end_offset, static_cast<int64_t>(expected.size()))
        << "the child did not find the log the previous recovery left";
  }
  int64_t next_seq = first_seq;
  for (const Ack& ack : report.acks) {
    ASSERT_EQ(ack.first_seq, next_seq);
    ASSERT_EQ(ack.first_offset, static_cast<int64_t>(expected.size()));
    for (int64_t i = 0; i < ack.count; ++i) expected += CrashLine(next_seq++) + "\n";
    ASSERT_EQ(ack.end_offset, static_cast<int64_t>(expected.size()));
  }

  LogManager::Options options;
  options.data_dir = data_dir;
  auto opened = LogManager::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<LogManager> manager = std::move(opened).value();
  if (report.open_end_offset) {
    EXPECT_FALSE(manager->had_clean_shutdown()) << "the child's open should have removed the marker";
  }
  std::shared_ptr<Log> log = manager->GetLog(kTopic, 0);
  if (log == nullptr) {
    // Killed before it created the topic.
    ASSERT_TRUE(expected.empty());
    ASSERT_TRUE(manager->Close().ok());
    return;
  }
  std::string actual = ReadAll(*log);
  ASSERT_EQ(static_cast<int64_t>(actual.size()), log->log_end_offset().value);
  ASSERT_GE(actual.size(), expected.size()) << "acknowledged appends were lost";
  auto mismatch = std::mismatch(expected.begin(), expected.end(), actual.begin());
  ASSERT_TRUE(mismatch.first == expected.end())
      << "acknowledged data differs at offset " << (mismatch.first - expected.begin());

  // After the last acknowledgement: appends that returned but were not yet
  // reported, whole lines only, in sequence.
  size_t pos = expected.size();
  while (pos < actual.size()) {
    size_t nl = actual.find('\n', pos);
    ASSERT_NE(nl, std::string::npos) << "torn line at offset " << pos;
    ASSERT_EQ(actual.substr(pos, nl - pos), CrashLine(next_seq))
        << "unexpected line at offset " << pos;
    ++next_seq;
    pos = nl + 1;
  }
  int64_t lines = std::count(actual.begin(), actual.end(), '\n');
  EXPECT_EQ(log->Figures().records, lines);
  ASSERT_NO_FATAL_FAILURE(CheckSegments(*log));

  Status closed = manager->Close();
  ASSERT_TRUE(closed.ok()) << closed.ToString();
  *content = std::move(actual);
}

TEST(CrashTest, AcknowledgedAppendsSurviveSigkillAndRecoveryIsConsistent) {
  ASSERT_TRUE(testing::FileExists(kAppender)) << kAppender << " is not built";
  TempDir dir;
  const std::string data_dir = dir / "data";
  std::mt19937_64 rng(20261125);
  std::string content;
  int64_t acked_appends = 0;
  int runs_that_opened = 0;
  for (int run = 0; run < kRuns; ++run) {
    SCOPED_TRACE("run " + std::to_string(run));
    const int64_t first_seq = (run + 1) * int64_t{1'000'000};
    const int kill_after_ms = std::uniform_int_distribution<int>(20, 300)(rng);
    const uint64_t child_seed = rng();
    // One run in four is killed counting from its start, mostly while it
    // opens the directory and recovers.
    const bool from_start = run % 4 == 3;
    ChildReport report = RunAndKill(data_dir, first_seq, child_seed, kill_after_ms, from_start);
    // A build relinking the appender in a shared build directory makes exec
    // fail for a moment; that is no crash to check, so try again.
    for (int retry = 0; report.exec_failed && retry < 5; ++retry) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      report = RunAndKill(data_dir, first_seq, child_seed, kill_after_ms, from_start);
    }
    ASSERT_TRUE(report.error.empty()) << report.error;
    acked_appends += static_cast<int64_t>(report.acks.size());
    runs_that_opened += report.open_end_offset ? 1 : 0;

    // Every other run is checked on a copy, so the next child itself has to
    // recover the crashed directory; the others are checked in place and
    // closed cleanly, so the next child starts from a clean shutdown with
    // checkpoints, and its crash is recovered from the recovery point.
    if (run % 2 == 1) {
      const std::string copy = dir / "copy";
      std::filesystem::copy(data_dir, copy, std::filesystem::copy_options::recursive);
      ASSERT_NO_FATAL_FAILURE(RecoverAndCheck(copy, report, first_seq, &content));
      std::filesystem::remove_all(copy);
    } else {
      ASSERT_NO_FATAL_FAILURE(RecoverAndCheck(data_dir, report, first_seq, &content));
    }
  }
  // The kills must have landed while appending, not only while starting.
  EXPECT_GE(runs_that_opened, kRuns * 3 / 4);
  EXPECT_GT(acked_appends, kRuns * 5);
  RecordProperty("acked_appends", std::to_string(acked_appends));
  RecordProperty("bytes", std::to_string(content.size()));
}

}  // namespace
}  // namespace topicfs::store
