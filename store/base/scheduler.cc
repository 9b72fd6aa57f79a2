#include "store/base/scheduler.h"

#include <chrono>

namespace topicfs::store {

Scheduler::Scheduler(const Clock* clock, int threads, FailureHandler on_failure)
    : clock_(clock), on_failure_(std::move(on_failure)) {
  Start(threads);
}

void Scheduler::Run(const Task& task) const {
  try {
    task.fn();
  } catch (const std::exception& e) {
    if (on_failure_) on_failure_(task.name, e.what());
  } catch (...) {
    if (on_failure_) on_failure_(task.name, "an exception that is not a std::exception");
  }
}

void Scheduler::Start(int threads) {
  MutexLock lock(&mu_);
  if (stopping_) return;
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

Scheduler::~Scheduler() { Shutdown(); }

void Scheduler::Schedule(std::string name, int64_t delay_ms, std::function<void()> task) {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    queue_.emplace(clock_->MonotonicMs() + delay_ms, Task{std::move(name), 0, std::move(task)});
  }
  cv_.Signal();
}

void Scheduler::SchedulePeriodic(std::string name, int64_t initial_delay_ms, int64_t period_ms,
                                 std::function<void()> task) {
  {
    MutexLock lock(&mu_);
    if (stopping_) return;
    queue_.emplace(clock_->MonotonicMs() + initial_delay_ms,
                   Task{std::move(name), std::max<int64_t>(1, period_ms), std::move(task)});
  }
  cv_.Signal();
}

bool Scheduler::TakeDue(int64_t now, Task* out) {
  if (queue_.empty() || queue_.begin()->first > now) return false;
  *out = std::move(queue_.begin()->second);
  queue_.erase(queue_.begin());
  return true;
}

void Scheduler::Finish(Task task, int64_t now) {
  if (task.period_ms == 0) return;
  MutexLock lock(&mu_);
  if (stopping_) return;
  queue_.emplace(now + task.period_ms, std::move(task));
}

int Scheduler::RunDueTasks() {
  int ran = 0;
  const int64_t now = clock_->MonotonicMs();
  while (true) {
    Task task;
    {
      MutexLock lock(&mu_);
      if (stopping_ || !TakeDue(now, &task)) break;
    }
    Run(task);
    ++ran;
    Finish(std::move(task), now);
  }
  return ran;
}

void Scheduler::WorkerLoop() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    Task task;
    int64_t now = clock_->MonotonicMs();
    if (TakeDue(now, &task)) {
      lock.Unlock();
      Run(task);
      Finish(std::move(task), clock_->MonotonicMs());
      lock.Lock();
      continue;
    }
    // Sleep until the next task is due, or at most 100 ms: a fake clock moved
    // by hand does not notify us.
    int64_t wait = queue_.empty() ? 100 : std::min<int64_t>(100, queue_.begin()->first - now);
    cv_.WaitFor(&mu_, std::chrono::milliseconds(std::max<int64_t>(1, wait)));
  }
}

void Scheduler::Shutdown() {
  {
    MutexLock lock(&mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    queue_.clear();
  }
  cv_.SignalAll();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

size_t Scheduler::pending() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace topicfs::store
