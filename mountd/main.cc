// topicfs [options] DATA_DIR MOUNTPOINT
//
// Opens (and recovers) the data directory, mounts it, serves until
// unmounted or signalled (SIGINT, SIGTERM, SIGHUP, fusermount3 -u), then
// flushes, writes the checkpoints and the clean-shutdown marker.

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "fs/filesystem.h"
#include "fs/fuse_ops.h"
#include "mountd/logging.h"
#include "store/manager/group_offsets.h"
#include "store/manager/log_manager.h"

namespace {

constexpr const char* kVersion = "0.1.0";

struct Args {
  std::string data_dir;
  char* log_level = nullptr;
  char* retention_check_interval_ms = nullptr;
  char* cleaner_backoff_ms = nullptr;
  int no_read_checks = 0;
  int positional = 0;
};

// fuse_opt keys for our own options; everything else is libfuse's.
enum { kKeyPositional = FUSE_OPT_KEY_NONOPT };

const fuse_opt kOptions[] = {
    {"--log-level=%s", offsetof(Args, log_level), 0},
    {"--retention-check-interval-ms=%s", offsetof(Args, retention_check_interval_ms), 0},
    {"--cleaner-backoff-ms=%s", offsetof(Args, cleaner_backoff_ms), 0},
    {"--no-read-checks", offsetof(Args, no_read_checks), 1},
    FUSE_OPT_END,
};

// The first non-option is the data directory (ours); the second, the mount
// point, is left for fuse_parse_cmdline.
int TakeDataDir(void* data, const char* arg, int key, fuse_args*) {
  auto* args = static_cast<Args*>(data);
  if (key != kKeyPositional) return 1;
  if (args->positional++ == 0) {
    args->data_dir = arg;
    return 0;
  }
  return 1;
}

// Takes ownership of a string fuse_opt_parse allocated.
std::string TakeString(char** s) {
  std::string out = *s != nullptr ? *s : "";
  std::free(*s);
  *s = nullptr;
  return out;
}

// A positive number of milliseconds; an empty text keeps the default.
bool ParseMs(const std::string& text, const char* option, int64_t* out) {
  if (text.empty()) return true;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1) {
    std::fprintf(stderr, "topicfs: %s needs a positive number of milliseconds, not '%s'\n", option,
                 text.c_str());
    return false;
  }
  *out = v;
  return true;
}

void PrintUsage(const char* prog) {
  std::printf(
      "usage: %s [options] DATA_DIR MOUNTPOINT\n\n"
      "Mounts DATA_DIR (a Kafka-layout log directory) at MOUNTPOINT: each directory a topic,\n"
      "each file a partition (append with >>, read with cat, tail -f, grep).\n\n"
      "topicfs options:\n"
      "    --log-level=LEVEL      trace, debug, info (default), warn, error\n"
      "    --retention-check-interval-ms=N\n"
      "                           how often retention runs (Kafka's\n"
      "                           log.retention.check.interval.ms, default 300000)\n"
      "    --cleaner-backoff-ms=N how often the cleaner looks for a compacted topic\n"
      "                           to clean (log.cleaner.backoff.ms, default 15000)\n"
      "    --no-read-checks       serve batches without checking their CRC-32C first\n"
      "                           (only to measure what the check costs)\n"
      "    -h   --help            print help\n"
      "    -V   --version         print version\n\n",
      prog);
  fuse_cmdline_help();
  fuse_lowlevel_help();
}

// Raises the soft limit on open files to the hard one: the store keeps as
// many segment files open as the limit leaves room for (store/io/file_cache.h).
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    spdlog::info("open file limit raised from {} to {}", before, limit.rlim_cur);
  } else {
    spdlog::warn("cannot raise the open file limit from {}: {}", before, std::strerror(errno));
  }
}

// Serves until the session ends; returns the loop's status.
int Serve(fuse_session* se, const fuse_cmdline_opts& opts) {
  if (opts.singlethread) return fuse_session_loop(se);
  fuse_loop_config* config = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(config, static_cast<unsigned int>(opts.clone_fd));
  // Unset -o max_idle_threads arrives as UINT_MAX, which libfuse 3.14 would
  // log as invalid.
  if (opts.max_idle_threads <= 100000) fuse_loop_cfg_set_idle_threads(config, opts.max_idle_threads);
  // libfuse leaves max_threads at UINT_MAX when -o max_threads is absent;
  // 10 is its documented default.
  bool given = opts.max_threads > 0 && opts.max_threads <= 100000;
  fuse_loop_cfg_set_max_threads(config, given ? opts.max_threads : 10);
  int rc = fuse_session_loop_mt(se, config);
  fuse_loop_cfg_destroy(config);
  return rc;
}

