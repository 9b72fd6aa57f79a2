// Follow latency: how long after a writer's write(2) of one line returns a
// follower has it (bench/follow_bench.py runs this against a live mount;
// bench/VIEW_BENCH.md).
//
//   follow_latency view PARTITION_FILE VIEW_FILE SAMPLES
//       the follower is a thread blocked in read(2) on VIEW_FILE (e.g.
//       <mnt>/t/0@end..); its read returning is the arrival.
//   follow_latency tail PARTITION_FILE - SAMPLES [MAX_GAP_MS]
//       the follower is `tail -f PARTITION_FILE` (coreutils' defaults); a
//       thread blocked in read(2) on tail's stdout pipe returning is the
//       arrival.
//
// One process, two threads, so both ends read the same CLOCK_MONOTONIC. The
// writer appends one 100-byte line with O_APPEND, notes the time before
// write(2) and after it returned, then waits (on an atomic, no pipe) until
// the follower thread has the whole line and the time its read returned.
// Between samples the writer sleeps a random gap, so that the follower is
// blocked again and, for tail's 1 s polling, so the write falls anywhere
// in its polling period (view: 2-10 ms; tail: 0 to MAX_GAP_MS, default 1000).
//
// The follower's read may return before the writer's write(2) does (the
// daemon's waker thread replies to the follower while the write is being
// answered): such samples are negative "from return" figures, kept as they
// are.
//
// Prints one JSON object: the mode and, per sample in microseconds,
// from_return_us (write returned -> read returned) and from_call_us (write
// called -> read returned). Exit status 1 with a message on any failure.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

constexpr int kLineBytes = 100;  // without the "\n"

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "follow_latency: %s\n", what.c_str());
  std::exit(1);
}

int64_t NowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Lines carry the process id, so lines of earlier runs that tail prints
// first are told apart from this run's.
std::string Line(int n) {
  char head[48];
  std::snprintf(head, sizeof head, "sample %d.%06d ", static_cast<int>(::getpid()), n);
  std::string line(head);
  line.resize(kLineBytes, 'x');
  return line + "\n";
}

// The follower: reads fd until each expected line is complete and publishes,
// per line, the time of the read(2) that completed it. `arrived` counts the
// lines received; the writer waits on it.
struct Follower {
  int fd = -1;
  std::atomic<int> arrived{0};
  std::vector<int64_t> arrival_ns;  // written before `arrived` is released
  std::string error;

  void Run(int first, int count) {
    std::string pending;
    char buf[65536];
    int next = first;
    while (next < first + count) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      const int64_t t = NowNs();
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = n == 0 ? "end of file" : std::string("read: ") + std::strerror(errno);
        break;
      }
      pending.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string got = pending.substr(0, nl + 1);
        pending.erase(0, nl + 1);
        // Before this run's first line: the file's older lines (tail -f).
        if (next == first && got != Line(first)) continue;
        if (got != Line(next)) {
          error = "expected line " + std::to_string(next) + ", got: " + got.substr(0, 40);
          next = first + count;
          break;
        }
        arrival_ns[static_cast<size_t>(next)] = t;
        ++next;
        arrived.store(next, std::memory_order_release);
        arrived.notify_all();
      }
    }
    if (!error.empty()) {
      arrived.store(-1, std::memory_order_release);
      arrived.notify_all();
    }
  }
};

void WriteLine(int fd, const std::string& line) {
  ssize_t w = ::write(fd, line.data(), line.size());
  if (w != static_cast<ssize_t>(line.size())) {
    Die("write: " + (w < 0 ? std::string(std::strerror(errno)) : "short write"));
  }
}

// Waits until the follower has `want` lines; false if it failed.
bool AwaitLines(Follower& f, int want) {
  while (true) {
    int got = f.arrived.load(std::memory_order_acquire);
    if (got < 0) return false;
    if (got >= want) return true;
    f.arrived.wait(got, std::memory_order_acquire);
  }
}

