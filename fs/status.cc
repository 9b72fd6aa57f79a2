// The daemon's status, as read-only "user.topicfs.status.*" attributes on
// the mount root (beside the config defaults): what a person asks of a
// running daemon (open descriptors and their limit, parked followers,
// appends and bytes per second, the last and next retention and cleaner
// passes, each topic's size), where a shell user already looks:
// `getfattr -d -m status /mnt/topics`.

#include <sys/resource.h>
#include <time.h>

#include <filesystem>

#include <fmt/format.h>

#include "fs/filesystem.h"

namespace topicfs::fs {
namespace {

constexpr std::string_view kTopicPrefix = "status.topic.";
constexpr std::string_view kTopicSuffix = ".bytes";

// The fixed names, in listing order.
constexpr std::string_view kStatusNames[] = {
    "status.open_fds",           "status.open_fds_limit",     "status.followers_parked",
    "status.appends_total",      "status.append_bytes_total", "status.appends_per_sec",
    "status.append_bytes_per_sec", "status.retention.last_run", "status.retention.next_run",
    "status.retention.last_result", "status.cleaner.last_run", "status.cleaner.next_run",
    "status.cleaner.last_result", "status.uptime_s"};

// Epoch milliseconds as ISO-8601 UTC, the form views accept; 0 is "never".
std::string IsoTime(int64_t ms) {
  if (ms <= 0) return "never";
  const time_t seconds = static_cast<time_t>(ms / 1000);
  struct tm t {};
  gmtime_r(&seconds, &t);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                     t.tm_hour, t.tm_min, t.tm_sec, ms % 1000);
}

int64_t OpenFds() {
  std::error_code ec;
  int64_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    ++n;
  }
  return n - 1;  // the iterator's own descriptor
}

std::string Rate(double per_second) { return fmt::format("{:.1f}", per_second); }

}  // namespace

bool Filesystem::IsStatusName(std::string_view name) { return name.starts_with("status."); }

std::vector<std::string> Filesystem::StatusNames() {
  std::vector<std::string> names(std::begin(kStatusNames), std::end(kStatusNames));
  for (const std::string& topic : manager_.ListTopics()) {
    names.push_back(fmt::format("{}{}{}", kTopicPrefix, topic, kTopicSuffix));
  }
  return names;
}

std::optional<std::string> Filesystem::StatusValue(std::string_view name) {
  if (name.starts_with(kTopicPrefix) && name.ends_with(kTopicSuffix) &&
      name.size() > kTopicPrefix.size() + kTopicSuffix.size()) {
    std::string_view topic =
        name.substr(kTopicPrefix.size(), name.size() - kTopicPrefix.size() - kTopicSuffix.size());
    auto count = manager_.PartitionCount(topic);
    if (!count.ok()) return std::nullopt;
    int64_t bytes = 0;
    for (int32_t p = 0; p < *count; ++p) {
      if (auto log = manager_.GetLog(topic, p)) bytes += log->Figures().size_bytes;
    }
    return std::to_string(bytes);
  }
  const AppendRate::Figures appends = append_rate_.Read();
  if (name == "status.open_fds") return std::to_string(OpenFds());
  if (name == "status.open_fds_limit") {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
    return std::to_string(static_cast<int64_t>(limit.rlim_cur));
  }
  if (name == "status.followers_parked") return std::to_string(followers_.parked());
  if (name == "status.appends_total") return std::to_string(appends.appends_total);
  if (name == "status.append_bytes_total") return std::to_string(appends.bytes_total);
  if (name == "status.appends_per_sec") return Rate(appends.appends_per_second);
  if (name == "status.append_bytes_per_sec") return Rate(appends.bytes_per_second);
  if (name == "status.uptime_s") {
    return std::to_string((manager_.clock().Now().value - mount_time_ms_) / 1000);
  }
  for (const auto& pass : manager_.BackgroundPasses()) {
    const std::string prefix = "status." + pass.task + ".";
    if (!name.starts_with(prefix)) continue;
    std::string_view what = name.substr(prefix.size());
    if (what == "last_run") return IsoTime(pass.last_run_ms);
    if (what == "next_run") return IsoTime(pass.next_run_ms);
    if (what == "last_result") return pass.last_result.empty() ? "none yet" : pass.last_result;
  }
  // The background has not started (tests without it): nothing ran.
  if (name.ends_with(".last_run") || name.ends_with(".next_run")) return "never";
  if (name.ends_with(".last_result")) return "none yet";
  return std::nullopt;
}

}  // namespace topicfs::fs
