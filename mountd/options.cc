#include "mountd/options.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace topicfs::mountd {
namespace {

constexpr const char* kVersion = "0.1.0";

// fuse_opt_parse's targets: strings it allocates, flags it sets.
struct Args {
  std::string data_dir;
  char* log_level = nullptr;
  char* log_file = nullptr;
  char* retention_check_interval_ms = nullptr;
  char* cleaner_backoff_ms = nullptr;
  char* producer_id_expiration_ms = nullptr;
  char* lock_wait_ms = nullptr;
  int no_read_checks = 0;
  char* kafka_listen = nullptr;
  int kafka_listen_default = 0;
  int kafka_any_address = 0;
  int no_mount = 0;
  int nonempty = 0;
  int positional = 0;
};

enum { kKeyPositional = FUSE_OPT_KEY_NONOPT };

// Each option twice: "--name=" on the command line, "name=" inside -o.
#define TOPICFS_OPTION(name, member) \
  {"--" name "=%s", offsetof(Args, member), 0}, {name "=%s", offsetof(Args, member), 0}
const fuse_opt kOptions[] = {
    TOPICFS_OPTION("log-level", log_level),
    TOPICFS_OPTION("log-file", log_file),
    TOPICFS_OPTION("retention-check-interval-ms", retention_check_interval_ms),
    TOPICFS_OPTION("cleaner-backoff-ms", cleaner_backoff_ms),
    TOPICFS_OPTION("producer-id-expiration-ms", producer_id_expiration_ms),
    TOPICFS_OPTION("lock-wait-ms", lock_wait_ms),
    TOPICFS_OPTION("kafka-listen", kafka_listen),
    {"--kafka-listen", offsetof(Args, kafka_listen_default), 1},
    {"kafka-listen", offsetof(Args, kafka_listen_default), 1},
    {"--kafka-listen-any-address", offsetof(Args, kafka_any_address), 1},
    {"kafka-listen-any-address", offsetof(Args, kafka_any_address), 1},
    {"--no-mount", offsetof(Args, no_mount), 1},
    {"no-mount", offsetof(Args, no_mount), 1},
    {"--no-read-checks", offsetof(Args, no_read_checks), 1},
    {"no-read-checks", offsetof(Args, no_read_checks), 1},
    // libfuse 3 dropped nonempty (it always mounts over files); topicfs
    // refuses to unless asked, so the option is ours and not passed on.
    {"nonempty", offsetof(Args, nonempty), 1},
    FUSE_OPT_END,
};
#undef TOPICFS_OPTION

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

// A positive number of milliseconds (zero too with allow_zero); an empty
// text keeps the default.
bool ParseMs(const std::string& text, const char* option, int64_t* out, bool allow_zero = false) {
  if (text.empty()) return true;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < (allow_zero ? 0 : 1)) {
    std::fprintf(stderr, "topicfs: %s needs a %s number of milliseconds, not '%s'\n", option,
                 allow_zero ? "non-negative" : "positive", text.c_str());
    return false;
  }
  *out = v;
  return true;
}

// HOST:PORT (an IPv6 host in brackets: [::1]:9092) into config.
bool ParseListenAddress(const std::string& text, Config* config) {
  const size_t colon = text.rfind(':');
  std::string host = colon == std::string::npos ? "" : text.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  char* end = nullptr;
  long v = std::strtol(port.c_str(), &end, 10);
  if (host.empty() || port.empty() || *end != '\0' || v < 0 || v > 65535) {
    std::fprintf(stderr, "topicfs: --kafka-listen needs HOST:PORT (such as 127.0.0.1:9092), not '%s'\n",
                 text.c_str());
    return false;
  }
  config->kafka_host = host;
  config->kafka_port = static_cast<int>(v);
  return true;
}

// Whether host is a loopback address (or a name for one).
bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

void PrintUsage(const char* prog) {
  std::printf(
      "usage: %s [options] DATA_DIR MOUNTPOINT\n"
      "       %s [options] --kafka-listen[=HOST:PORT] --no-mount DATA_DIR\n"
      "       %s unmount [--lazy] [--timeout=SECONDS] MOUNTPOINT\n\n"
      "Mounts DATA_DIR (a Kafka-layout log directory) at MOUNTPOINT: each directory a topic,\n"
      "each file a partition (append with >>, read with cat, tail -f, grep).\n"
      "Every --name=value option is also a mount option: -o name=value.\n\n"
      "topicfs options:\n"
      "    --log-level=LEVEL      trace, debug (each open, append, view, cleaner pass),\n"
      "                           info (default), warn, error, off\n"
      "    --log-file=PATH        log to PATH (appended); default: stderr with -f,\n"
      "                           else syslog (stderr until detached if there is no /dev/log)\n"
      "    --retention-check-interval-ms=N\n"
      "                           how often retention runs (Kafka's\n"
      "                           log.retention.check.interval.ms, default 300000)\n"
      "    --cleaner-backoff-ms=N how often the cleaner looks for a compacted topic\n"
      "                           to clean (log.cleaner.backoff.ms, default 15000)\n"
      "    --producer-id-expiration-ms=N\n"
      "                           forget an idempotent producer N ms after its last\n"
      "                           batch (producer.id.expiration.ms, default 86400000)\n"
      "    --lock-wait-ms=N       wait up to N ms for a daemon still closing DATA_DIR\n"
      "                           (default 10000; 0: fail at once)\n"
      "    --kafka-listen[=HOST:PORT]\n"
      "                           also serve Kafka's protocol there (default\n"
      "                           127.0.0.1:9092): Kafka clients produce to and consume\n"
      "                           from the same topics; no authentication\n"
      "    --kafka-listen-any-address\n"
      "                           allow --kafka-listen on a non-loopback address\n"
      "    --no-mount             serve only the Kafka listener; no MOUNTPOINT\n"
      "    --no-read-checks       serve batches without checking their CRC-32C first\n"
      "                           (only to measure what the check costs)\n"
      "    -o nonempty            mount even if MOUNTPOINT holds files (they are hidden)\n"
      "    -h, --help             print this help\n"
      "    -V, --version          print the version\n\n"
      "FUSE options:\n"
      "    -f                     stay in the foreground (log to stderr)\n"
      "    -d, -o debug           FUSE debug output (implies -f and --log-level=debug)\n"
      "    -s                     serve with one thread\n"
      "    -o max_threads=N       at most N worker threads (default 10)\n"
      "    -o max_idle_threads=N  keep at most N idle worker threads\n"
      "    -o clone_fd            one /dev/fuse descriptor per worker\n"
      "    -o allow_other         let other users in (needs user_allow_other in\n"
      "                           /etc/fuse.conf when not root)\n"
      "    -o allow_root          let root in\n"
      "    -o auto_unmount        unmount when the daemon dies\n"
      "    -o default_permissions let the kernel check permissions\n"
      "    -o fsname=NAME, -o subtype=NAME\n"
      "                           what the mount table shows (default DATA_DIR, topicfs)\n\n"
      "See topicfs(8).\n",
      prog, prog, prog);
}