pid_t SpawnTail(const char* file, int* out_fd) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) Die(std::string("pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
  std::string tail = "tail", dash_f = "-f", path = file;
  char* argv[] = {tail.data(), dash_f.data(), path.data(), nullptr};
  pid_t pid;
  int err = ::posix_spawnp(&pid, "tail", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) Die(std::string("posix_spawnp tail: ") + std::strerror(err));
  ::close(p[1]);
  *out_fd = p[0];
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: follow_latency view|tail PARTITION_FILE VIEW_FILE|- SAMPLES [MAX_GAP_MS]\n");
    return 2;
  }
  const std::string mode = argv[1];
  const char* partition = argv[2];
  const int samples = std::atoi(argv[4]);
  if (mode != "view" && mode != "tail") Die("mode must be view or tail");
  if (samples <= 0) Die("SAMPLES must be positive");
  const bool tail = mode == "tail";
  const int max_gap_us = tail ? (argc > 5 ? std::atoi(argv[5]) : 1000) * 1000 : 10'000;
  const int min_gap_us = tail ? 0 : 2'000;

  const int wfd = ::open(partition, O_WRONLY | O_APPEND | O_CLOEXEC);
  if (wfd < 0) Die(std::string("open ") + partition + ": " + std::strerror(errno));

  // Line 0 is a warm-up, not a sample: it proves the follower is attached
  // (tail prints the file's last lines first) before any clock starts.
  Follower f;
  f.arrival_ns.assign(static_cast<size_t>(samples) + 1, 0);
  pid_t tail_pid = -1;
  if (tail) {
    WriteLine(wfd, Line(0));
    tail_pid = SpawnTail(partition, &f.fd);
  } else {
    f.fd = ::open(argv[3], O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) Die(std::string("open ") + argv[3] + ": " + std::strerror(errno));
  }
  std::thread reader([&f, samples] { f.Run(0, samples + 1); });
  if (!tail) {
    // The view starts at the end as it was at open: line 0 goes in now.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    WriteLine(wfd, Line(0));
  }
  bool ok = AwaitLines(f, 1);

  // A fresh seed per run: tail polls on a fixed 1 s beat from its start, so
  // the same gaps every run would put the writes at the same phases.
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> gap(min_gap_us, max_gap_us);
  std::vector<int64_t> call_ns(static_cast<size_t>(samples) + 1), return_ns(call_ns.size());
  for (int i = 1; ok && i <= samples; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(gap(rng)));
    const std::string line = Line(i);
    call_ns[static_cast<size_t>(i)] = NowNs();
    WriteLine(wfd, line);
    return_ns[static_cast<size_t>(i)] = NowNs();
    ok = AwaitLines(f, i + 1);
  }

  if (tail_pid > 0) {
    ::kill(tail_pid, SIGTERM);
    ::waitpid(tail_pid, nullptr, 0);
  }
  // The view reader is blocked in read(2) only if it failed; on success it
  // has returned. Closing the fd does not unblock it, so it is detached then.
  if (ok) {
    reader.join();
  } else {
    reader.detach();
  }
  ::close(wfd);
  if (!ok) Die("follower: " + f.error);

  std::printf("{\"mode\": \"%s\", \"from_return_us\": [", mode.c_str());
  for (int i = 1; i <= samples; ++i) {
    std::printf("%s%.3f", i > 1 ? ", " : "",
                static_cast<double>(f.arrival_ns[i] - return_ns[i]) / 1e3);
  }
  std::printf("], \"from_call_us\": [");
  for (int i = 1; i <= samples; ++i) {
    std::printf("%s%.3f", i > 1 ? ", " : "",
                static_cast<double>(f.arrival_ns[i] - call_ns[i]) / 1e3);
  }
  std::printf("]}\n");
  if (!tail) ::close(f.fd);
  return 0;
}
