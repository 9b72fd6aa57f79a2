#include "mountd/logging.h"

#include <syslog.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

namespace topicfs::mountd {

bool SetUpLogging(const std::string& level, bool foreground) {
  spdlog::level::level_enum parsed = spdlog::level::from_str(level);
  if (parsed == spdlog::level::off && level != "off") return false;
  std::shared_ptr<spdlog::logger> logger;
  if (foreground) {
    logger = spdlog::stderr_color_mt("topicfs");
  } else {
    logger = spdlog::syslog_logger_mt("topicfs", "topicfs", LOG_PID, LOG_DAEMON);
  }
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return true;
}

void AfterDaemonize(bool foreground) {
  if (foreground) spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%^%l%$] %v");
}

}  // namespace topicfs::mountd
