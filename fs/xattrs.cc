// Extended attributes: a topic's config on its directory, the data
// directory's defaults on the root, read-only figures on a partition, all
// under "user.topicfs.". Other namespaces (security.capability, asked on
// every cached write) are answered from memory.

#include <spdlog/spdlog.h>

#include "fs/errno_map.h"
#include "fs/filesystem.h"
#include "store/log_config.h"

namespace topicfs::fs {
namespace {

constexpr std::string_view kPrefix = "user.topicfs.";

// The figures a partition shows, in listing order.
constexpr std::string_view kFigureNames[] = {"log_start_offset", "log_end_offset", "recovery_point",
                                             "size_bytes",       "segments",       "records"};

std::optional<std::string_view> ConfigName(std::string_view xattr) {
  if (xattr.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return xattr.substr(kPrefix.size());
}

std::string FigureValue(const store::LogFigures& f, std::string_view name) {
  if (name == "log_start_offset") return std::to_string(f.log_start_offset.value);
  if (name == "log_end_offset") return std::to_string(f.log_end_offset.value);
  if (name == "recovery_point") return std::to_string(f.recovery_point.value);
  if (name == "size_bytes") return std::to_string(f.size_bytes);
  if (name == "segments") return std::to_string(f.segments);
  return std::to_string(f.records);
}

std::string Where(const Node& node) {
  switch (node.kind) {
    case Node::Kind::kRoot:
      return "the mount root";
    case Node::Kind::kTopic:
      return "topic " + node.topic;
    case Node::Kind::kPartition:
      return "partition " + node.topic + "/" + std::to_string(node.partition);
  }
  return "?";
}

// How a refused config change is reported: an unknown name is EINVAL (the
// store says kNotFound), a value out of range ERANGE, a malformed one EINVAL.
int ConfigErrno(const store::Status& s) {
  return s.code() == store::Code::kNotFound ? EINVAL : ToErrno(s);
}

}  // namespace

int Filesystem::GetXattr(uint64_t ino, std::string_view name, std::string* value) {
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  auto config_name = ConfigName(name);
  if (!config_name) return ENODATA;  // security.*, system.*, other user.* names
  if (node->kind == Node::Kind::kPartition) {
    auto log = manager_.GetLog(node->topic, node->partition);
    if (log == nullptr) return ENOENT;
    for (std::string_view figure : kFigureNames) {
      if (*config_name == figure) {
        *value = FigureValue(log->Figures(), figure);
        return 0;
      }
    }
    return ENODATA;
  }
  if (!store::IsConfigName(*config_name)) return ENODATA;
  if (node->kind == Node::Kind::kRoot) {
    auto defaults = store::ResolveConfig(manager_.DefaultOverrides(), {});
    if (!defaults.ok()) return ToErrno(defaults.status());
    *value = store::ConfigValueText(*defaults, *config_name);
    return 0;
  }
  auto config = manager_.TopicConfig(node->topic);
  if (!config.ok()) return ENOENT;
  *value = store::ConfigValueText(*config, *config_name);
  return 0;
}

int Filesystem::ListXattr(uint64_t ino, std::vector<std::string>* names) {
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  names->clear();
  if (node->kind == Node::Kind::kPartition) {
    for (std::string_view figure : kFigureNames) names->push_back(std::string(kPrefix) + std::string(figure));
    return 0;
  }
  for (const auto& config : store::ConfigNames()) {
    // key.separator unset has no value to show; list it only when set.
    std::string value;
    std::string full = std::string(kPrefix) + config;
    if (config == "key.separator" && (GetXattr(ino, full, &value) != 0 || value.empty())) continue;
    names->push_back(full);
  }
  return 0;
}

int Filesystem::SetXattr(uint64_t ino, std::string_view name, std::string_view value) {
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  auto config_name = ConfigName(name);
  if (!config_name) {
    spdlog::info("setxattr {} on {}: only user.topicfs.* attributes exist here: ENOTSUP", name,
                 Where(*node));
    return ENOTSUP;
  }
  if (node->kind == Node::Kind::kPartition) {
    spdlog::info("setxattr {} on {}: partition figures are read-only; set configs on the topic "
                 "directory: EPERM",
                 name, Where(*node));
    return EPERM;
  }
  store::Status s = node->kind == Node::Kind::kRoot
                        ? manager_.SetDefault(*config_name, value)
                        : manager_.SetTopicConfig(node->topic, *config_name, value);
  if (!s.ok()) {
    spdlog::warn("setxattr {}='{}' on {}: {} (nothing changed)", name, value, Where(*node),
                 s.message());
    return ConfigErrno(s);
  }
  spdlog::info("{}: {} = {}", Where(*node), *config_name, value);
  return 0;
}

int Filesystem::RemoveXattr(uint64_t ino, std::string_view name) {
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  auto config_name = ConfigName(name);
  if (!config_name) return ENODATA;
  if (node->kind == Node::Kind::kPartition) {
    spdlog::info("removexattr {} on {}: partition figures are read-only: EPERM", name, Where(*node));
    return EPERM;
  }
  store::Status s = node->kind == Node::Kind::kRoot
                        ? manager_.RemoveDefault(*config_name)
                        : manager_.RemoveTopicConfig(node->topic, *config_name);
  if (!s.ok()) {
    spdlog::info("removexattr {} on {}: {}", name, Where(*node), s.message());
    // Not set (or unknown): there is no such attribute to remove.
    return s.code() == store::Code::kNotFound ? ENODATA : ToErrno(s);
  }
  spdlog::info("{}: {} back to its default", Where(*node), *config_name);
  return 0;
}

}  // namespace topicfs::fs