int Run(int argc, char** argv) {
  fuse_args fargs = FUSE_ARGS_INIT(argc, argv);
  // Freed on every return (freeing twice is safe: fuse_opt_free_args resets).
  std::unique_ptr<fuse_args, decltype(&fuse_opt_free_args)> free_args(&fargs, &fuse_opt_free_args);
  Args args;
  if (fuse_opt_parse(&fargs, &args, kOptions, TakeDataDir) != 0) return 2;
  std::string level_option = TakeString(&args.log_level);
  std::string retention_interval = TakeString(&args.retention_check_interval_ms);
  std::string cleaner_backoff = TakeString(&args.cleaner_backoff_ms);
  fuse_cmdline_opts opts{};
  if (fuse_parse_cmdline(&fargs, &opts) != 0) return 2;
  std::unique_ptr<char, decltype(&std::free)> mountpoint(opts.mountpoint, &std::free);
  if (opts.show_help) {
    PrintUsage(argv[0]);
    return 0;
  }
  if (opts.show_version) {
    std::printf("topicfs %s\nlibfuse %s\n", kVersion, fuse_pkgversion());
    return 0;
  }
  if (args.data_dir.empty() || mountpoint == nullptr) {
    std::fprintf(stderr, "%s: need DATA_DIR and MOUNTPOINT (see --help)\n", argv[0]);
    return 2;
  }
  std::string level = !level_option.empty() ? level_option : (opts.debug ? "debug" : "info");
  if (!topicfs::mountd::SetUpLogging(level, /*foreground=*/opts.foreground != 0)) {
    std::fprintf(stderr, "%s: unknown log level '%s'\n", argv[0], level.c_str());
    return 2;
  }

  // The daemon changes directory when it detaches: hold the data directory
  // by its absolute path.
  std::error_code ec;
  std::filesystem::create_directories(args.data_dir, ec);
  std::filesystem::path absolute = std::filesystem::absolute(args.data_dir, ec);
  if (!ec) args.data_dir = absolute.lexically_normal().string();

  RaiseOpenFileLimit();
  // Recover before mounting: a data directory that cannot be opened (or that
  // another daemon holds) is reported here, in the foreground.
  topicfs::store::LogManager::Options mopts;
  mopts.data_dir = args.data_dir;
  mopts.background_warning = [](const std::string& what) { spdlog::warn("{}", what); };
  mopts.verify_reads = args.no_read_checks == 0;
  if (!mopts.verify_reads) spdlog::warn("--no-read-checks: damaged batches will be served as they are");
  if (!ParseMs(retention_interval, "--retention-check-interval-ms", &mopts.retention_check_interval_ms) ||
      !ParseMs(cleaner_backoff, "--cleaner-backoff-ms", &mopts.cleaner_backoff_ms)) {
    return 2;
  }
  auto manager = topicfs::store::LogManager::Open(mopts);
  if (!manager.ok()) {
    std::fprintf(stderr, "topicfs: cannot open %s: %s\n", args.data_dir.c_str(),
                 manager.status().message().c_str());
    return 1;
  }
  for (const auto& w : (*manager)->warnings()) spdlog::warn("recovery: {}", w);
  spdlog::info("opened {} ({} topics, {} shutdown)", args.data_dir, (*manager)->ListTopics().size(),
               (*manager)->had_clean_shutdown() ? "clean" : "unclean");

  auto groups = topicfs::store::GroupOffsets::Open(**manager, topicfs::store::Clock::System());
  if (!groups.ok()) {
    std::fprintf(stderr, "topicfs: cannot load consumer group positions in %s: %s\n",
                 args.data_dir.c_str(), groups.status().message().c_str());
    (void)(*manager)->Close();
    return 1;
  }
  for (const auto& w : (*groups)->warnings()) spdlog::warn("consumer groups: {}", w);
  topicfs::fs::Filesystem filesystem(**manager, {::getuid(), ::getgid(), groups->get()});
  const fuse_lowlevel_ops& ops = topicfs::fs::FuseOps();
  fuse_session* se = fuse_session_new(&fargs, &ops, sizeof(ops), &filesystem);
  fuse_opt_free_args(&fargs);
  int rc = 1;
  if (se != nullptr) {
    if (fuse_set_signal_handlers(se) == 0) {
      if (fuse_session_mount(se, mountpoint.get()) == 0) {
        // Mount first, then detach, so mount errors reach the caller.
        if (fuse_daemonize(opts.foreground) == 0) {
          topicfs::mountd::AfterDaemonize(opts.foreground != 0);
          (*manager)->StartBackground(1000);
          spdlog::info("mounted {} on {}", args.data_dir, mountpoint.get());
          // The loop returns the signal number when a signal ended it: a
          // normal way to stop. Only a negative value is an error.
          rc = Serve(se, opts) >= 0 ? 0 : 1;
          // Parked follow reads are answered (EINTR) while the channel is open.
          filesystem.Shutdown();
          spdlog::info("unmounting {}", mountpoint.get());
        }
        fuse_session_unmount(se);
      }
      fuse_remove_signal_handlers(se);
    }
    fuse_session_destroy(se);
  }
  filesystem.ReleaseAll();
  topicfs::store::Status closed = (*manager)->Close();
  if (!closed.ok()) {
    spdlog::error("closing {}: {}", args.data_dir, closed.ToString());
    rc = 1;
  } else {
    spdlog::info("closed {} cleanly", args.data_dir);
  }
  spdlog::shutdown();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "topicfs: fatal: %s\n", e.what());
    return 1;
  }
}
