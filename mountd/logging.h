#pragma once
// The daemon's logging: spdlog to stderr in the foreground, to syslog
// (ident "topicfs") when it runs in the background.

#include <string>

namespace topicfs::mountd {

// Installs the default logger. False for an unknown level name.
bool SetUpLogging(const std::string& level, bool foreground);
// Called once the daemon has (or has not) detached.
void AfterDaemonize(bool foreground);

}  // namespace topicfs::mountd
