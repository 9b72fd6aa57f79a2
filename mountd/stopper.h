#pragma once
// Stops the daemon in an order that lets followers finish cleanly. A
// SIGTERM (SIGINT, SIGHUP) or a lazy unmount (MountWatch) only asks; the
// stopper's thread then
//   1. ends parked follow reads with EOF (Filesystem::Shutdown), while the
//      FUSE loop still runs, so that `cat 0@end..` gets its EOF and then
//      its close(2) answered (FLUSH, RELEASE) rather than ENOTCONN;
//   2. waits for those readers to close their views, at most kGrace (a
//      `tail -f`, which never closes, does not hold the stop up longer);
//   3. ends the FUSE loop: fuse_session_exit, and a signal (SIGUSR1, with a
//      handler that does nothing) to interrupt the main thread's wait.
// libfuse's own signal handlers would end the loop at once, before step 1,
// so these replace them.
//
// Thread safety: construct, Start and destroy on the main thread; Request
// from any thread (and the signal handler's write is async-signal-safe).

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "fs/filesystem.h"
#include "fs/fuse_ops.h"

namespace topicfs::mountd {

class Stopper {
 public:
  static constexpr std::chrono::milliseconds kGrace{1000};

  // Installs the signal handlers (SIGPIPE ignored, as libfuse does).
  Stopper(fuse_session* se, fs::Filesystem& filesystem);
  // Restores the handlers, stops the thread.
  ~Stopper();
  Stopper(const Stopper&) = delete;
  Stopper& operator=(const Stopper&) = delete;

  bool ok() const { return pipe_[0] >= 0; }
  // Starts the thread; after fuse_daemonize (a fork keeps no threads) and
  // before the loop. A signal that came earlier is acted on then.
  void Start();
  // Asks for a stop; `why` is logged. Safe from any thread.
  void Request(const std::string& why);
  // The main thread's loop returned: stop interrupting it.
  void LoopEnded() { loop_ended_.store(true); }

 private:
  void Run();

  fuse_session* const se_;
  fs::Filesystem& filesystem_;
  int pipe_[2] = {-1, -1};  // a byte per request: a signal number, or 0
  pthread_t main_thread_;
  std::atomic<bool> loop_ended_{false};
  std::thread thread_;
};

}  // namespace topicfs::mountd
