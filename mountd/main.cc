// topicfs [options] DATA_DIR MOUNTPOINT
// topicfs unmount [--lazy] [--timeout=S] MOUNTPOINT
// topicfs export-kafka DATA KAFKA_LOG_DIR [--topic NAME]... [--link]
//
// Opens (and recovers) the data directory, mounts it, serves until
// unmounted (also lazily) or signalled (SIGINT, SIGTERM, SIGHUP), then ends
// parked follow reads with EOF, flushes, writes the checkpoints and the
// clean-shutdown marker, and releases the data directory.

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "fs/filesystem.h"
#include "fs/fuse_ops.h"
#include "mountd/export_kafka_command.h"
#include "mountd/kafka_listener.h"
#include "mountd/logging.h"
#include "mountd/mount_checks.h"
#include "mountd/mount_table.h"
#include "mountd/mount_watch.h"
#include "mountd/options.h"
#include "mountd/stopper.h"
#include "mountd/import_command.h"
#include "mountd/unmount_command.h"
#include "store/manager/group_offsets.h"
#include "store/manager/log_manager.h"

namespace {

using topicfs::mountd::Config;
using topicfs::mountd::FuseArgs;

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

// Why the daemon will not go on: logged, and said on stderr if the log
// does not go there (syslog, a log file), before the daemon detaches.
void Refuse(const std::string& why) {
  spdlog::error("{}", why);
  if (!topicfs::mountd::LogsToStderr()) std::fprintf(stderr, "topicfs: %s\n", why.c_str());
}

// The data directory, opened (and recovered) before mounting, so that one
// that cannot be opened (or that another daemon holds) is reported in the
// foreground; and the consumer groups' positions in it.
struct Store {
  std::unique_ptr<topicfs::store::LogManager> manager;
  std::unique_ptr<topicfs::store::GroupOffsets> groups;
};

// Whether DATA_DIR is mounted (by the daemon holding it) in this namespace:
// then that daemon serves, and waiting for it is pointless.
std::optional<std::string> MountedAt(const std::string& data_dir) {
  for (const auto& e : topicfs::mountd::ReadMountTable()) {
    if (e.type == topicfs::mountd::kMountType && e.source == data_dir) return e.mount_point;
  }
  return std::nullopt;
}

// Opens the store; while another daemon holds the directory and is not
// serving a mount of it (it is closing, after an unmount), waits up to
// --lock-wait-ms for it to let go.
topicfs::store::Result<std::unique_ptr<topicfs::store::LogManager>> OpenManager(const Config& config,
                                                                              const std::string& data_dir) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.lock_wait_ms);
  bool told = false;
  for (;;) {
    auto manager = topicfs::store::LogManager::Open(config.store);
    if (manager.ok() || manager.status().code() != topicfs::store::Code::kBusy) return manager;
    if (auto at = MountedAt(data_dir)) {
      return topicfs::store::Status::Busy(manager.status().message() + ", which has it mounted on " + *at);
    }
    if (std::chrono::steady_clock::now() >= deadline) return manager;
    if (!told) {
      spdlog::info("{}; waiting up to {} ms for it to finish closing", manager.status().message(),
                   config.lock_wait_ms);
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::optional<Store> OpenStore(const Config& config, const topicfs::mountd::DataDir& data_dir) {
  RaiseOpenFileLimit();
  if (!config.store.verify_reads) spdlog::warn("--no-read-checks: damaged batches will be served as they are");
  auto manager = OpenManager(config, data_dir.path);
  if (!manager.ok()) {
    Refuse(fmt::format("cannot open {}: {}", data_dir.path, manager.status().message()));
    return std::nullopt;
  }
  for (const auto& w : (*manager)->warnings()) spdlog::warn("recovery: {}", w);
  if (data_dir.created) {
    spdlog::info("opened {}: a new data directory", data_dir.path);
  } else {
    spdlog::info("opened {} ({} topics, {} shutdown)", data_dir.path, (*manager)->ListTopics().size(),
                 (*manager)->had_clean_shutdown() ? "clean" : "unclean");
  }
  auto groups = topicfs::store::GroupOffsets::Open(**manager, topicfs::store::Clock::System());
  if (!groups.ok()) {
    Refuse(fmt::format("cannot load consumer group positions in {}: {}", data_dir.path,
                       groups.status().message()));
    (void)(*manager)->Close();
    return std::nullopt;
  }
  for (const auto& w : (*groups)->warnings()) spdlog::warn("consumer groups: {}", w);
  return Store{std::move(manager).value(), std::move(groups).value()};
}

// Each step of bringing the mount up is undone, in reverse, on every path.
using Session = std::unique_ptr<fuse_session, decltype(&fuse_session_destroy)>;

class Mounted {
 public:
  Mounted(fuse_session* se, const std::string& mountpoint)
      : se_(se), mounted_(fuse_session_mount(se, mountpoint.c_str()) == 0) {}
  ~Mounted() {
    // A detached mount is not unmounted again: by now another mount may
    // sit at the same path. Destroying the session closes /dev/fuse.
    if (mounted_ && !detached_.load()) fuse_session_unmount(se_);
  }
  bool ok() const { return mounted_; }
  void MarkDetached() { detached_.store(true); }

 private:
  fuse_session* se_;
  bool mounted_;
  std::atomic<bool> detached_{false};
};

// Our mount's id in the mount table, read right after mounting (the
// topmost mount at the path is the one just made); -1 if not found.
int OwnMountId(const std::string& mountpoint) {
  auto e = topicfs::mountd::FindMount(topicfs::mountd::ReadMountTable(), mountpoint);
  return e ? e->id : -1;
}

// fsname shows the data directory as the mount's source (`topicfs unmount`
// reads it); subtype makes the type fuse.topicfs. Inserted first, so that
// the user's own -o fsname= or subtype= comes later and wins.
void AddMountIdentity(FuseArgs& fuse_args, const std::string& data_dir) {
  std::string escaped;
  for (char c : data_dir) {
    if (c == ',' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  std::string opt = "-osubtype=topicfs,fsname=" + escaped;
  fuse_opt_insert_arg(fuse_args.get(), 1, opt.c_str());
}

// Mounts, detaches and serves until unmounted or signalled. Returns the
// exit status (0: the loop ended normally, by an unmount or a signal; 2: a
// usage error libfuse found, such as an unknown -o option).
int ServeMount(Config& config, const std::string& mountpoint, FuseArgs& fuse_args, Store& store,
               topicfs::mountd::KafkaListener* kafka) {
  topicfs::fs::Filesystem filesystem(*store.manager, {::getuid(), ::getgid(), store.groups.get()});
  const fuse_lowlevel_ops& ops = topicfs::fs::FuseOps();
  int rc = 1;
  {
    Session session(fuse_session_new(fuse_args.get(), &ops, sizeof(ops), &filesystem), &fuse_session_destroy);
    // libfuse has said why on stderr; nearly always an unknown option.
    if (session == nullptr) return 2;
    topicfs::mountd::Stopper stopper(session.get(), filesystem);
    if (!stopper.ok()) return rc;
    Mounted mounted(session.get(), mountpoint);
    const int mount_id = mounted.ok() ? OwnMountId(mountpoint) : -1;
    // Mount first, then detach, so mount errors reach the caller.
    if (mounted.ok() && fuse_daemonize(config.fuse.foreground) == 0) {
      if (topicfs::store::Status owner = store.manager->RecordLockOwner(); !owner.ok()) {
        spdlog::warn("cannot write our pid to the data directory's .lock: {}", owner.ToString());
      }
      store.manager->StartBackground(1000);
      // A Produce wakes the mount's followers as an `echo >>` does.
      if (kafka != nullptr) {
        kafka->Start(store.manager.get(), store.groups.get(),
                     [&filesystem](const topicfs::store::Log& log) { filesystem.followers().Notify(&log); });
      }
      stopper.Start();
      // A lazy unmount ends the daemon as SIGTERM does.
      topicfs::mountd::MountWatch watch(mount_id, [&mounted, &mountpoint, &stopper] {
        mounted.MarkDetached();
        stopper.Request(mountpoint + " was unmounted lazily (detached)");
      });
      spdlog::info("mounted {} on {}", config.store.data_dir, mountpoint);
      // Ended by an unmount, or by the stopper (a signal, a lazy unmount);
      // only a negative value is an error.
      rc = Serve(session.get(), config.fuse) >= 0 ? 0 : 1;
      stopper.LoopEnded();
      if (kafka != nullptr) kafka->Stop();
      // Parked follow reads end (EOF); the stopper did so already, unless
      // an unmount ended the loop.
      filesystem.Shutdown();
      spdlog::info("unmounting {}", mountpoint);
    }
  }
  // Held partial lines become records before the store closes.
  filesystem.ReleaseAll();
  return rc;
}

// --no-mount: detaches and serves the Kafka listener alone until SIGINT,
// SIGTERM or SIGHUP.
int ServeSocketOnly(Config& config, Store& store, topicfs::mountd::KafkaListener& kafka) {
  // Blocked before any thread starts, so that every thread inherits the
  // mask and sigwait below is the one that takes them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (fuse_daemonize(config.fuse.foreground) != 0) return 1;
  if (topicfs::store::Status owner = store.manager->RecordLockOwner(); !owner.ok()) {
    spdlog::warn("cannot write our pid to the data directory's .lock: {}", owner.ToString());
  }
  store.manager->StartBackground(1000);
  kafka.Start(store.manager.get(), store.groups.get());
  spdlog::info("serving {} over Kafka only (--no-mount)", config.store.data_dir);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("{}: stopping", strsignal(sig));
  kafka.Stop();
  return 0;
}

int Run(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "unmount") == 0) {
    return topicfs::mountd::RunUnmountCommand(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::strcmp(argv[1], "import") == 0) {
    return topicfs::mountd::RunImportCommand(argc - 1, argv + 1);
  }
  if (argc >= 2 && std::strcmp(argv[1], "export-kafka") == 0) {
    return topicfs::mountd::RunExportKafkaCommand(argc - 1, argv + 1);
  }
  FuseArgs fuse_args(argc, argv);
  Config config;
  if (std::optional<int> done = topicfs::mountd::ParseArguments(argc, argv, fuse_args, &config)) return *done;
  std::string error;
  if (!topicfs::mountd::SetUpLogging(config.log_level, config.fuse.foreground != 0, config.log_file, &error)) {
    std::fprintf(stderr, "topicfs: %s\n", error.c_str());
    return 2;
  }
  std::string mountpoint;
  if (!config.no_mount) {
    if (auto refused = topicfs::mountd::CheckMountPoint(config.mountpoint, config.nonempty, &mountpoint)) {
      Refuse(*refused);
      return 1;
    }
  }
  topicfs::mountd::DataDir data_dir;
  if (auto refused = topicfs::mountd::PrepareDataDir(config.data_dir, &data_dir)) {
    Refuse(*refused);
    return 1;
  }
  if (std::string note = topicfs::mountd::LoggingNote(); !note.empty()) spdlog::warn("{}", note);
  if (data_dir.created) spdlog::info("created the data directory {}", data_dir.path);
  config.store.data_dir = data_dir.path;
  config.store.background_warning = [](const std::string& what) { spdlog::warn("{}", what); };
  config.store.background_pass = [](const std::string& what) { spdlog::debug("{}", what); };
  AddMountIdentity(fuse_args, data_dir.path);
  std::optional<Store> store = OpenStore(config, data_dir);
  if (!store) return 1;
  std::unique_ptr<topicfs::mountd::KafkaListener> kafka;
  if (!config.kafka_host.empty()) {
    auto bound = topicfs::mountd::KafkaListener::Bind(config.kafka_host, config.kafka_port);
    if (!bound.ok()) {
      Refuse(fmt::format("cannot listen for Kafka clients on {}:{}: {}", config.kafka_host,
                         config.kafka_port, bound.status().message()));
      (void)store->manager->Close();
      return 1;
    }
    kafka = std::move(bound).value();
  }
  int rc = config.no_mount ? ServeSocketOnly(config, *store, *kafka)
                           : ServeMount(config, mountpoint, fuse_args, *store, kafka.get());
  kafka.reset();
  topicfs::store::Status closed = store->manager->Close();
  if (!closed.ok()) {
    spdlog::error("closing {}: {}", data_dir.path, closed.ToString());
    rc = rc == 0 ? 1 : rc;
  } else {
    spdlog::info("closed {} cleanly", data_dir.path);
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
