// What parked followers cost a writer (issue "Nothing lost", point 9: the
// p99 of an append with 1,000 parked followers <= 2x the p99 with none),
// measured in process through fs::Filesystem, without a mount
// (bench/FOLLOWERS_BENCH.md).
//
//   append/other_partitions/followers:{0,100,1000}/pace_us:{0,1000}
//       the followers wait on partitions 1-10 of the topic; the writer
//       appends to partition 0, so no append of the writer wakes any.
//   append/same_partition/followers:{0,100,1000}/pace_us:{0,1000}
//       the followers wait on partition 0: every append wakes every one.
//
// One iteration is one Filesystem::Write of a 100-byte line + "\n" on a
// handle opened O_WRONLY | O_APPEND, inside a Followers::SignalAfterReply
// scope as fs/fuse_ops.cc's OnWrite has it. The figure (p50_us, p99_us) is
// the Write, timed on its own (steady_clock): what the writer waits for,
// since fuse_ops replies when Write returns. worker_p50_us/worker_p99_us
// add the end of the scope, where the waker is signalled: the FUSE
// worker's time, after the reply. Before each append, untimed, the writer
// waits until every follower has read all that was written to its
// partition and parked again, so each append of the same_partition case
// finds all N followers parked and due.
//
// pace_us is when appends start. With 0, each starts as soon as the
// followers caught up: back to back without followers, but ~0.4 ms apart
// with 1,000 on the same partition, so that case is compared with appends
// of another rhythm, and a lone append costs more than one right after
// another (FOLLOWERS_BENCH.md). With 1000, an append starts every 1,000 us
// (a writer of 1,000 lines a second), or once the followers caught up if
// that takes longer; the writer sleeps until then, as a writer of lines
// does between them. (Spinning instead lost the rhythm without followers
// on a busy machine: a lone thread that yields waits for every other
// runnable task.) gap_us is the median time from one append's start to
// the next, to show that the paced cases kept the rhythm.
//
// A follower is what fs/fuse_ops.cc makes of `cat 0@end..`: a view inode
// from Lookup("<p>@end.."), opened with Open; its Read at the end returns
// EAGAIN and it is parked with WaitForData. Its callback does what
// ReadOrPark does on a wake: a Read of up to 128 KiB (FUSE's usual read
// size) into a buffer shared by the thread, then parks again at the new
// position (standing in for the reader's next read request, which finds
// the end); woken with false it stops. Every follower is checked to have
// read every byte of its partition. Files go to a fresh directory under
// $TMPDIR (or /tmp), removed at exit.

#include <fcntl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "bench/bench_util.h"
#include "fs/filesystem.h"
#include "store/manager/log_manager.h"