// Whether libfuse takes the options left for it: a session is made from a
// copy and dropped (it opens nothing), so that an unknown -o option is a
// usage error before the data directory is opened and recovered.
bool FuseAcceptsOptions(fuse_args* args) {
  fuse_args copy = FUSE_ARGS_INIT(0, nullptr);
  for (int i = 0; i < args->argc; ++i) fuse_opt_add_arg(&copy, args->argv[i]);
  const fuse_lowlevel_ops no_ops{};
  fuse_session* se = fuse_session_new(&copy, &no_ops, sizeof(no_ops), nullptr);
  fuse_opt_free_args(&copy);
  if (se == nullptr) return false;
  fuse_session_destroy(se);
  return true;
}

}  // namespace

std::optional<int> ParseArguments(int argc, char** argv, FuseArgs& fuse_args, Config* config) {
  Args args;
  if (fuse_opt_parse(fuse_args.get(), &args, kOptions, TakeDataDir) != 0) return 2;
  config->log_level = TakeString(&args.log_level);
  config->log_file = TakeString(&args.log_file);
  const std::string retention_interval = TakeString(&args.retention_check_interval_ms);
  const std::string cleaner_backoff = TakeString(&args.cleaner_backoff_ms);
  const std::string producer_expiration = TakeString(&args.producer_id_expiration_ms);
  const std::string lock_wait = TakeString(&args.lock_wait_ms);
  const std::string kafka_listen = TakeString(&args.kafka_listen);
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
  config->no_mount = args.no_mount != 0;
  config->kafka_any_address = args.kafka_any_address != 0;
  if (!kafka_listen.empty()) {
    if (!ParseListenAddress(kafka_listen, config)) return 2;
  } else if (args.kafka_listen_default != 0) {
    config->kafka_host = "127.0.0.1";
    config->kafka_port = 9092;
  }
  if (!config->kafka_host.empty() && !IsLoopback(config->kafka_host) && !config->kafka_any_address) {
    std::fprintf(stderr,
                 "%s: --kafka-listen=%s is not a loopback address: the listener has no "
                 "authentication; add --kafka-listen-any-address to serve it anyway\n",
                 argv[0], kafka_listen.c_str());
    return 2;
  }
  if (config->no_mount) {
    if (config->kafka_host.empty()) {
      std::fprintf(stderr, "%s: --no-mount serves only the Kafka listener: it needs --kafka-listen\n",
                   argv[0]);
      return 2;
    }
    if (args.data_dir.empty() || mountpoint != nullptr) {
      std::fprintf(stderr, "%s: with --no-mount give DATA_DIR only (see --help)\n", argv[0]);
      return 2;
    }
  } else if (args.data_dir.empty() || mountpoint == nullptr) {
    std::fprintf(stderr, "%s: need DATA_DIR and MOUNTPOINT (see --help)\n", argv[0]);
    return 2;
  }
  config->data_dir = args.data_dir;
  if (mountpoint != nullptr) config->mountpoint = mountpoint.get();
  config->nonempty = args.nonempty != 0;
  if (config->log_level.empty()) config->log_level = config->fuse.debug ? "debug" : "info";

  topicfs::store::LogManager::Options& store = config->store;
  store.verify_reads = args.no_read_checks == 0;
  if (!ParseMs(retention_interval, "retention-check-interval-ms", &store.retention_check_interval_ms) ||
      !ParseMs(cleaner_backoff, "cleaner-backoff-ms", &store.cleaner_backoff_ms) ||
      !ParseMs(producer_expiration, "producer-id-expiration-ms", &store.producer_id_expiration_ms) ||
      !ParseMs(lock_wait, "lock-wait-ms", &config->lock_wait_ms, /*allow_zero=*/true)) {
    return 2;
  }
  if (!FuseAcceptsOptions(fuse_args.get())) return 2;  // libfuse said why
  (void)argc;
  return std::nullopt;
}

}  // namespace topicfs::mountd
