#pragma once
// The daemon's logging (spdlog). Every line carries the tag
// "topicfs[PID] LEVEL:" (syslog adds its own ident and pid). Where lines go:
// - --log-file=PATH: appended to PATH, in the foreground and the background
//   (and to stderr too with -f);
// - otherwise with -f: stderr;
// - otherwise syslog (ident "topicfs"), or, where there is no /dev/log to
//   send to, stderr until the daemon detaches, so that the reason a mount
//   is refused is not lost.

#include <string>

namespace topicfs::mountd {

// Installs the default logger. False, with *error set, for an unknown
// level name or a log file that cannot be opened.
bool SetUpLogging(const std::string& level, bool foreground, const std::string& log_file,
                  std::string* error);

// A note for the log once logging is set up: where lines go when there is
// nowhere good (no syslog socket and no --log-file); empty when all is well.
std::string LoggingNote();

// Whether log lines reach stderr now (else a refusal is printed there too).
bool LogsToStderr();

}  // namespace topicfs::mountd
