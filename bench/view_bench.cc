// How fast a view resolves its start on a partition of 10 million records
// (issue 5: time-to-offset median <= 50 us), against the same lookup done
// without the time index, in the same process (bench/VIEW_BENCH.md).
//
//   time_lookup/scan_no_index   baseline: the batch headers walked from the
//                  log start until one is new enough, then its records: what
//                  resolving `0@<time>` would cost without .timeindex.
//   time_lookup/index           Log::OffsetForTimestamp (time index, then
//                  offset index, then one batch's records), warm.
//   time_lookup/after_reopen    the first OffsetForTimestamp after the Log
//                  was closed and opened again (indexes and .log mapped
//                  anew; the page cache stays warm). The reopen itself is
//                  the open_ms counter, not in the figure.
//   last_n/n:{10,1000,100000}   Log::OffsetOfNthRecordFromEnd(n): `0@-n`.
//   offset_lookup/first_at_or_after   Log::FirstRecordAtOrAfter at a random
//                  byte offset: `0@<offset>`.
//
// The partition is built once per process as a producer would write it:
// writes of 100 lines of 100 bytes, the record timestamps from a FakeClock
// advanced 50-150 ms between writes (about 1,000 records/s, so 10 M records
// span ~2.8 hours), Kafka's default config (segment.bytes 1 GiB,
// index.interval.bytes 4096). Every answer is checked against a model of
// what was appended. Lookup keys are drawn once (seeded), the same for the
// baseline and the index.
//
// Each lookup is timed on its own (steady_clock, ~20 ns); a benchmark's
// counters are that repetition's p50/p99 in microseconds. Files go to a
// fresh directory under $TMPDIR (or /tmp), removed at exit.

#include <sys/resource.h>
#include <sys/statfs.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "store/base/clock.h"
#include "store/log/log.h"

