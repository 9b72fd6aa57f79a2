#include "mountd/mount_watch.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <spdlog/spdlog.h>

#include "mountd/mount_table.h"

namespace topicfs::mountd {

constexpr const char* kMountInfo = "/proc/self/mountinfo";

MountWatch::MountWatch(int mount_id, std::function<void()> on_detached)
    : mount_id_(mount_id), on_detached_(std::move(on_detached)) {
  if (mount_id_ < 0) return;
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    spdlog::warn("cannot watch the mount table (eventfd: {}): a lazy unmount will not stop the daemon",
                 std::strerror(errno));
    return;
  }
  // The thread inherits this mask: it takes no signal meant for the loop.
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  thread_ = std::thread([this] { Run(); });
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

MountWatch::~MountWatch() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof(one));
    thread_.join();
  }
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void MountWatch::Run() {
  const int table_fd = ::open(kMountInfo, O_RDONLY | O_CLOEXEC);
  if (table_fd < 0) {
    spdlog::warn("cannot watch {}: {}: a lazy unmount will not stop the daemon", kMountInfo,
                 std::strerror(errno));
    return;
  }
  for (;;) {
    // The table may have changed before the first poll: look first.
    if (!HasMount(ReadMountTable(kMountInfo), mount_id_)) {
      on_detached_();
      break;
    }
    pollfd fds[2] = {{table_fd, POLLPRI, 0}, {stop_fd_, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN) != 0) break;
  }
  ::close(table_fd);
}

}  // namespace topicfs::mountd
