// Cleanup benchmarks (issue 4): the log cleaner against cp on the same bytes,
// and retention of 1,000 segments against its one-second budget. Each store
// figure is read next to a baseline from the same process run
// (bench/CLEANUP_BENCH.md).
//
//   clean/cp       /bin/cp of a dirty partition's .log files (the bytes the
//                  cleaner would rewrite) into an empty directory.
//   clean/cleaner/file_delete_delay_ms:0
//                  LogCleaner::Clean of that partition: 256 MiB of .log in
//                  32 MiB segments, 100-byte keyed lines, 100,000 keys, ~24
//                  versions each; throughput = source .log bytes rewritten
//                  per second. vs_cp divides by the median cp throughput;
//                  vs_cp_paired is the median over iterations of cp time /
//                  clean time, cp run on the same files just before each
//                  cleaning (robust to load drifting during the run).
//   clean/cleaner/file_delete_delay_ms:60000  the same, the old segments
//                  only renamed .deleted (diagnostic: the pass without the
//                  unlinks; their deferred deletion is deferred_s).
//   retention/delete_old_segments/file_delete_delay_ms:{0,60000}/appender:0
//                  Log::DeleteOldSegments of 1,000 expired 16 KiB segments:
//                  files unlinked inline (delay 0) or only renamed .deleted
//                  (delay 60 s; the deferred unlinks are timed on their own
//                  and reported as the deferred_s counter).
//   retention/...appender:1  the same with a second thread appending one
//                  line at a time meanwhile (diagnostic): append_max_ms is
//                  how long retention kept the writer waiting.
//
// Every benchmark times only its own operation (UseManualTime); the fixture
// is rebuilt for every iteration outside the timed region, and fsynced so
// that writeback of the fixture does not run under the measurement. CPU
// counters are measured around the timed region only: the calling thread's
// CPU time for the store, the child's rusage for cp.
//
// Files go to a fresh directory under $TMPDIR (or /tmp), removed at exit.

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "store/base/clock.h"
#include "store/log/log.h"
#include "store/cleanup/log_cleaner.h"
#include "store/base/scheduler.h"

extern char** environ;

