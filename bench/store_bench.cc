// Store throughput and latency, each measured against the same presented
// bytes moved by plain syscalls on a plain file in the same directory, in the
// same process, so "vs_*" ratios compare like with like (bench/README.md).
//
//   append/*   Log::Append of 1,000 lines of 100 bytes per call, against
//              write(2) of those 101,000 presented bytes per call.
//   seq_read/* Log::Read in 1 MiB buffers from 0 to the end of a ~1 GiB
//              partition (warm page cache), against read(2) of a plain file
//              holding the same bytes.
//   rand_read/*  Log::Read of 4 KiB at a random offset of that partition,
//              against pread(2) at the same positions. Per-op latencies are
//              collected; p50/p99 are counters (the Time column is the mean).
//
// Every benchmark times its own operations (UseManualTime), so setup such as
// opening a log or deleting its files is never in the figures. Iteration
// counts are fixed: every call of a benchmark function is a reported
// repetition, which is what lets a store benchmark divide by the median of
// the baseline repetitions that ran before it.
//
// Files go to a fresh directory under $TMPDIR (or /tmp), removed at exit.

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "store/log/log.h"

namespace topicfs::store {
namespace {

constexpr int kLineBytes = 100;
constexpr int kLinesPerBatch = 1000;
constexpr int64_t kPresentedPerBatch = int64_t{kLineBytes + 1} * kLinesPerBatch;  // 101,000
constexpr int64_t kAppendIterations = 3000;  // 3M lines, ~303 MB presented per repetition
constexpr int64_t kPartitionBytes = int64_t{1} << 30;  // presented bytes of the read fixture
constexpr int64_t kSeqBuffer = int64_t{1} << 20;
constexpr int64_t kRandomReadBytes = 4096;
constexpr int64_t kRandomReads = 200'000;  // per repetition

using bench::Die;
using bench::Median;
using bench::Percentile;
using bench::Samples;
using bench::Scratch;
using bench::SecondsSince;
using Clock = bench::SteadyClock;

// ---- Lines ----------------------------------------------------------------

// One batch of 1,000 lines: the presented bytes (each line + "\n") and views
// of the lines without their "\n", pointing into those bytes.
struct Batch {
  std::string presented;
  std::vector<std::string_view> lines;
};

// Fills `b` with lines numbered from first_line: a 10-digit line number, then
// letters that depend on the number, so that a read at a wrong position shows.
void FillBatch(int64_t first_line, Batch* b) {
  b->presented.resize(static_cast<size_t>(kPresentedPerBatch));
  b->lines.resize(kLinesPerBatch);
  char* p = b->presented.data();
  for (int i = 0; i < kLinesPerBatch; ++i) {
    const int64_t n = first_line + i;
    char* line = p + int64_t{i} * (kLineBytes + 1);
    std::snprintf(line, 12, "%010lld ", static_cast<long long>(n % 10'000'000'000LL));
    for (int k = 11; k < kLineBytes; ++k) line[k] = static_cast<char>('a' + (n * 7 + k) % 26);
    line[kLineBytes] = '\n';
    b->lines[i] = std::string_view(line, kLineBytes);
  }
}

const Batch& AppendBatch() {
  static const Batch batch = [] {
    Batch b;
    FillBatch(0, &b);
    return b;
  }();
  return batch;
}

void WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      Die(std::string("write: ") + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

std::unique_ptr<Log> OpenLog(const std::string& name, const LogConfig& config,
                             FileIo* io = &FileIo::Default()) {
  Log::Options o;
  o.io = io;
  o.dir = Scratch() + "/" + name + "-0";
  o.topic_partition = {name, 0};
  o.config = config;
  auto log = Log::Open(std::move(o));
  if (!log.ok()) Die("Log::Open: " + log.status().ToString());
  return std::move(log).value();
}

// ---- Same-run baselines ---------------------------------------------------

// Records `value` under `key` and, if `baseline` has samples, sets
// counter `ratio_name` = value / median(baseline).
void RecordAndCompare(benchmark::State& state, const std::string& key, double value,
                      const std::string& baseline, const char* ratio_name) {
  Samples()[key].push_back(value);
  if (baseline.empty()) return;
  auto it = Samples().find(baseline);
  if (it == Samples().end() || it->second.empty()) return;
  double base = Median(it->second);
  if (base > 0) state.counters[ratio_name] = value / base;
}

// ---- 1. Append ------------------------------------------------------------

void ReportAppend(benchmark::State& state, double seconds, const std::string& key,
                  const std::string& baseline) {
  const double lines = static_cast<double>(state.iterations()) * kLinesPerBatch;
  const double bytes = static_cast<double>(state.iterations()) * kPresentedPerBatch;
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["lines/s"] = lines / seconds;
  state.counters["GB/s"] = bytes / seconds / 1e9;
  RecordAndCompare(state, key, bytes / seconds, baseline, "vs_write");
}

// Baseline: write(2) of the same 101,000 presented bytes per call to a new
// plain file in the same directory; no fsync (the store does not sync either:
// flush.messages and flush.ms default to "never").
void BM_AppendWrite(benchmark::State& state) {
  const Batch& batch = AppendBatch();
  const std::string path = Scratch() + "/append-plain.txt";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Die("open " + path + ": " + std::strerror(errno));
  double seconds = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    WriteAll(fd, batch.presented.data(), batch.presented.size());
    double dt = SecondsSince(t0);
    state.SetIterationTime(dt);
    seconds += dt;
  }
  ::close(fd);
  ::unlink(path.c_str());
  ReportAppend(state, seconds, "append.write", "");
}

// Log::Append of the same 1,000 lines per call into a new partition with the
// default config, except segment.bytes = range(0) MiB.
void BM_AppendStore(benchmark::State& state) {
  static int run = 0;
  const Batch& batch = AppendBatch();
  LogConfig config;
  config.segment_bytes = static_cast<int32_t>(state.range(0) << 20);
  const std::string name = "append" + std::to_string(run++);
  std::unique_ptr<Log> log = OpenLog(name, config);
  const std::span<const std::string_view> lines(batch.lines);
  double seconds = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    auto r = log->Append(lines);
    double dt = SecondsSince(t0);
    if (!r.ok()) {
      state.SkipWithError(("Append: " + r.status().ToString()).c_str());
      break;
    }
    state.SetIterationTime(dt);
    seconds += dt;
  }
  const LogFigures f = log->Figures();
  const int64_t expected = state.iterations() * kPresentedPerBatch;
  if (!state.error_occurred() && f.log_end_offset.value != expected) {
    state.SkipWithError("log end offset differs from the presented bytes appended");
  }
  state.counters["segments"] = static_cast<double>(f.segments);
  state.counters["disk/presented"] =
      expected > 0 ? static_cast<double>(f.size_bytes) / static_cast<double>(expected) : 0;
  log->CloseWithoutFlush();
  log.reset();
  std::error_code ec;
  std::filesystem::remove_all(Scratch() + "/" + name + "-0", ec);
  if (!state.error_occurred()) {
    ReportAppend(state, seconds, "append.store." + std::to_string(state.range(0)), "append.write");
  }
}

// A FileIo that drops every write: what is left of Log::Append is the CPU the
// store spends validating lines, building batches, CRCs and indexes.
class DiscardingFileIo : public FileIo {
 public:
  Status PWrite(int, const void*, size_t, int64_t, std::string_view) override {
    return Status::Ok();
  }
  Status Sync(int, std::string_view) override { return Status::Ok(); }
};

// Diagnostic, not a target: Log::Append as above with writes discarded, so
// the figure does not move with the kernel or with other load on the disk.
void BM_AppendStoreNoIo(benchmark::State& state) {
  static int run = 0;
  static DiscardingFileIo io;
  const Batch& batch = AppendBatch();
  const std::string name = "noio" + std::to_string(run++);
  std::unique_ptr<Log> log = OpenLog(name, LogConfig{}, &io);
  const std::span<const std::string_view> lines(batch.lines);
  double seconds = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    auto r = log->Append(lines);
    double dt = SecondsSince(t0);
    if (!r.ok()) {
      state.SkipWithError(("Append: " + r.status().ToString()).c_str());
      break;
    }
    state.SetIterationTime(dt);
    seconds += dt;
  }
  log->CloseWithoutFlush();
  log.reset();
  std::error_code ec;
  std::filesystem::remove_all(Scratch() + "/" + name + "-0", ec);
  const double lines_done = static_cast<double>(state.iterations()) * kLinesPerBatch;
  state.counters["lines/s"] = lines_done / seconds;
  state.counters["ns/line"] = seconds * 1e9 / lines_done;
}

// ---- The read fixture: a ~1 GiB partition and a plain file of its bytes ---

struct Partition {
  std::unique_ptr<Log> log;
  int fd = -1;  // the plain file, O_RDONLY
  int64_t size = 0;  // presented bytes in both
  std::vector<int64_t> random_offsets;  // in [0, size - 4096]
  char* buf = nullptr;  // kSeqBuffer bytes, page aligned, touched
};

Partition* g_partition = nullptr;

// Builds both once per process: appends ceil(1 GiB / 101,000) batches to a
// default-config log (two segments: its .log bytes exceed segment.bytes) and
// writes the same presented bytes to a plain file; syncs both so background
// writeback does not run under the measurements; then reads both end to end,
// comparing them, which also warms the page cache and the store's mapping.
Partition& GetPartition() {
  if (g_partition != nullptr) return *g_partition;
  auto* p = new Partition;
  p->log = OpenLog("read", LogConfig{});
  const std::string path = Scratch() + "/read-plain.txt";
  int wfd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (wfd < 0) Die("open " + path + ": " + std::strerror(errno));

  const int64_t batches = (kPartitionBytes + kPresentedPerBatch - 1) / kPresentedPerBatch;
  Batch batch;
  double store_s = 0, plain_s = 0;
  for (int64_t b = 0; b < batches; ++b) {
    FillBatch(b * kLinesPerBatch, &batch);
    auto t0 = Clock::now();
    auto r = p->log->Append(std::span<const std::string_view>(batch.lines));
    store_s += SecondsSince(t0);
    if (!r.ok()) Die("Append: " + r.status().ToString());
    t0 = Clock::now();
    WriteAll(wfd, batch.presented.data(), batch.presented.size());
    plain_s += SecondsSince(t0);
  }
  p->size = batches * kPresentedPerBatch;
  auto t0 = Clock::now();
  if (Status s = p->log->Flush(); !s.ok()) Die("Flush: " + s.ToString());
  if (::fsync(wfd) != 0) Die(std::string("fsync: ") + std::strerror(errno));
  double sync_s = SecondsSince(t0);
  ::close(wfd);
  p->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (p->fd < 0) Die("open " + path + ": " + std::strerror(errno));

  const LogFigures f = p->log->Figures();
  if (f.log_end_offset.value != p->size) Die("partition log end differs from the bytes appended");
  std::fprintf(stderr,
               "read fixture: %lld presented bytes, %lld lines, %lld segments, %lld .log bytes; "
               "built in %.2f s store Append (%.2f M lines/s), %.2f s write(2); fsync %.2f s\n",
               static_cast<long long>(p->size), static_cast<long long>(f.records),
               static_cast<long long>(f.segments), static_cast<long long>(f.size_bytes), store_s,
               static_cast<double>(batches * kLinesPerBatch) / store_s / 1e6, plain_s, sync_s);

  p->buf = static_cast<char*>(std::aligned_alloc(4096, kSeqBuffer));
  std::memset(p->buf, 0, kSeqBuffer);
  std::vector<char> plain(static_cast<size_t>(kSeqBuffer));
  Offset at(0);
  int64_t total = 0;
  while (true) {
    auto r = p->log->Read(at, p->buf, kSeqBuffer);
    if (!r.ok()) Die("Read: " + r.status().ToString());
    if (r->bytes == 0) break;
    if (r->start != at) Die("Read did not start where asked");
    ssize_t n = ::pread(p->fd, plain.data(), static_cast<size_t>(r->bytes), total);
    if (n != r->bytes || std::memcmp(plain.data(), p->buf, static_cast<size_t>(n)) != 0) {
      Die("store and plain file differ near offset " + std::to_string(total));
    }
    total += r->bytes;
    at = r->next;
  }
  if (total != p->size) Die("store read " + std::to_string(total) + " bytes, wrote " +
                            std::to_string(p->size));

  std::mt19937_64 rng(20240613);
  std::uniform_int_distribution<int64_t> dist(0, p->size - kRandomReadBytes);
  p->random_offsets.resize(kRandomReads);
  for (auto& o : p->random_offsets) o = dist(rng);
  g_partition = p;
  return *p;
}

void ClosePartition() {
  if (g_partition == nullptr) return;
  g_partition->log->CloseWithoutFlush();
  g_partition->log.reset();
  ::close(g_partition->fd);
  std::free(g_partition->buf);
  delete g_partition;
  g_partition = nullptr;
}

// ---- 2. Sequential read ---------------------------------------------------

void ReportSeq(benchmark::State& state, double seconds, int64_t bytes, const std::string& key,
               const std::string& baseline) {
  state.SetBytesProcessed(bytes);
  state.counters["GB/s"] = static_cast<double>(bytes) / seconds / 1e9;
  RecordAndCompare(state, key, static_cast<double>(bytes) / seconds, baseline, "vs_read");
}

// One iteration = the whole plain file, read(2) in 1 MiB buffers from 0.
void BM_SeqReadPlain(benchmark::State& state) {
  Partition& p = GetPartition();
  double seconds = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    if (::lseek(p.fd, 0, SEEK_SET) != 0) Die("lseek");
    int64_t total = 0;
    while (true) {
      ssize_t n = ::read(p.fd, p.buf, kSeqBuffer);
      if (n < 0) Die(std::string("read: ") + std::strerror(errno));
      if (n == 0) break;
      total += n;
    }
    benchmark::DoNotOptimize(p.buf);
    double dt = SecondsSince(t0);
    state.SetIterationTime(dt);
    seconds += dt;
    bytes += total;
    if (total != p.size) Die("short plain read");
  }
  ReportSeq(state, seconds, bytes, "seq.read", "");
}

// One iteration = the whole partition, Log::Read in 1 MiB buffers from 0.
void BM_SeqReadStore(benchmark::State& state) {
  Partition& p = GetPartition();
  double seconds = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    Offset at(0);
    int64_t total = 0;
    while (true) {
      auto r = p.log->Read(at, p.buf, kSeqBuffer);
      if (!r.ok()) Die("Read: " + r.status().ToString());
      if (r->bytes == 0) break;
      total += r->bytes;
      at = r->next;
    }
    benchmark::DoNotOptimize(p.buf);
    double dt = SecondsSince(t0);
    state.SetIterationTime(dt);
    seconds += dt;
    bytes += total;
    if (total != p.size) Die("short store read");
  }
  ReportSeq(state, seconds, bytes, "seq.store", "seq.read");
}

