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
#include <optional>
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

// libfuse's argument vector, freed with it (fuse_opt_parse allocates).
class FuseArgs {
 public:
  FuseArgs(int argc, char** argv) : args_(FUSE_ARGS_INIT(argc, argv)) {}
  ~FuseArgs() { fuse_opt_free_args(&args_); }
  FuseArgs(const FuseArgs&) = delete;
  FuseArgs& operator=(const FuseArgs&) = delete;
  fuse_args* get() { return &args_; }

 private:
  fuse_args args_;
};

// What the command line asks for.
struct Config {
  std::string data_dir;  // absolute: the daemon changes directory when it detaches
  std::string mountpoint;
  fuse_cmdline_opts fuse{};  // foreground, threads, debug
  topicfs::store::LogManager::Options store;
};

// Parses the command line into config, leaving libfuse's own options in
// fuse_args. Returns the exit status when there is nothing more to do
// (--help, --version: 0; a usage error: 2), nullopt to go on.
std::optional<int> ParseArguments(int argc, char** argv, FuseArgs& fuse_args, Config* config) {
  Args args;
  if (fuse_opt_parse(fuse_args.get(), &args, kOptions, TakeDataDir) != 0) return 2;
  const std::string level_option = TakeString(&args.log_level);
  const std::string retention_interval = TakeString(&args.retention_check_interval_ms);
  const std::string cleaner_backoff = TakeString(&args.cleaner_backoff_ms);
  if (fuse_parse_cmdline(fuse_args.get(), &config->fuse) != 0) return 2;
  std::unique_ptr<char, decltype(&std::free)> mountpoint(config->fuse.mountpoint, &std::free);
  config->fuse.mountpoint = nullptr;
  if (config->fuse.show_help) {
    PrintUsage(argv[0]);
    return 0;
  }
  if (config->fuse.show_version) {
    std::printf("topicfs %s\nlibfuse %s\n", kVersion, fuse_pkgversion());
    return 0;
  }
  if (args.data_dir.empty() || mountpoint == nullptr) {
    std::fprintf(stderr, "%s: need DATA_DIR and MOUNTPOINT (see --help)\n", argv[0]);
    return 2;
  }
  config->mountpoint = mountpoint.get();
  const std::string level = !level_option.empty() ? level_option : (config->fuse.debug ? "debug" : "info");
  if (!topicfs::mountd::SetUpLogging(level, /*foreground=*/config->fuse.foreground != 0)) {
    std::fprintf(stderr, "%s: unknown log level '%s'\n", argv[0], level.c_str());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(args.data_dir, ec);
  std::filesystem::path absolute = std::filesystem::absolute(args.data_dir, ec);
  config->data_dir = ec ? args.data_dir : absolute.lexically_normal().string();

  topicfs::store::LogManager::Options& store = config->store;
  store.data_dir = config->data_dir;
  store.background_warning = [](const std::string& what) { spdlog::warn("{}", what); };
  store.verify_reads = args.no_read_checks == 0;
  if (!ParseMs(retention_interval, "--retention-check-interval-ms", &store.retention_check_interval_ms) ||
      !ParseMs(cleaner_backoff, "--cleaner-backoff-ms", &store.cleaner_backoff_ms)) {
    return 2;
  }
  return std::nullopt;
}

// The data directory, opened (and recovered) before mounting, so that one
// that cannot be opened (or that another daemon holds) is reported in the
// foreground; and the consumer groups' positions in it.
struct Store {
  std::unique_ptr<topicfs::store::LogManager> manager;
  std::unique_ptr<topicfs::store::GroupOffsets> groups;
};

std::optional<Store> OpenStore(const Config& config) {
  RaiseOpenFileLimit();
  if (!config.store.verify_reads) spdlog::warn("--no-read-checks: damaged batches will be served as they are");
  auto manager = topicfs::store::LogManager::Open(config.store);
  if (!manager.ok()) {
    std::fprintf(stderr, "topicfs: cannot open %s: %s\n", config.data_dir.c_str(),
                 manager.status().message().c_str());
    return std::nullopt;
  }
  for (const auto& w : (*manager)->warnings()) spdlog::warn("recovery: {}", w);
  spdlog::info("opened {} ({} topics, {} shutdown)", config.data_dir, (*manager)->ListTopics().size(),
               (*manager)->had_clean_shutdown() ? "clean" : "unclean");
  auto groups = topicfs::store::GroupOffsets::Open(**manager, topicfs::store::Clock::System());
  if (!groups.ok()) {
    std::fprintf(stderr, "topicfs: cannot load consumer group positions in %s: %s\n",
                 config.data_dir.c_str(), groups.status().message().c_str());
    (void)(*manager)->Close();
    return std::nullopt;
  }
  for (const auto& w : (*groups)->warnings()) spdlog::warn("consumer groups: {}", w);
  return Store{std::move(manager).value(), std::move(groups).value()};
}

// Each step of bringing the mount up is undone, in reverse, on every path.
using Session = std::unique_ptr<fuse_session, decltype(&fuse_session_destroy)>;

class SignalHandlers {
 public:
  explicit SignalHandlers(fuse_session* se) : se_(se), set_(fuse_set_signal_handlers(se) == 0) {}
  ~SignalHandlers() {
    if (set_) fuse_remove_signal_handlers(se_);
  }
  bool ok() const { return set_; }

 private:
  fuse_session* se_;
  bool set_;
};

class Mounted {
 public:
  Mounted(fuse_session* se, const std::string& mountpoint)
      : se_(se), mounted_(fuse_session_mount(se, mountpoint.c_str()) == 0) {}
  ~Mounted() {
    if (mounted_) fuse_session_unmount(se_);
  }
  bool ok() const { return mounted_; }

 private:
  fuse_session* se_;
  bool mounted_;
};

// Mounts, detaches and serves until unmounted or signalled. Returns the
// exit status (0: the loop ended normally, by an unmount or a signal).
int ServeMount(Config& config, FuseArgs& fuse_args, Store& store) {
  topicfs::fs::Filesystem filesystem(*store.manager, {::getuid(), ::getgid(), store.groups.get()});
  const fuse_lowlevel_ops& ops = topicfs::fs::FuseOps();
  int rc = 1;
  {
    Session session(fuse_session_new(fuse_args.get(), &ops, sizeof(ops), &filesystem), &fuse_session_destroy);
    if (session == nullptr) return rc;
    SignalHandlers signals(session.get());
    if (!signals.ok()) return rc;
    Mounted mounted(session.get(), config.mountpoint);
    // Mount first, then detach, so mount errors reach the caller.
    if (mounted.ok() && fuse_daemonize(config.fuse.foreground) == 0) {
      topicfs::mountd::AfterDaemonize(config.fuse.foreground != 0);
      store.manager->StartBackground(1000);
      spdlog::info("mounted {} on {}", config.data_dir, config.mountpoint);
      // The loop returns the signal number when a signal ended it: a normal
      // way to stop. Only a negative value is an error.
      rc = Serve(session.get(), config.fuse) >= 0 ? 0 : 1;
      // Parked follow reads are answered (EINTR) while the channel is open.
      filesystem.Shutdown();
      spdlog::info("unmounting {}", config.mountpoint);
    }
  }
  // Held partial lines become records before the store closes.
  filesystem.ReleaseAll();
  return rc;
}

int Run(int argc, char** argv) {
  FuseArgs fuse_args(argc, argv);
  Config config;
  if (std::optional<int> done = ParseArguments(argc, argv, fuse_args, &config)) return *done;
  std::optional<Store> store = OpenStore(config);
  if (!store) return 1;
  int rc = ServeMount(config, fuse_args, *store);
  topicfs::store::Status closed = store->manager->Close();
  if (!closed.ok()) {
    spdlog::error("closing {}: {}", config.data_dir, closed.ToString());
    rc = 1;
  } else {
    spdlog::info("closed {} cleanly", config.data_dir);
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
