#pragma once
// One thread that runs a task beside its caller, for work that splits in
// two: the caller hands one half to the side thread, does the other half
// itself, then waits. There is one per process, taken by whoever asks
// while it is idle; a caller that finds it busy does all the work itself,
// so nobody waits for another caller's task. Started at the first task (a
// daemon forks before it serves, and threads do not survive a fork).
//
// Thread safety: every method may be called from any thread.

#include <cstdint>
#include <functional>
#include <thread>

#include "store/base/mutex.h"

namespace topicfs::store {

class SideThread {
 public:
  static SideThread& Shared();

  SideThread() = default;
  ~SideThread();
  SideThread(const SideThread&) = delete;
  SideThread& operator=(const SideThread&) = delete;

  // Starts `task` on the side thread and returns a ticket for Wait; 0 when
  // the thread is busy, and then task has not run.
  uint64_t TryRun(std::function<void()> task) EXCLUDES(mu_);
  // Returns once the task of `ticket` has run.
  void Wait(uint64_t ticket) EXCLUDES(mu_);

 private:
  void Loop() EXCLUDES(mu_);

  Mutex mu_;
  CondVar changed_;  // a task was given, one finished, or stopping_
  std::function<void()> task_ GUARDED_BY(mu_);
  uint64_t given_ GUARDED_BY(mu_) = 0;     // tickets handed out
  uint64_t finished_ GUARDED_BY(mu_) = 0;  // tickets whose task has run
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_ GUARDED_BY(mu_);
};

}  // namespace topicfs::store
