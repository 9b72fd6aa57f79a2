#include "kafka/server/worker_pool.h"

namespace topicfs::kafka {

namespace {
// The pool whose task this thread is running, if any.
thread_local const WorkerPool* running_pool = nullptr;
}  // namespace

WorkerPool::WorkerPool(int threads) {
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Submit(std::function<void()> task) {
  {
    store::MutexLock lock(&mu_);
    tasks_.push_back(std::move(task));
  }
  // A task submitted by one of this pool's tasks is taken by that worker
  // when it returns, if no other is free sooner: waking a sleeping one
  // would cost a context switch for nothing.
  if (running_pool != this) cv_.Signal();
}

void WorkerPool::Stop() {
  {
    store::MutexLock lock(&mu_);
    stopping_ = true;
  }
  cv_.SignalAll();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void WorkerPool::Run() {
  running_pool = this;
  for (;;) {
    std::function<void()> task;
    {
      store::MutexLock lock(&mu_);
      while (tasks_.empty() && !stopping_) cv_.Wait(&mu_);
      if (tasks_.empty()) return;  // stopping, and nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace topicfs::kafka