namespace topicfs::fs {
namespace {

using bench::Die;
using bench::Median;
using bench::Percentile;
using bench::Samples;
using bench::Scratch;
using bench::SecondsSince;
using bench::SteadyClock;

constexpr int kLineBytes = 100;  // without the "\n"
constexpr int kOtherPartitions = 10;
constexpr size_t kReadSize = 128 * 1024;
constexpr int kWarmupAppends = 50;
constexpr int kAppends = 2000;  // timed, per repetition
constexpr double kTargetRatio = 2.0;
constexpr int kPaceUs = 1000;  // the paced cases: an append every millisecond

struct Fixture {
  std::unique_ptr<store::LogManager> manager;
  std::unique_ptr<Filesystem> fs;
  uint64_t topic = 0;
  uint64_t writer = 0;  // handle on partition 0
  int64_t written = 0;  // bytes appended to partition 0 so far
};

Fixture* g_fixture = nullptr;

Fixture& GetFixture() {
  if (g_fixture != nullptr) return *g_fixture;
  spdlog::set_level(spdlog::level::warn);
  auto* f = new Fixture;
  store::LogManager::Options o;
  o.data_dir = Scratch() + "/data";
  auto m = store::LogManager::Open(o);
  if (!m.ok()) Die("LogManager::Open: " + m.status().ToString());
  f->manager = std::move(m).value();
  f->fs = std::make_unique<Filesystem>(*f->manager, Filesystem::Options{});
  EntryReply e;
  if (f->fs->MkDir(kRootIno, "bench", &e) != 0) Die("mkdir bench");
  f->topic = e.ino;
  if (f->fs->SetXattr(f->topic, "user.topicfs.partitions", std::to_string(1 + kOtherPartitions)) != 0) {
    Die("setxattr partitions");
  }
  if (f->fs->Lookup(f->topic, "0", &e) != 0) Die("lookup bench/0");
  if (f->fs->Open(e.ino, O_WRONLY | O_APPEND, &f->writer) != 0) Die("open bench/0 for appending");
  g_fixture = f;
  return *f;
}

void CloseFixture() {
  if (g_fixture == nullptr) return;
  Fixture* f = g_fixture;
  if (f->fs->Release(f->writer) != 0) Die("release the writer");
  f->fs->Shutdown();
  f->fs.reset();
  if (store::Status s = f->manager->Close(); !s.ok()) Die("LogManager::Close: " + s.ToString());
  delete f;
  g_fixture = nullptr;
}

// ---- A follower, as fs/fuse_ops.cc parks a read ------------------------------

struct Follower {
  Filesystem* fs = nullptr;
  uint64_t fh = 0;
  int64_t pos = 0;                  // only its callback touches it once parked
  std::atomic<int64_t> read{0};     // bytes read so far, for the writer to see
  std::atomic<uint64_t> wait_id{0}; // the id it is parked under
  std::atomic<bool> failed{false};
};

void Park(Follower* f);

void OnWake(Follower* f, bool data_arrived) {
  if (!data_arrived) return;  // cancelled: the follower stops
  thread_local std::string buf;
  int err = f->fs->Read(f->fh, f->pos, kReadSize, &buf);
  if (err == 0) {
    f->pos += static_cast<int64_t>(buf.size());
    f->read.store(f->pos, std::memory_order_release);
  } else if (err != EAGAIN) {
    f->failed = true;
    return;
  }
  Park(f);
}

void Park(Follower* f) {
  const uint64_t id = f->fs->followers().Reserve();
  f->wait_id.store(id, std::memory_order_release);
  if (!f->fs->WaitForData(f->fh, f->pos, id, [f](bool data) { OnWake(f, data); })) f->failed = true;
}

std::vector<std::unique_ptr<Follower>> StartFollowers(Fixture& fx, int n, bool same_partition) {
  std::vector<std::unique_ptr<Follower>> followers;
  for (int i = 0; i < n; ++i) {
    const int partition = same_partition ? 0 : 1 + i % kOtherPartitions;
    EntryReply e;
    if (fx.fs->Lookup(fx.topic, std::to_string(partition) + "@end..", &e) != 0) Die("lookup a follow view");
    auto f = std::make_unique<Follower>();
    f->fs = fx.fs.get();
    if (fx.fs->Open(e.ino, O_RDONLY, &f->fh) != 0) Die("open a follow view");
    std::string out;
    if (fx.fs->Read(f->fh, 0, kReadSize, &out) != EAGAIN) Die("a follow view at the end did not say EAGAIN");
    Park(f.get());
    followers.push_back(std::move(f));
  }
  if (fx.fs->followers().parked() != static_cast<size_t>(n)) Die("followers did not all park");
  return followers;
}

// Until every follower has read `want` bytes and parked again.
void AwaitCaughtUp(Fixture& fx, const std::vector<std::unique_ptr<Follower>>& followers, int64_t want) {
  const auto t0 = SteadyClock::now();
  for (const auto& f : followers) {
    while (f->read.load(std::memory_order_acquire) < want) {
      if (f->failed) Die("a follower's read or wait failed");
      if (SecondsSince(t0) > 30) Die("followers did not catch up within 30 s");
      std::this_thread::yield();
    }
  }
  while (fx.fs->followers().parked() != followers.size()) {
    if (SecondsSince(t0) > 30) Die("followers did not park again within 30 s");
    std::this_thread::yield();
  }
}

void StopFollowers(Fixture& fx, std::vector<std::unique_ptr<Follower>>& followers) {
  for (auto& f : followers) {
    if (!fx.fs->followers().Cancel(f->wait_id.load())) Die("a caught-up follower was not parked");
    if (fx.fs->Release(f->fh) != 0) Die("release a follow view");
  }
  if (fx.fs->followers().parked() != 0) Die("waiters left after every follower stopped");
  followers.clear();
}

// ---- The benchmark -------------------------------------------------------------

void Append(Fixture& fx, const std::string& line) {
  size_t written = 0;
  if (fx.fs->Write(fx.writer, line, &written) != 0 || written != line.size()) Die("write");
  fx.written += static_cast<int64_t>(line.size());
}

std::string Key(bool same_partition, int n, int pace_us) {
  return std::string(same_partition ? "same" : "other") + "." + std::to_string(n) + ".pace" +
         std::to_string(pace_us);
}

void BM_Append(benchmark::State& state) {
  Fixture& fx = GetFixture();
  const bool same_partition = state.range(0) != 0;
  const int n = static_cast<int>(state.range(1));
  const int pace_us = static_cast<int>(state.range(2));
  auto followers = StartFollowers(fx, n, same_partition);
  const int64_t start = fx.written;
  std::string line(kLineBytes, 'x');
  line += '\n';
  auto want = [&] { return same_partition ? fx.written - start : 0; };
  for (int i = 0; i < kWarmupAppends; ++i) {
    AwaitCaughtUp(fx, followers, want());
    Append(fx, line);
  }
  std::vector<double> us, worker_us, gap_us;
  us.reserve(kAppends);
  worker_us.reserve(kAppends);
  gap_us.reserve(kAppends);
  auto last_start = SteadyClock::now();
  for (auto _ : state) {
    AwaitCaughtUp(fx, followers, want());
    if (pace_us > 0) std::this_thread::sleep_until(last_start + std::chrono::microseconds(pace_us));
    const auto t0 = SteadyClock::now();
    gap_us.push_back(std::chrono::duration<double, std::micro>(t0 - last_start).count());
    last_start = t0;
    double dt;
    {
      Followers::SignalAfterReply after_reply(fx.fs->followers());
      Append(fx, line);
      dt = SecondsSince(t0);
    }
    worker_us.push_back(SecondsSince(t0) * 1e6);
    state.SetIterationTime(dt);
    us.push_back(dt * 1e6);
  }
  AwaitCaughtUp(fx, followers, want());
  StopFollowers(fx, followers);

  const std::string key = Key(same_partition, n, pace_us);
  std::sort(us.begin(), us.end());
  std::sort(worker_us.begin(), worker_us.end());
  gap_us.erase(gap_us.begin());  // the first gap includes starting the followers
  std::sort(gap_us.begin(), gap_us.end());
  const double p50 = Percentile(us, 0.50), p99 = Percentile(us, 0.99);
  state.counters["p50_us"] = p50;
  state.counters["p99_us"] = p99;
  state.counters["worker_p50_us"] = Percentile(worker_us, 0.50);
  state.counters["worker_p99_us"] = Percentile(worker_us, 0.99);
  state.counters["gap_us"] = Percentile(gap_us, 0.50);
  Samples()[key + ".p50"].push_back(p50);
  Samples()[key + ".p99"].push_back(p99);
  Samples()[key + ".worker_p50"].push_back(Percentile(worker_us, 0.50));
  Samples()[key + ".worker_p99"].push_back(Percentile(worker_us, 0.99));
  Samples()[key + ".gap"].push_back(Percentile(gap_us, 0.50));
}

void RegisterAll() {
  for (int pace : {0, kPaceUs}) {
    for (bool same : {false, true}) {
      for (int n : {0, 100, 1000}) {
        const std::string name = std::string("append/") + (same ? "same_partition" : "other_partitions") +
                                 "/followers:" + std::to_string(n) + "/pace_us:" + std::to_string(pace);
        benchmark::RegisterBenchmark(name.c_str(), BM_Append)
            ->Args({same ? 1 : 0, n, pace})
            ->Iterations(kAppends)
            ->UseManualTime()
            ->Unit(benchmark::kMicrosecond);
      }
    }
  }
}

// Medians over the repetitions of each repetition's p50 and p99, and the
// ratio of the p99s to the case's own run without followers at the same
// pace.
void PrintSummary() {
  auto med = [](const std::string& key) {
    auto it = Samples().find(key);
    return it == Samples().end() ? -1.0 : Median(it->second);
  };
  for (int pace : {0, kPaceUs}) {
    if (pace == 0) {
      std::printf("\nback to back (pace_us:0): an append as soon as the followers caught up; the cases differ in rhythm\n");
    } else {
      std::printf("\npaced (pace_us:%d): an append every %d us in every case; the cases differ only in the followers\n",
                  pace, pace);
    }
    std::printf("append latency, median over repetitions   p50 us    p99 us  p99/p99(0)  target       "
                "gap us   worker (+ signal after the reply): p50 us  p99 us\n");
    for (bool same : {false, true}) {
      const double base = med(Key(same, 0, pace) + ".p99");
      for (int n : {0, 100, 1000}) {
        const std::string key = Key(same, n, pace);
        const double p50 = med(key + ".p50"), p99 = med(key + ".p99");
        if (p50 < 0) continue;
        std::printf("  %-16s %5d followers      %8.2f  %8.2f", same ? "same partition" : "other partitions", n,
                    p50, p99);
        if (base > 0) {
          std::printf("  %9.2fx", p99 / base);
        } else {
          std::printf("  %10s", "");
        }
        const bool judged = n == 1000 && base > 0;
        std::printf("  %-11s", judged ? (p99 / base <= kTargetRatio ? "<= 2x PASS" : "<= 2x FAIL") : "");
        std::printf("  %7.0f  %40.2f  %6.2f\n", med(key + ".gap"), med(key + ".worker_p50"),
                    med(key + ".worker_p99"));
      }
    }
  }
}

}  // namespace
}  // namespace topicfs::fs

int main(int argc, char** argv) {
  return topicfs::bench::RunBenchmarks(argc, argv, "followers_bench", topicfs::fs::RegisterAll, [] {
    topicfs::fs::PrintSummary();
    topicfs::fs::CloseFixture();
  });
}
