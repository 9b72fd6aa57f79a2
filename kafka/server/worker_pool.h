#pragma once
// A fixed number of threads running tasks in submission order. The server
// submits at most one task per connection at a time (RequestHandler), so
// the queue never holds more tasks than there are connections: the bound
// on work in flight is the connection count, not this queue.
//
// Thread safety: Submit from any thread; Stop once, from the owner.

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "store/base/mutex.h"

namespace topicfs::kafka {

class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // From one of the pool's own tasks, only as its last step: such a task
  // waits for that worker (no sleeping one is woken for it).
  void Submit(std::function<void()> task) EXCLUDES(mu_);
  // Runs what is queued, then joins the threads.
  void Stop() EXCLUDES(mu_);

 private:
  void Run() EXCLUDES(mu_);

  store::Mutex mu_;
  store::CondVar cv_;
  std::deque<std::function<void()>> tasks_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace topicfs::kafka