namespace topicfs::store {
namespace {

using bench::Die;
using bench::Median;
using bench::Percentile;
using bench::Samples;
using bench::Scratch;
using bench::SecondsSince;
using bench::SteadyClock;

constexpr int64_t kRecords = 10'000'000;
constexpr int kLinesPerWrite = 100;
constexpr int kLineBytes = 100;
constexpr int64_t kPresented = kLineBytes + 1;  // a record moves the offset by line + "\n"
constexpr int kKeys = 100'000;                  // pre-drawn lookup keys
constexpr double kTargetUs = 50;

// ---- The partition and its model ------------------------------------------

struct Fixture {
  FakeClock clock;
  std::unique_ptr<Log> log;
  // One entry per write: its timestamp (all its records share it) and the
  // offset of its first record. Offsets rise by kPresented per record.
  std::vector<int64_t> write_ts;
  std::vector<int64_t> write_offset;
  Offset end;
  std::vector<Timestamp> ts_keys;
  std::vector<Offset> offset_keys;
};

Fixture* g_fixture = nullptr;

std::unique_ptr<Log> OpenLog(Fixture& f, bool clean_shutdown) {
  Log::Options o;
  o.dir = Scratch() + "/view-0";
  o.topic_partition = {"view", 0};
  o.clock = &f.clock;
  o.had_clean_shutdown = clean_shutdown;
  auto log = Log::Open(std::move(o));
  if (!log.ok()) Die("Log::Open: " + log.status().ToString());
  return std::move(log).value();
}

const char* FilesystemName(const std::string& path) {
  struct statfs s{};
  if (::statfs(path.c_str(), &s) != 0) return "?";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0x01021994: return "tmpfs";
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: return "other";
  }
}

Fixture& GetFixture() {
  if (g_fixture != nullptr) return *g_fixture;
  auto* f = new Fixture;
  f->log = OpenLog(*f, false);
  std::mt19937_64 rng(20261125);
  std::uniform_int_distribution<int64_t> gap_ms(50, 150);
  std::string text(static_cast<size_t>(kLinesPerWrite) * kLineBytes, '\0');
  std::vector<std::string_view> lines(kLinesPerWrite);
  const auto t0 = SteadyClock::now();
  for (int64_t n = 0; n < kRecords; n += kLinesPerWrite) {
    for (int i = 0; i < kLinesPerWrite; ++i) {
      char* line = text.data() + static_cast<size_t>(i) * kLineBytes;
      std::snprintf(line, 12, "%010lld ", static_cast<long long>(n + i));
      for (int k = 11; k < kLineBytes; ++k) line[k] = static_cast<char>('a' + (n + i + k) % 26);
      lines[i] = std::string_view(line, kLineBytes);
    }
    f->write_ts.push_back(f->clock.Now().value);
    auto r = f->log->Append(lines);
    if (!r.ok()) Die("Append: " + r.status().ToString());
    f->write_offset.push_back(r->first_offset.value);
    f->clock.Advance(gap_ms(rng));
  }
  const double append_s = SecondsSince(t0);
  if (Status s = f->log->Flush(); !s.ok()) Die("Flush: " + s.ToString());
  f->end = f->log->log_end_offset();
  if (f->end.value != kRecords * kPresented) Die("log end differs from the lines appended");

  const LogFigures fig = f->log->Figures();
  int64_t index_entries = 0, time_entries = 0;
  for (const auto& seg : f->log->Segments()) {
    index_entries += seg->offset_index().entries();
    time_entries += seg->time_index().entries();
  }
  std::fprintf(stderr,
               "fixture: %lld records in %zu writes, %lld segments, %lld .log bytes, "
               "%lld offset index + %lld time index entries, timestamps over %.1f h; "
               "built in %.1f s; data dir %s (%s)\n",
               static_cast<long long>(fig.records), f->write_ts.size(),
               static_cast<long long>(fig.segments), static_cast<long long>(fig.size_bytes),
               static_cast<long long>(index_entries), static_cast<long long>(time_entries),
               static_cast<double>(f->write_ts.back() - f->write_ts.front()) / 3.6e6, append_s,
               Scratch().c_str(), FilesystemName(Scratch()));

  std::uniform_int_distribution<int64_t> ts_dist(f->write_ts.front(), f->write_ts.back());
  std::uniform_int_distribution<int64_t> off_dist(0, f->end.value - 1);
  for (int i = 0; i < kKeys; ++i) {
    f->ts_keys.push_back(Timestamp(ts_dist(rng)));
    f->offset_keys.push_back(Offset(off_dist(rng)));
  }
  g_fixture = f;
  return *f;
}

void CloseFixture() {
  if (g_fixture == nullptr) return;
  if (Status s = g_fixture->log->Close(); !s.ok()) Die("Close: " + s.ToString());
  delete g_fixture;
  g_fixture = nullptr;
}

// The model's answer: the first record of the first write at or after ts.
Offset ExpectedForTimestamp(const Fixture& f, Timestamp ts) {
  auto it = std::lower_bound(f.write_ts.begin(), f.write_ts.end(), ts.value);
  if (it == f.write_ts.end()) Die("timestamp key past the last write");
  return Offset(f.write_offset[static_cast<size_t>(it - f.write_ts.begin())]);
}

void CheckTimeAnswer(const Fixture& f, Timestamp ts, const std::optional<Offset>& got) {
  const Offset want = ExpectedForTimestamp(f, ts);
  if (!got || *got != want) {
    Die("OffsetForTimestamp(" + std::to_string(ts.value) + ") = " +
        (got ? std::to_string(got->value) : "none") + ", expected " + std::to_string(want.value));
  }
}

// Minor page faults of this process so far: a first lookup's cost is
// mostly faults on freshly mapped index and log pages.
int64_t MinorFaults() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// ---- Reporting ---------------------------------------------------------------

// Sets p50_us/p99_us of one repetition, keeps them for the summary and, if
// a baseline ran earlier, the ratio of the p50s.
void Report(benchmark::State& state, std::vector<double>& us, const std::string& key,
            const std::string& baseline = "") {
  std::sort(us.begin(), us.end());
  const double p50 = Percentile(us, 0.50), p99 = Percentile(us, 0.99);
  state.counters["p50_us"] = p50;
  state.counters["p99_us"] = p99;
  Samples()[key + ".p50"].push_back(p50);
  Samples()[key + ".p99"].push_back(p99);
  auto it = Samples().find(baseline + ".p50");
  if (!baseline.empty() && it != Samples().end()) {
    state.counters["baseline/index"] = Median(it->second) / p50;
  }
}

template <typename Fn>
double TimeUs(benchmark::State& state, Fn fn) {
  const auto t0 = SteadyClock::now();
  fn();
  const double dt = SecondsSince(t0);
  state.SetIterationTime(dt);
  return dt * 1e6;
}

// ---- Benchmarks ----------------------------------------------------------------

// Baseline: without a time index, walk batch headers from the first segment
// on until a batch holds a record new enough, then that batch's records.
std::optional<Offset> ScanForTimestamp(const Log& log, Timestamp ts) {
  std::optional<Offset> found;
  for (const auto& seg : log.Segments()) {
    std::optional<BatchLocation> hit;
    Status s = seg->ScanBatches(FilePosition(0), [&](const BatchLocation& b) {
      if (b.control || b.max_timestamp < ts) return true;
      hit = b;
      return false;
    });
    if (!s.ok()) Die("ScanBatches: " + s.ToString());
    if (!hit) continue;
    s = seg->ForEachRecord(*hit, [&](const RecordView& r) {
      if (!found && r.timestamp >= ts) found = r.offset;
    });
    if (!s.ok()) Die("ForEachRecord: " + s.ToString());
    if (found) break;
  }
  return found;
}

void BM_TimeScan(benchmark::State& state) {
  Fixture& f = GetFixture();
  std::vector<double> us;
  size_t i = 0;
  for (auto _ : state) {
    const Timestamp ts = f.ts_keys[i++ % f.ts_keys.size()];
    std::optional<Offset> got;
    us.push_back(TimeUs(state, [&] { got = ScanForTimestamp(*f.log, ts); }));
    CheckTimeAnswer(f, ts, got);
  }
  Report(state, us, "time.scan");
}

void BM_TimeIndex(benchmark::State& state) {
  Fixture& f = GetFixture();
  std::vector<double> us;
  us.reserve(static_cast<size_t>(state.max_iterations));
  size_t i = 0;
  for (auto _ : state) {
    const Timestamp ts = f.ts_keys[i++ % f.ts_keys.size()];
    Result<std::optional<Offset>> got = std::optional<Offset>();
    us.push_back(TimeUs(state, [&] { got = f.log->OffsetForTimestamp(ts); }));
    if (!got.ok()) Die("OffsetForTimestamp: " + got.status().ToString());
    CheckTimeAnswer(f, ts, *got);
  }
  Report(state, us, "time.index", "time.scan");
}

// One iteration: close and reopen the Log (untimed), then one timed lookup.
void BM_TimeAfterReopen(benchmark::State& state) {
  Fixture& f = GetFixture();
  std::vector<double> us, open_ms, faults;
  size_t i = kKeys / 2;  // keys not used right before by BM_TimeIndex's first iterations
  for (auto _ : state) {
    if (Status s = f.log->Close(); !s.ok()) Die("Close: " + s.ToString());
    f.log.reset();
    const auto t0 = SteadyClock::now();
    f.log = OpenLog(f, true);
    open_ms.push_back(SecondsSince(t0) * 1e3);
    const Timestamp ts = f.ts_keys[i++ % f.ts_keys.size()];
    Result<std::optional<Offset>> got = std::optional<Offset>();
    const int64_t faults0 = MinorFaults();
    us.push_back(TimeUs(state, [&] { got = f.log->OffsetForTimestamp(ts); }));
    faults.push_back(static_cast<double>(MinorFaults() - faults0));
    if (!got.ok()) Die("OffsetForTimestamp: " + got.status().ToString());
    CheckTimeAnswer(f, ts, *got);
  }
  state.counters["faults"] = Median(faults);
  Samples()["reopen.faults"].push_back(Median(faults));
  state.counters["open_ms"] = Median(open_ms);
  Samples()["reopen.open_ms"].push_back(Median(open_ms));
  Report(state, us, "time.reopen", "time.scan");
}

void BM_LastN(benchmark::State& state) {
  Fixture& f = GetFixture();
  const int64_t n = state.range(0);
  const Offset want(f.end.value - n * kPresented);
  std::vector<double> us;
  for (auto _ : state) {
    Result<Offset> got = Offset(0);
    us.push_back(TimeUs(state, [&] { got = f.log->OffsetOfNthRecordFromEnd(n); }));
    if (!got.ok() || *got != want) Die("OffsetOfNthRecordFromEnd(" + std::to_string(n) + ") wrong");
  }
  Report(state, us, "last_n." + std::to_string(n));
}

void BM_FirstAtOrAfter(benchmark::State& state) {
  Fixture& f = GetFixture();
  std::vector<double> us;
  us.reserve(static_cast<size_t>(state.max_iterations));
  size_t i = 0;
  for (auto _ : state) {
    const Offset at = f.offset_keys[i++ % f.offset_keys.size()];
    Result<Offset> got = Offset(0);
    us.push_back(TimeUs(state, [&] { got = f.log->FirstRecordAtOrAfter(at); }));
    const Offset want((at.value + kPresented - 1) / kPresented * kPresented);
    if (!got.ok() || *got != want) Die("FirstRecordAtOrAfter(" + std::to_string(at.value) + ") wrong");
  }
  Report(state, us, "offset.first_at_or_after");
}

void RegisterAll() {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("time_lookup/scan_no_index", BM_TimeScan)
      ->Iterations(40)->UseManualTime()->Unit(benchmark::kMicrosecond);
  RegisterBenchmark("time_lookup/index", BM_TimeIndex)
      ->Iterations(kKeys)->UseManualTime()->Unit(benchmark::kMicrosecond);
  RegisterBenchmark("time_lookup/after_reopen", BM_TimeAfterReopen)
      ->Iterations(30)->UseManualTime()->Unit(benchmark::kMicrosecond);
  RegisterBenchmark("last_n", BM_LastN)
      ->ArgName("n")->Arg(10)->Arg(1000)->Arg(100'000)
      ->Iterations(2000)->UseManualTime()->Unit(benchmark::kMicrosecond);
  RegisterBenchmark("offset_lookup/first_at_or_after", BM_FirstAtOrAfter)
      ->Iterations(kKeys)->UseManualTime()->Unit(benchmark::kMicrosecond);
}

// Medians over the repetitions of each repetition's p50 and p99.
void PrintSummary() {
  auto med = [](const std::string& key) {
    auto it = Samples().find(key);
    return it == Samples().end() ? -1.0 : Median(it->second);
  };
  const double scan = med("time.scan.p50");
  std::printf("\nmedian over repetitions (per lookup)      p50 us    p99 us  scan/this  target\n");
  // Only time lookups have a baseline (and a target).
  struct Row { const char* label; std::string key; bool time; };
  const Row rows[] = {
      {"time, no index (baseline)", "time.scan", false},
      {"time, OffsetForTimestamp warm", "time.index", true},
      {"time, first lookup after reopen", "time.reopen", true},
      {"last 10 records", "last_n.10", false},
      {"last 1,000 records", "last_n.1000", false},
      {"last 100,000 records", "last_n.100000", false},
      {"offset, FirstRecordAtOrAfter", "offset.first_at_or_after", false},
  };
  for (const Row& r : rows) {
    const double p50 = med(r.key + ".p50"), p99 = med(r.key + ".p99");
    if (p50 < 0) continue;
    std::printf("  %-38s %8.2f  %8.2f  ", r.label, p50, p99);
    if (r.time && scan > 0) {
      std::printf("%8.0fx  %s\n", scan / p50, p50 <= kTargetUs ? "<= 50 us PASS" : "<= 50 us FAIL");
    } else {
      std::printf("%9s\n", "-");
    }
  }
  if (double open = med("reopen.open_ms"); open >= 0) {
    std::printf("  (Log::Open before each first lookup: median %.2f ms, not in the figure; "
                "the first lookup took %.0f minor page faults)\n", open, med("reopen.faults"));
  }
}

}  // namespace
}  // namespace topicfs::store

int main(int argc, char** argv) {
  return topicfs::bench::RunBenchmarks(argc, argv, "view_bench", topicfs::store::RegisterAll, [] {
    topicfs::store::PrintSummary();
    topicfs::store::CloseFixture();
  });
}
