#pragma once
// How other threads tell the event loop that a connection has something to
// do (a response completed, a handler returned): the connection's id goes
// on a list and an eventfd the loop polls becomes readable. Shared by the
// server and every connection (shared_ptr), so a responder completing after
// the server stopped finds a waker that no longer wakes anybody.
//
// Thread safety: Wake from any thread; Drain and the fd from the loop only.

#include <cstdint>
#include <vector>

#include "store/base/mutex.h"

namespace topicfs::kafka {

class LoopWaker {
 public:
  LoopWaker();
  ~LoopWaker();
  LoopWaker(const LoopWaker&) = delete;
  LoopWaker& operator=(const LoopWaker&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  void Wake(uint64_t connection_id) EXCLUDES(mu_);
  // Wakes the loop with nothing to do for any connection (to stop it).
  void Poke();
  // The ids woken since the last Drain (each once), and the eventfd reset.
  std::vector<uint64_t> Drain() EXCLUDES(mu_);

 private:
  int fd_ = -1;
  store::Mutex mu_;
  std::vector<uint64_t> woken_ GUARDED_BY(mu_);
};

}  // namespace topicfs::kafka