// ---- 3. Random read -------------------------------------------------------

// Each iteration reads 4 KiB at the next of the pre-drawn random offsets
// (the same offsets for both) and records its latency.
template <typename ReadFn>
void RandomReads(benchmark::State& state, const std::string& key, const std::string& baseline,
                 ReadFn read) {
  Partition& p = GetPartition();
  std::vector<double> latencies_us;
  latencies_us.reserve(static_cast<size_t>(state.max_iterations));
  size_t i = 0;
  for (auto _ : state) {
    const int64_t offset = p.random_offsets[i++ % p.random_offsets.size()];
    auto t0 = Clock::now();
    int64_t n = read(p, offset);
    double dt = SecondsSince(t0);
    if (n != kRandomReadBytes) Die("short random read at " + std::to_string(offset));
    benchmark::DoNotOptimize(p.buf);
    state.SetIterationTime(dt);
    latencies_us.push_back(dt * 1e6);
  }
  std::sort(latencies_us.begin(), latencies_us.end());
  const double p50 = Percentile(latencies_us, 0.50);
  state.counters["p50_us"] = p50;
  state.counters["p99_us"] = Percentile(latencies_us, 0.99);
  state.SetBytesProcessed(state.iterations() * kRandomReadBytes);
  RecordAndCompare(state, key, p50, baseline, "p50_vs_pread");
}

