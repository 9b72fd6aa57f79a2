#pragma once
// The daemon's command line: `topicfs [options] DATA_DIR MOUNTPOINT`.
// Every topicfs option is accepted both as `--name=value` and as a mount
// option `-o name=value`, so that `mount -t fuse.topicfs DATA MNT -o ...`
// and an /etc/fstab line can set it (mount.fuse3 passes options as -o).
// libfuse's own options (-f, -d, -s, -o allow_other, ...) are left in the
// argument vector for fuse_session_new.

#include "fs/fuse_ops.h"  // FUSE_USE_VERSION, then <fuse_lowlevel.h>

#include <cstdint>
#include <optional>
#include <string>

#include "store/manager/log_manager.h"

namespace topicfs::mountd {

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
  std::string data_dir;    // as given
  std::string mountpoint;  // as given
  std::string log_level;   // "info" unless set (or -d: "debug")
  std::string log_file;    // empty: stderr in the foreground, syslog in the background
  bool nonempty = false;   // -o nonempty: mount over a directory that holds files
  int64_t lock_wait_ms = 10'000;  // how long to wait for a daemon releasing DATA_DIR
  fuse_cmdline_opts fuse{};        // foreground, threads, debug
  // --kafka-listen[=HOST:PORT]: serve Kafka's protocol there (empty host: off).
  std::string kafka_host;
  int kafka_port = 0;
  bool kafka_any_address = false;  // --kafka-listen-any-address: a non-loopback host is allowed
  bool no_mount = false;           // --no-mount: serve the socket only, no MOUNTPOINT
  topicfs::store::LogManager::Options store;
};

// Parses the command line into config, leaving libfuse's own options in
// fuse_args. Returns the exit status when there is nothing more to do
// (--help, --version: 0; a usage error: 2, with a message on stderr),
// nullopt to go on. Logging is not set up yet.
std::optional<int> ParseArguments(int argc, char** argv, FuseArgs& fuse_args, Config* config);

}  // namespace topicfs::mountd
