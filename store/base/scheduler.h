#pragma once
// Background work for the store: retention checks, the cleaner, delayed file
// deletion and time-based flushes, on a bounded number of threads.
//
// Tasks run at or after their due time on the injected clock's monotonic
// milliseconds. With threads == 0 nothing runs by itself: tests advance a
// FakeClock and call RunDueTasks(), so they never sleep.
//
// A task that throws does not end the process: the exception is caught, told
// to the failure handler (the daemon logs it), and a periodic task runs again
// at its next period.
//
// Thread safety: all methods may be called from any thread, including from
// inside a task. Shutdown() waits for running tasks and drops pending ones.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "store/base/clock.h"
#include "store/base/mutex.h"

namespace topicfs::store {

class Scheduler {
 public:
  // Told the task's name and what it threw.
  using FailureHandler = std::function<void(const std::string& task, const std::string& what)>;

  Scheduler(const Clock* clock, int threads, FailureHandler on_failure = nullptr);
  // Adds worker threads (a daemon starts them after it has forked).
  void Start(int threads) EXCLUDES(mu_);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Runs task once, delay_ms from now.
  void Schedule(std::string name, int64_t delay_ms, std::function<void()> task) EXCLUDES(mu_);
  // Runs task every period_ms, the first time after initial_delay_ms.
  void SchedulePeriodic(std::string name, int64_t initial_delay_ms, int64_t period_ms,
                        std::function<void()> task) EXCLUDES(mu_);
  // Runs, on the calling thread, every task due by now; returns how many ran.
  int RunDueTasks() EXCLUDES(mu_);
  // Stops the threads promptly: running tasks finish, pending ones are
  // dropped. Idempotent.
  void Shutdown() EXCLUDES(mu_);
  size_t pending() const EXCLUDES(mu_);

 private:
  struct Task {
    std::string name;
    int64_t period_ms = 0;  // 0 = once
    std::function<void()> fn;
  };
  void WorkerLoop() EXCLUDES(mu_);
  // Pops a due task, if any.
  bool TakeDue(int64_t now, Task* out) REQUIRES(mu_);
  void Finish(Task task, int64_t now) EXCLUDES(mu_);
  // Runs the task, catching whatever it throws.
  void Run(const Task& task) const;

  const Clock* clock_;
  const FailureHandler on_failure_;
  mutable Mutex mu_;
  CondVar cv_;
  std::multimap<int64_t, Task> queue_ GUARDED_BY(mu_);  // by due time
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace topicfs::store