void BM_RandReadPlain(benchmark::State& state) {
  RandomReads(state, "rand.pread", "", [](Partition& p, int64_t offset) -> int64_t {
    return ::pread(p.fd, p.buf, kRandomReadBytes, offset);
  });
}

void BM_RandReadStore(benchmark::State& state) {
  RandomReads(state, "rand.store", "rand.pread", [](Partition& p, int64_t offset) -> int64_t {
    auto r = p.log->Read(Offset(offset), p.buf, kRandomReadBytes);
    if (!r.ok()) Die("Read: " + r.status().ToString());
    if (r->start.value != offset) Die("random Read did not start where asked");
    return r->bytes;
  });
}

// Baselines are registered before the store benchmark they divide.
void RegisterAll() {
  benchmark::RegisterBenchmark("append/write2", BM_AppendWrite)
      ->Iterations(kAppendIterations)->UseManualTime()->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("append/store", BM_AppendStore)
      ->ArgName("segment_MiB")->Arg(1024)->Arg(64)
      ->Iterations(kAppendIterations)->UseManualTime()->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("append/store_discard_io", BM_AppendStoreNoIo)
      ->Iterations(kAppendIterations)->UseManualTime()->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("seq_read/read2", BM_SeqReadPlain)
      ->Iterations(2)->UseManualTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("seq_read/store", BM_SeqReadStore)
      ->Iterations(2)->UseManualTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("rand_read/pread2", BM_RandReadPlain)
      ->Iterations(kRandomReads)->UseManualTime()->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("rand_read/store", BM_RandReadStore)
      ->Iterations(kRandomReads)->UseManualTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace
}  // namespace topicfs::store

int main(int argc, char** argv) {
  return topicfs::bench::RunBenchmarks(argc, argv, "store_bench", topicfs::store::RegisterAll,
                                       topicfs::store::ClosePartition);
}
