#pragma once
// What the C++ benchmarks in bench/ share: a scratch directory under $TMPDIR
// that is removed however the run ends, wall and CPU clocks, and the sample
// bookkeeping that lets a figure be divided by a baseline measured earlier
// in the same process. Header-only: each benchmark is one executable.
//
// Not thread-safe: call from the benchmark's main thread.

#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace topicfs::bench {

// ---- Run identity and failure ----------------------------------------------

// The executable's name, for messages and the scratch directory's name. Set
// it first thing in main().
inline std::string& BenchName() {
  static std::string name = "bench";
  return name;
}

inline std::string& ScratchPath() {
  static std::string path;
  return path;
}

inline void RemoveScratch() {
  if (ScratchPath().empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(ScratchPath(), ec);
  ScratchPath().clear();
}

// Gives up on the whole run, leaving no gigabytes behind in $TMPDIR.
[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", BenchName().c_str(), what.c_str());
  RemoveScratch();
  std::exit(1);
}

// A fresh directory under $TMPDIR (default /tmp), created on first use.
inline const std::string& Scratch() {
  std::string& path = ScratchPath();
  if (path.empty()) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
                       "/topicfs-" + BenchName() + ".XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp " + tmpl + ": " + std::strerror(errno));
    path = tmpl;
  }
  return path;
}

// ---- Clocks ----------------------------------------------------------------

using SteadyClock = std::chrono::steady_clock;

inline double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

// This thread's user + system time: stretches far less than wall time when
// other work shares the machine.
inline double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// ---- Samples -----------------------------------------------------------------

// Per-repetition figures by key, so a later benchmark can divide by the
// median of a baseline's repetitions that ran earlier in this process.
inline std::map<std::string, std::vector<double>>& Samples() {
  static std::map<std::string, std::vector<double>> samples;
  return samples;
}

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// The p-quantile (0 <= p <= 1) of an already sorted vector, nearest rank.
inline double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

// ---- main() -------------------------------------------------------------------

// The whole main() of a benchmark binary: names the run, registers and runs
// the benchmarks the command line selects, then `finish` (summaries, closing
// fixtures), and removes the scratch directory.
inline int RunBenchmarks(int argc, char** argv, const char* name,
                         const std::function<void()>& register_all,
                         const std::function<void()>& finish) {
  BenchName() = name;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  finish();
  RemoveScratch();
  return 0;
}

}  // namespace topicfs::bench
