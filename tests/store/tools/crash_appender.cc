// The crash test's child (tests/store/manager/crash_test.cc): opens a LogManager on
// a data directory, then appends batches of deterministic lines to one
// partition until it is killed, reporting on stdout every append that
// returned OK. The parent kills it with SIGKILL at a random moment and checks
// that everything reported is still there after recovery.
//
//   crash_appender <data-dir> <topic> <first-seq> <seed>
//
// Protocol (one line per event, each written with one write(2) to a pipe, so
// a kill never leaves half an event):
//   open <log end offset>                                   after loading
//   ack <first seq> <count> <first offset> <end offset>     after an append
//   error <message>                                         then exit 2

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "store/manager/log_manager.h"

namespace {

using topicfs::store::ConfigOverrides;
using topicfs::store::LogManager;
using topicfs::store::Status;

void Report(const std::string& event) {
  std::string line = event + "\n";
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(3);  // the parent went away
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// The line with sequence number `seq`: "r<seq>-" and 0..79 bytes of
// padding, all derived from seq, so the parent can tell a whole line from a
// torn one. crash_test.cc has the same function; keep the two equal.
std::string CrashLine(int64_t seq) {
  uint64_t h = static_cast<uint64_t>(seq) * 2654435761u;
  std::string line = "r" + std::to_string(seq) + "-";
  size_t padding = (h >> 7) % 80;
  for (size_t i = 0; i < padding; ++i) line.push_back(static_cast<char>('a' + (h + i) % 26));
  return line;
}

[[noreturn]] void Fail(const std::string& what, const Status& status) {
  Report("error " + what + ": " + status.ToString());
  std::_Exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <data-dir> <topic> <first-seq> <seed>\n", argv[0]);
    return 1;
  }
  const std::string data_dir = argv[1];
  const std::string topic = argv[2];
  int64_t seq = std::strtoll(argv[3], nullptr, 10);
  std::mt19937_64 rng(std::strtoull(argv[4], nullptr, 10));

  LogManager::Options options;
  options.data_dir = data_dir;
  // As the daemon runs: a background flush (flush.ms below) and checkpoint
  // writer, so kills also land while checkpoints are being replaced.
  options.background_interval_ms = 20;
  options.checkpoint_interval_ms = 20;
  auto opened = LogManager::Open(options);
  if (!opened.ok()) Fail("open", opened.status());
  std::unique_ptr<LogManager> manager = std::move(opened).value();
  if (!manager->TopicExists(topic)) {
    // Small segments and indexes so that a run rolls often and kills land
    // around rolls as well as appends.
    ConfigOverrides overrides = {{"internal.segment.bytes", "65536"},
                                 {"segment.index.bytes", "65536"},
                                 {"index.interval.bytes", "1024"},
                                 {"flush.ms", "100"}};
    Status created = manager->CreateTopic(topic, overrides);
    if (!created.ok()) Fail("create topic", created);
  }
  std::shared_ptr<topicfs::store::Log> log = manager->GetLog(topic, 0);
  if (log == nullptr) Fail("get log", Status::NotFound(topic + "-0"));
  Report("open " + std::to_string(log->log_end_offset().value));

  std::vector<std::string> lines;
  std::vector<std::string_view> views;
  while (true) {
    int count = std::uniform_int_distribution<int>(1, 50)(rng);
    lines.clear();
    views.clear();
    for (int i = 0; i < count; ++i) lines.push_back(CrashLine(seq + i));
    for (const auto& l : lines) views.push_back(l);
    auto appended = log->Append(views);
    if (!appended.ok()) Fail("append", appended.status());
    Report("ack " + std::to_string(seq) + " " + std::to_string(count) + " " +
           std::to_string(appended->first_offset.value) + " " +
           std::to_string(appended->end_offset.value));
    seq += count;
    if (std::uniform_int_distribution<int>(0, 7)(rng) == 0) {
      Status flushed = log->Flush();
      if (!flushed.ok()) Fail("flush", flushed);
    }
    // Pacing keeps the data directory small over fifty runs.
    ::usleep(std::uniform_int_distribution<useconds_t>(0, 1000)(rng));
  }
}
