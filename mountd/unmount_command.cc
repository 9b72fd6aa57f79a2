#include "mountd/unmount_command.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>

#include "mountd/mount_table.h"

extern char** environ;

namespace topicfs::mountd {
namespace {

constexpr double kDefaultTimeoutSeconds = 60;

void PrintUnmountUsage(FILE* to) {
  std::fprintf(to,
               "usage: topicfs unmount [-z|--lazy] [--timeout=SECONDS] MOUNTPOINT\n\n"
               "Unmounts a topicfs mount and waits until its daemon has closed the data\n"
               "directory (flushed, checkpointed, released), so it can be mounted again.\n\n"
               "    -z, --lazy           detach now even if files are open (fusermount3 -uz);\n"
               "                         followers parked at the end of a view get EOF\n"
               "    --timeout=SECONDS    give up waiting after this long (default %g)\n"
               "    -h, --help           print this help\n",
               kDefaultTimeoutSeconds);
}

// Runs fusermount3 -u [-z] MOUNTPOINT; its messages go to our stderr.
int RunFusermount(const std::string& mount_point, bool lazy) {
  std::string prog = "fusermount3";
  std::string u = lazy ? "-uz" : "-u";
  std::string dashes = "--";
  std::string mp = mount_point;
  char* argv[] = {prog.data(), u.data(), dashes.data(), mp.data(), nullptr};
  pid_t pid = 0;
  if (int e = ::posix_spawnp(&pid, "fusermount3", nullptr, nullptr, argv, environ); e != 0) {
    std::fprintf(stderr, "topicfs unmount: cannot run fusermount3: %s\n", std::strerror(e));
    return 1;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

// Released: nobody holds the flock the daemon keeps on the directory
// (store/manager/log_manager.cc). Taken and let go at once; a daemon
// starting that instant waits for it (mountd/main.cc).
bool Released(int dir_fd) {
  if (::flock(dir_fd, LOCK_EX | LOCK_NB) != 0) return false;
  ::flock(dir_fd, LOCK_UN);
  return true;
}

}  // namespace

int RunUnmountCommand(int argc, char** argv) {
  bool lazy = false;
  double timeout = kDefaultTimeoutSeconds;
  const char* mount_arg = nullptr;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    std::string value;
    if (a == "-h" || a == "--help") {
      PrintUnmountUsage(stdout);
      return 0;
    } else if (a == "-z" || a == "--lazy") {
      lazy = true;
    } else if (a.starts_with("--timeout=") || a == "--timeout") {
      if (a == "--timeout") {
        if (++i == argc) {
          std::fprintf(stderr, "topicfs unmount: --timeout needs a number of seconds\n");
          return 2;
        }
        value = argv[i];
      } else {
        value = std::string(a.substr(10));
      }
      char* end = nullptr;
      timeout = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(timeout >= 0)) {
        std::fprintf(stderr, "topicfs unmount: --timeout needs a number of seconds, not '%s'\n",
                     value.c_str());
        return 2;
      }
    } else if (a.starts_with("-") && a != "-") {
      std::fprintf(stderr, "topicfs unmount: unknown option '%s' (see topicfs unmount --help)\n", argv[i]);
      return 2;
    } else if (mount_arg == nullptr) {
      mount_arg = argv[i];
    } else {
      std::fprintf(stderr, "topicfs unmount: one MOUNTPOINT only, not also '%s'\n", argv[i]);
      return 2;
    }
  }
  if (mount_arg == nullptr) {
    PrintUnmountUsage(stderr);
    return 2;
  }
  std::error_code ec;
  const std::string mount_point = std::filesystem::canonical(mount_arg, ec).string();
  if (ec) {
    std::fprintf(stderr, "topicfs unmount: %s: %s\n", mount_arg, ec.message().c_str());
    return 1;
  }
  auto entry = FindMount(ReadMountTable(), mount_point);
  if (!entry || entry->type != kMountType) {
    std::fprintf(stderr, "topicfs unmount: %s is not a topicfs mount%s\n", mount_point.c_str(),
                 entry ? (" (it is " + entry->type + ")").c_str() : "");
    return 1;
  }
  // Opened before the unmount: the source names the directory the daemon locks.
  const int dir_fd = ::open(entry->source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) {
    std::fprintf(stderr, "topicfs unmount: cannot open the data directory %s: %s\n",
                 entry->source.c_str(), std::strerror(errno));
  }
  if (RunFusermount(mount_point, lazy) != 0) {
    if (dir_fd >= 0) ::close(dir_fd);
    return 1;
  }
  if (dir_fd < 0) return 1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout);
  bool released = Released(dir_fd);
  while (!released && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    released = Released(dir_fd);
  }
  ::close(dir_fd);
  if (!released) {
    std::fprintf(stderr,
                 "topicfs unmount: %s is unmounted, but its daemon has not released %s within %gs "
                 "(see %s/.lock for its pid)\n",
                 mount_point.c_str(), entry->source.c_str(), timeout, entry->source.c_str());
    return 1;
  }
  return 0;
}

}  // namespace topicfs::mountd
