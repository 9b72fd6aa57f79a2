#pragma once
// Tells the daemon that its mount left the mount table while it serves: a
// lazy unmount (`fusermount3 -uz`, `umount -l`) detaches the mount at once,
// but the kernel keeps the connection until the last open file goes, and
// a follower parked at the end of `0@end..` never closes its file. So the
// daemon is told, and stops as on SIGTERM: parked reads end with EOF, the
// store closes cleanly, the data directory is released.
//
// The watch is a thread polling /proc/self/mountinfo, which the kernel
// marks (POLLPRI) at every mount or unmount in the namespace; nothing is
// read between changes. It blocks every signal, so SIGTERM and the signal
// that ends the FUSE loop go to the main thread.
//
// Thread safety: construct and destroy on one thread; `on_detached` runs on
// the watch's thread, at most once.

#include <functional>
#include <thread>

namespace topicfs::mountd {

class MountWatch {
 public:
  // Watches the mount with this id (MountEntry::id); a negative id watches
  // nothing. Start it after fuse_daemonize: a fork keeps no threads.
  MountWatch(int mount_id, std::function<void()> on_detached);
  ~MountWatch();  // stops the thread and joins it
  MountWatch(const MountWatch&) = delete;
  MountWatch& operator=(const MountWatch&) = delete;

 private:
  void Run();

  const int mount_id_;
  const std::function<void()> on_detached_;
  int stop_fd_ = -1;  // an eventfd: written to stop the thread
  std::thread thread_;
};

}  // namespace topicfs::mountd