namespace topicfs::store {
namespace {

// ---- The dirty partition (clean/*) ----------------------------------------
constexpr int kLineBytes = 100;        // key + ':' + value, without the "\n"
constexpr int kKeys = 100'000;         // "k000000" .. "k099999"
constexpr int kLinesPerAppend = 1000;  // one Log::Append call, one batch
constexpr int64_t kDirtyLogBytes = int64_t{256} << 20;  // .log bytes to clean
constexpr int32_t kCleanSegmentBytes = 32 << 20;
constexpr double kCleanTarget = 0.3;   // cleaner MB/s >= 0.3 x cp MB/s

// ---- The expired partition (retention/*) ----------------------------------
constexpr int kRetainedSegments = 1000;  // segments that expire
constexpr int kLinesPerSegment = 100;    // one append = one ~11 KB batch = one segment
constexpr int32_t kRetentionSegmentBytes = 16 << 10;
constexpr int64_t kRetentionMs = 3'600'000;
constexpr double kRetentionTargetS = 1.0;

using bench::Die;
using bench::Median;
using bench::Samples;
using bench::Scratch;
using bench::SecondsSince;
using bench::SteadyClock;
using bench::ThreadCpuSeconds;

void Check(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

double ChildrenCpuSeconds() {
  rusage ru{};
  ::getrusage(RUSAGE_CHILDREN, &ru);
  auto s = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
  };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// ---- Scratch directory ----------------------------------------------------

// Writes back everything dirty on the scratch filesystem, so that writeback
// of a fixture does not run under a measurement.
void SyncScratch() {
  int fd = ::open(Scratch().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::syncfs(fd) != 0) Die("syncfs " + Scratch() + ": " + std::strerror(errno));
  ::close(fd);
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) Die("remove " + path + ": " + ec.message());
}

std::string UniqueName(const char* prefix) {
  static int n = 0;
  return std::string(prefix) + std::to_string(n++);
}

// ---- Fixtures -------------------------------------------------------------

std::unique_ptr<Log> OpenLog(const std::string& name, const LogConfig& config, const Clock* clock,
                             Scheduler* scheduler) {
  Log::Options o;
  o.dir = Scratch() + "/" + name + "-0";
  o.topic_partition = {name, 0};
  o.config = config;
  o.clock = clock;
  o.scheduler = scheduler;
  auto log = Log::Open(std::move(o));
  if (!log.ok()) Die("Log::Open: " + log.status().ToString());
  return std::move(log).value();
}

LogConfig CompactedConfig(int64_t file_delete_delay_ms) {
  LogConfig c;
  c.cleanup_delete = false;
  c.cleanup_compact = true;
  c.key_separator = ":";
  c.segment_bytes = kCleanSegmentBytes;
  c.file_delete_delay_ms = file_delete_delay_ms;
  return c;
}

// A compacted partition whose inactive segments hold kDirtyLogBytes of .log:
// lines "k<6 digits>:<92 value bytes>" with keys drawn uniformly (seeded)
// from kKeys, appended 1,000 per call, then rolled so the active segment is
// empty and every byte is cleanable. Always the same bytes for the same seed.
struct DirtyPartition {
  std::unique_ptr<Log> log;
  int64_t log_bytes = 0;       // .log bytes of the inactive segments
  int64_t records = 0;
  int64_t distinct_keys = 0;   // what a full cleaning must keep
  std::vector<std::string> log_files;  // the inactive segments' .log paths
};

DirtyPartition BuildDirtyPartition(const std::string& name, const Clock* clock,
                                   int64_t file_delete_delay_ms = 0,
                                   Scheduler* scheduler = nullptr) {
  DirtyPartition p;
  p.log = OpenLog(name, CompactedConfig(file_delete_delay_ms), clock, scheduler);
  std::mt19937_64 rng(20240613);
  std::uniform_int_distribution<int> key_dist(0, kKeys - 1);
  std::vector<char> seen(kKeys, 0);
  std::string text(static_cast<size_t>(kLinesPerAppend) * kLineBytes, '\0');
  std::vector<std::string_view> lines(kLinesPerAppend);
  int64_t appended = 0;
  while (p.log->Figures().size_bytes < kDirtyLogBytes) {
    for (int i = 0; i < kLinesPerAppend; ++i) {
      char* line = text.data() + static_cast<size_t>(i) * kLineBytes;
      const int key = key_dist(rng);
      seen[key] = 1;
      std::snprintf(line, 10, "k%06d:", key);
      for (int k = 8; k < kLineBytes; ++k) {
        line[k] = static_cast<char>('a' + (appended + i + k) % 26);
      }
      lines[i] = std::string_view(line, kLineBytes);
    }
    auto r = p.log->Append(lines);
    if (!r.ok()) Die("Append: " + r.status().ToString());
    appended += kLinesPerAppend;
  }
  Check(p.log->Roll(), "Roll");
  Check(p.log->Flush(), "Flush");
  auto segments = p.log->Segments();
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    p.log_bytes += segments[i]->size();
    p.log_files.push_back(segments[i]->log_path());
  }
  p.records = appended;
  p.distinct_keys = std::count(seen.begin(), seen.end(), 1);
  return p;
}

void DropPartition(std::unique_ptr<Log> log) {
  const std::string dir = log->dir();
  log->CloseWithoutFlush();
  log.reset();
  RemoveTree(dir);
}

// ---- 1. Cleaner throughput vs cp ------------------------------------------

void ReportThroughput(benchmark::State& state, double bytes, double seconds, double cpu,
                      const std::string& key) {
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["MB/s"] = bytes / seconds / 1e6;
  state.counters["cpu_s"] = cpu / static_cast<double>(state.iterations());
  state.counters["MB/cpu_s"] = bytes / cpu / 1e6;
  Samples()[key].push_back(bytes / seconds / 1e6);
  Samples()[key + ".cpu"].push_back(bytes / cpu / 1e6);
}

// One `cp file... dir` process copying `files` into a new directory dst;
// returns its wall seconds and adds the child's CPU seconds to *cpu. Checks
// the bytes copied, then removes dst and syncs (untimed).
double RunCp(const std::vector<std::string>& files, int64_t bytes, const std::string& dst,
             double* cpu) {
  std::vector<std::string> args = {"cp", "--"};
  args.insert(args.end(), files.begin(), files.end());
  args.push_back(dst);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::filesystem::create_directory(dst);
  auto t0 = SteadyClock::now();
  const double c0 = ChildrenCpuSeconds();
  pid_t pid;
  if (int err = ::posix_spawn(&pid, "/bin/cp", nullptr, nullptr, argv.data(), environ); err != 0) {
    Die(std::string("posix_spawn /bin/cp: ") + std::strerror(err));
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Die("cp failed");
  }
  const double dt = SecondsSince(t0);
  *cpu += ChildrenCpuSeconds() - c0;
  int64_t copied = 0;
  for (const auto& e : std::filesystem::directory_iterator(dst)) copied += e.file_size();
  if (copied != bytes) Die("cp copied " + std::to_string(copied) + " of " + std::to_string(bytes));
  RemoveTree(dst);
  SyncScratch();
  return dt;
}

// Baseline: cp of the inactive segments' .log files of a partition built
// exactly as the cleaner's (same seed, same bytes), fsynced, so the source is
// in the page cache as it is for the cleaner. One partition per repetition.
void BM_CleanCp(benchmark::State& state) {
  FakeClock clock;
  DirtyPartition p = BuildDirtyPartition(UniqueName("cpsrc"), &clock);
  const std::string dst = Scratch() + "/cp-dst";
  double seconds = 0, cpu = 0;
  for (auto _ : state) {
    const double dt = RunCp(p.log_files, p.log_bytes, dst, &cpu);
    state.SetIterationTime(dt);
    seconds += dt;
  }
  const double bytes = static_cast<double>(p.log_bytes) * static_cast<double>(state.iterations());
  state.counters["segments"] = static_cast<double>(p.log_files.size());
  ReportThroughput(state, bytes, seconds, cpu, "clean.cp");
  DropPartition(std::move(p.log));
}

// LogCleaner::Clean of a freshly built dirty partition per iteration, with
// the default 32 MiB key map. The timed region is the whole pass (key map,
// rewrite, fsync, swap, checkpoint) and, with file.delete.delay.ms = 0 (the
// target figure), the unlink of the old segments; with 60000 (diagnostic)
// those are only renamed, and their deferred deletion is timed apart
// (deferred_s). Checked: every .log byte read, one record per key kept.
void BM_CleanCleaner(benchmark::State& state) {
  const int64_t delay_ms = state.range(0);
  FakeClock clock;
  double seconds = 0, cpu = 0, bytes = 0, written = 0, deferred = 0;
  int64_t kept = 0, read = 0, segments = 0;
  std::vector<double> paired;
  for (auto _ : state) {
    state.PauseTiming();  // the fixture stays out of the CPU column too
    Scheduler scheduler(&clock, 0);  // runs delayed deletions only when told
    DirtyPartition p = BuildDirtyPartition(UniqueName("clean"), &clock, delay_ms, &scheduler);
    auto cleaner = std::make_unique<LogCleaner>(
        Scratch() + "/" + UniqueName("cleaner-offset-checkpoint"), &clock);
    SyncScratch();
    // The paired baseline: cp of these very files just before they are
    // cleaned, so that load on the machine moves both figures alike.
    double unused_cpu = 0;
    const double cp_dt = RunCp(p.log_files, p.log_bytes, Scratch() + "/cp-pair", &unused_cpu);
    state.ResumeTiming();
    auto t0 = SteadyClock::now();
    const double c0 = ThreadCpuSeconds();
    auto result = cleaner->Clean(*p.log);
    const double dc = ThreadCpuSeconds() - c0;
    const double dt = SecondsSince(t0);
    state.PauseTiming();
    if (!result.ok()) Die("Clean: " + result.status().ToString());
    if (result->bytes_read != p.log_bytes) {
      Die("cleaner read " + std::to_string(result->bytes_read) + " of " +
          std::to_string(p.log_bytes) + " .log bytes");
    }
    if (result->records_kept != p.distinct_keys || result->records_read != p.records) {
      Die("cleaner kept " + std::to_string(result->records_kept) + " of " +
          std::to_string(result->records_read) + " records; expected " +
          std::to_string(p.distinct_keys) + " of " + std::to_string(p.records));
    }
    state.SetIterationTime(dt);
    seconds += dt;
    cpu += dc;
    paired.push_back(cp_dt / dt);  // (bytes / dt) / (bytes / cp_dt)
    bytes += static_cast<double>(result->bytes_read);
    written += static_cast<double>(result->bytes_written);
    kept += result->records_kept;
    read += result->records_read;
    segments += result->segments_cleaned;
    clock.Advance(delay_ms);
    auto t1 = SteadyClock::now();
    scheduler.RunDueTasks();
    deferred += SecondsSince(t1);
    cleaner.reset();
    DropPartition(std::move(p.log));
    state.ResumeTiming();
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["segments"] = static_cast<double>(segments) / n;
  state.counters["records_read"] = static_cast<double>(read) / n;
  state.counters["records_kept"] = static_cast<double>(kept) / n;
  state.counters["MB_written"] = written / n / 1e6;
  state.counters["ns/record"] = cpu * 1e9 / static_cast<double>(read);
  state.counters["deferred_s"] = deferred / n;
  const std::string key = delay_ms == 0 ? "clean.cleaner" : "clean.cleaner." + std::to_string(delay_ms);
  ReportThroughput(state, bytes, seconds, cpu, key);
  state.counters["vs_cp_paired"] = Median(paired);
  for (double r : paired) Samples()[key + ".paired"].push_back(r);
  const double cp = Median(Samples()["clean.cp"]);
  if (cp > 0) state.counters["vs_cp"] = bytes / seconds / 1e6 / cp;
  const double cp_cpu = Median(Samples()["clean.cp.cpu"]);
  if (cp_cpu > 0) state.counters["cpu_vs_cp"] = bytes / cpu / 1e6 / cp_cpu;
}

// ---- 2. Retention of 1,000 segments ---------------------------------------

// 1,000 segments of one ~11 KB batch each (segment.bytes 16 KiB,
// segment.index.bytes 4096) written at the clock's start, then one fresh
// segment written retention.ms + 1 h later, so that exactly the first 1,000
// are past retention.ms. Flushed, so the old files are on disk, not delalloc.
//
// With appender:1 a second thread appends one line at a time to the same
// partition while DeleteOldSegments runs (diagnostic): append_max_ms is the
// longest single Log::Append, i.e. how long retention blocked the writer.
void BM_Retention(benchmark::State& state) {
  const int64_t delay_ms = state.range(0);
  const bool with_appender = state.range(1) != 0;
  double seconds = 0, cpu = 0, deferred = 0, append_max = 0;
  int64_t appends = 0;
  std::string text(static_cast<size_t>(kLinesPerSegment) * kLineBytes, 'x');
  std::vector<std::string_view> lines(kLinesPerSegment);
  for (int i = 0; i < kLinesPerSegment; ++i) {
    lines[i] = std::string_view(text.data() + static_cast<size_t>(i) * kLineBytes, kLineBytes);
  }
  for (auto _ : state) {
    state.PauseTiming();
    FakeClock clock;
    Scheduler scheduler(&clock, 0);  // runs delayed deletions only when told
    LogConfig config;
    config.segment_bytes = kRetentionSegmentBytes;
    config.segment_index_bytes = 4096;
    config.retention_ms = kRetentionMs;
    config.file_delete_delay_ms = delay_ms;
    std::unique_ptr<Log> log = OpenLog(UniqueName("retention"), config, &clock, &scheduler);
    for (int s = 0; s < kRetainedSegments; ++s) {
      if (!log->Append(lines).ok()) Die("Append failed");
    }
    if (log->Segments().size() != static_cast<size_t>(kRetainedSegments)) {
      Die("fixture has " + std::to_string(log->Segments().size()) + " segments, not " +
          std::to_string(kRetainedSegments));
    }
    clock.Advance(2 * kRetentionMs);
    if (!log->Append(lines).ok()) Die("Append failed");
    Check(log->Flush(), "Flush");
    SyncScratch();
    const Offset expected_start = log->Segments().back()->base_offset();

    std::atomic<int> phase{0};  // 0 = wait, 1 = appending, 2 = stop
    double worst = 0;
    int64_t count = 0;
    std::thread appender;
    if (with_appender) {
      appender = std::thread([&] {
        std::string_view one = lines[0];
        phase.wait(0);
        while (phase.load() == 1) {
          auto a0 = SteadyClock::now();
          if (!log->Append({&one, 1}).ok()) Die("concurrent Append failed");
          worst = std::max(worst, SecondsSince(a0));
          ++count;
          std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
      });
      phase = 1;
      phase.notify_all();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // appender running
    }
    state.ResumeTiming();

    auto t0 = SteadyClock::now();
    const double c0 = ThreadCpuSeconds();
    auto deleted = log->DeleteOldSegments();
    const double dc = ThreadCpuSeconds() - c0;
    const double dt = SecondsSince(t0);
    state.PauseTiming();
    if (with_appender) {
      phase = 2;
      appender.join();
      append_max = std::max(append_max, worst);
      appends += count;
    }
    if (!deleted.ok()) Die("DeleteOldSegments: " + deleted.status().ToString());
    if (*deleted != kRetainedSegments || log->log_start_offset() != expected_start) {
      Die("retention deleted " + std::to_string(*deleted) + " segments");
    }
    // The deferred half: what the scheduler does file.delete.delay.ms later.
    clock.Advance(delay_ms);
    auto t1 = SteadyClock::now();
    scheduler.RunDueTasks();
    const double dd = SecondsSince(t1);
    int64_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(log->dir())) {
      files += e.path().extension() == ".deleted" ? 1 : 0;
    }
    if (files != 0) Die(std::to_string(files) + " .deleted files left");

    state.SetIterationTime(dt);
    seconds += dt;
    cpu += dc;
    deferred += dd;
    DropPartition(std::move(log));
    state.ResumeTiming();
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["segments"] = kRetainedSegments;
  state.counters["cpu_s"] = cpu / n;
  state.counters["deferred_s"] = deferred / n;
  state.counters["vs_1s_budget"] = seconds / n / kRetentionTargetS;
  if (with_appender) {
    state.counters["append_max_ms"] = append_max * 1e3;
    state.counters["appends"] = static_cast<double>(appends) / n;
    return;  // diagnostic: not a target figure
  }
  const std::string key = "retention." + std::to_string(delay_ms);
  Samples()[key].push_back(seconds / n);
  Samples()[key + ".deferred"].push_back(deferred / n);
}

// Retention runs first: the cleaner frees ~1.3 GB per 5 repetitions, and on
// a filesystem mounted with -o discard those discards can still be slowing
// the device when the next benchmark starts (bench/CLEANUP_BENCH.md).
void RegisterAll() {
  benchmark::RegisterBenchmark("retention/delete_old_segments", BM_Retention)
      ->ArgNames({"file_delete_delay_ms", "appender"})
      ->Args({0, 0})->Args({60'000, 0})->Args({0, 1})->Args({60'000, 1})
      ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("clean/cp", BM_CleanCp)
      ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("clean/cleaner", BM_CleanCleaner)
      ->ArgName("file_delete_delay_ms")->Arg(0)->Arg(60'000)
      ->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
}

// The medians of every repetition that ran, against the targets.
void PrintSummary() {
  auto& s = Samples();
  auto med = [&](const std::string& k) { return s.count(k) ? Median(s[k]) : 0.0; };
  std::fprintf(stderr, "\nsummary (medians of the repetitions that ran)\n");
  if (s.count("clean.cp") && s.count("clean.cleaner")) {
    const double cp = med("clean.cp"), cl = med("clean.cleaner");
    const double ratio = cl / cp;
    std::fprintf(stderr,
                 "  cleaner %.0f MB/s vs cp %.0f MB/s (n=%zu/%zu): %.2fx, target >= %.1fx: %s"
                 " (%.2f of target)\n",
                 cl, cp, s["clean.cleaner"].size(), s["clean.cp"].size(), ratio, kCleanTarget,
                 ratio >= kCleanTarget ? "PASS" : "FAIL", ratio / kCleanTarget);
    const double paired = med("clean.cleaner.paired");
    std::fprintf(stderr, "  paired (cp of the same files just before each cleaning): %.2fx: %s\n",
                 paired, paired >= kCleanTarget ? "PASS" : "FAIL");
    std::fprintf(stderr, "  per CPU second: cleaner %.0f MB, cp %.0f MB: %.2fx\n",
                 med("clean.cleaner.cpu"), med("clean.cp.cpu"),
                 med("clean.cleaner.cpu") / med("clean.cp.cpu"));
  }
  if (s.count("clean.cp") && s.count("clean.cleaner.60000")) {
    const double cl = med("clean.cleaner.60000");
    std::fprintf(stderr,
                 "  (diagnostic) cleaner with file.delete.delay.ms=60000: %.0f MB/s, %.2fx cp, "
                 "paired %.2fx\n",
                 cl, cl / med("clean.cp"), med("clean.cleaner.60000.paired"));
  }
  for (const char* delay : {"0", "60000"}) {
    const std::string k = std::string("retention.") + delay;
    if (!s.count(k)) continue;
    const double t = med(k);
    std::fprintf(stderr,
                 "  retention of %d segments, file.delete.delay.ms=%s: %.1f ms (n=%zu), "
                 "budget %.0f ms: %s (%.3f of budget); deferred deletion %.1f ms\n",
                 kRetainedSegments, delay, t * 1e3, s[k].size(), kRetentionTargetS * 1e3,
                 t < kRetentionTargetS ? "PASS" : "FAIL", t / kRetentionTargetS,
                 med(k + ".deferred") * 1e3);
  }
}

}  // namespace
}  // namespace topicfs::store

int main(int argc, char** argv) {
  return topicfs::bench::RunBenchmarks(argc, argv, "cleanup_bench", topicfs::store::RegisterAll,
                                       topicfs::store::PrintSummary);
}
