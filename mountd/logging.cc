#include "mountd/logging.h"

#include <sys/stat.h>
#include <syslog.h>

#include <vector>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

namespace topicfs::mountd {
namespace {

constexpr const char* kSyslogSocket = "/dev/log";
constexpr const char* kFilePattern = "%Y-%m-%d %H:%M:%S.%e topicfs[%P] %l: %v";
std::string note;
bool to_stderr = false;

bool HaveSyslogSocket() {
  struct stat st {};
  return ::stat(kSyslogSocket, &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

bool SetUpLogging(const std::string& level, bool foreground, const std::string& log_file,
                  std::string* error) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") {
    *error = "unknown log level '" + level + "' (trace, debug, info, warn, error, off)";
    return false;
  }
  std::vector<spdlog::sink_ptr> sinks;
  if (!log_file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file, /*truncate=*/false));
    } catch (const spdlog::spdlog_ex& e) {
      *error = "cannot open the log file: " + std::string(e.what());
      return false;
    }
  }
  if (foreground) {
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } else if (log_file.empty()) {
    if (HaveSyslogSocket()) {
      auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("topicfs", LOG_PID, LOG_DAEMON, false);
      sink->set_pattern("%l: %v");
      sinks.push_back(sink);
    } else {
      // Lines written after the daemon detached (stderr is then /dev/null)
      // are lost; what refuses a mount happens before and is seen.
      sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
      note = "no syslog socket (/dev/log) and no --log-file: after detaching, the daemon's log is lost";
    }
  }
  to_stderr = foreground || (log_file.empty() && !note.empty());
  for (auto& sink : sinks) {
    if (!(std::dynamic_pointer_cast<spdlog::sinks::syslog_sink_mt>(sink))) sink->set_pattern(kFilePattern);
  }
  auto logger = std::make_shared<spdlog::logger>("topicfs", sinks.begin(), sinks.end());
  logger->set_level(parsed);
  logger->flush_on(log_file.empty() ? spdlog::level::warn : spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return true;
}

std::string LoggingNote() { return note; }

bool LogsToStderr() { return to_stderr; }

}  // namespace topicfs::mountd
