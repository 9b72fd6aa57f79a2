// Extended attributes: a topic's config on its directory, the data
// directory's defaults on the root, read-only figures on a partition, all
// under "user.topicfs.", and on a partition the committed position of each
// consumer group as "user.topicfs.group.<name>". Other namespaces
// (security.capability, asked on every cached write) are answered from
// memory. Views have no attributes.

#include <spdlog/spdlog.h>

#include "fs/errno_map.h"
#include "fs/filesystem.h"
#include "store/manager/group_offsets.h"
#include "store/log/log_config.h"
#include "store/format/topic_name.h"

namespace topicfs::fs {
namespace {

constexpr std::string_view kPrefix = "user.topicfs.";
constexpr std::string_view kGroupPrefix = "group.";

// "group.<name>" -> "<name>".
std::optional<std::string_view> GroupName(std::string_view config_name) {
  if (!config_name.starts_with(kGroupPrefix)) return std::nullopt;
  return config_name.substr(kGroupPrefix.size());
}

// The figures a partition shows, in listing order.
constexpr std::string_view kFigureNames[] = {"log_start_offset", "log_end_offset", "recovery_point",
                                             "size_bytes",       "presented_bytes", "segments",
                                             "records",          "withheld_batches"};

std::optional<std::string_view> ConfigName(std::string_view xattr) {
  if (xattr.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return xattr.substr(kPrefix.size());
}

std::string FigureValue(const store::LogFigures& f, std::string_view name) {
  if (name == "log_start_offset") return std::to_string(f.log_start_offset.value);
  if (name == "log_end_offset") return std::to_string(f.log_end_offset.value);
  if (name == "recovery_point") return std::to_string(f.recovery_point.value);
  if (name == "size_bytes") return std::to_string(f.size_bytes);
  if (name == "presented_bytes") return std::to_string(f.presented_bytes);
  if (name == "segments") return std::to_string(f.segments);
  if (name == "withheld_batches") return std::to_string(f.withheld_batches);
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
  if (IsViewIno(ino)) return views_.Find(ino) ? ENODATA : ENOENT;
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  auto config_name = ConfigName(name);
  if (!config_name) return ENODATA;  // security.*, system.*, other user.* names
  if (node->kind == Node::Kind::kPartition) {
    if (auto group = GroupName(*config_name)) return GetGroupXattr(*node, *group, value);
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
  if (node->kind == Node::Kind::kRoot && IsStatusName(*config_name)) {
    auto status = StatusValue(*config_name);
    if (!status) return ENODATA;
    *value = std::move(*status);
    return 0;
  }
  if (!store::IsConfigName(*config_name)) return ENODATA;
  if (node->kind == Node::Kind::kRoot) {
    auto defaults = store::ResolveConfig(manager_.DefaultOverrides(), {});
    if (!defaults.ok()) return ToErrno(defaults.status());
    *value = store::ConfigValueText(*defaults, *config_name);
  } else {
    auto config = manager_.TopicConfig(node->topic);
    if (!config.ok()) return ENOENT;
    *value = store::ConfigValueText(*config, *config_name);
  }
  // An internal name that is not set has no value, not an empty one.
  if (value->empty() && store::IsInternalConfigName(*config_name)) return ENODATA;
  return 0;
}

int Filesystem::ListXattr(uint64_t ino, std::vector<std::string>* names) {
  names->clear();
  if (IsViewIno(ino)) return views_.Find(ino) ? 0 : ENOENT;
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  if (node->kind == Node::Kind::kPartition) {
    for (std::string_view figure : kFigureNames) names->push_back(std::string(kPrefix) + std::string(figure));
    if (options_.groups != nullptr) {
      for (const auto& group : options_.groups->Groups({node->topic, node->partition})) {
        names->push_back(fmt::format("{}{}{}", kPrefix, kGroupPrefix, group));
      }
    }
    return 0;
  }
  for (const auto& config : store::ConfigNames()) {
    // Every config, defaults included (key.separator's is empty); Kafka's
    // internal (test-only) names only when set, as they have no default.
    std::string value;
    std::string full = std::string(kPrefix) + config;
    if (store::IsInternalConfigName(config) && GetXattr(ino, full, &value) != 0) continue;
    names->push_back(full);
  }
  if (node->kind == Node::Kind::kRoot) {
    for (const std::string& status : StatusNames()) names->push_back(std::string(kPrefix) + status);
  }
  return 0;
}

int Filesystem::SetXattr(uint64_t ino, std::string_view name, std::string_view value) {
  if (IsViewIno(ino)) return views_.Find(ino) ? EPERM : ENOENT;
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  auto config_name = ConfigName(name);
  if (!config_name) {
    spdlog::info("setxattr {} on {}: only user.topicfs.* attributes exist here: ENOTSUP", name,
                 Where(*node));
    return ENOTSUP;
  }
  if (node->kind == Node::Kind::kPartition) {
    if (auto group = GroupName(*config_name)) return SetGroupXattr(*node, *group, value);
    spdlog::info("setxattr {} on {}: partition figures are read-only; set configs on the topic "
                 "directory: EPERM",
                 name, Where(*node));
    return EPERM;
  }
  if (node->kind == Node::Kind::kTopic && store::IsInternalTopic(node->topic)) {
    spdlog::info("setxattr {} on {}: internal topics keep Kafka's forced configs: EPERM", name,
                 Where(*node));
    return EPERM;
  }
  if (node->kind == Node::Kind::kRoot && IsStatusName(*config_name)) {
    spdlog::info("setxattr {} on the mount root: the daemon's status is read-only: EPERM", name);
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
  if (IsViewIno(ino)) return views_.Find(ino) ? EPERM : ENOENT;
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  auto config_name = ConfigName(name);
  if (!config_name) return ENODATA;
  if (node->kind == Node::Kind::kPartition) {
    if (auto group = GroupName(*config_name)) return RemoveGroupXattr(*node, *group);
    spdlog::info("removexattr {} on {}: partition figures are read-only: EPERM", name, Where(*node));
    return EPERM;
  }
  if (node->kind == Node::Kind::kTopic && store::IsInternalTopic(node->topic)) {
    spdlog::info("removexattr {} on {}: internal topics keep Kafka's forced configs: EPERM", name,
                 Where(*node));
    return EPERM;
  }
  if (node->kind == Node::Kind::kRoot && IsStatusName(*config_name)) return EPERM;
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

// ---- consumer groups ----

int Filesystem::GetGroupXattr(const Node& node, std::string_view group, std::string* value) {
  if (options_.groups == nullptr) return ENODATA;
  auto committed = options_.groups->Committed(group, {node.topic, node.partition});
  if (!committed) return ENODATA;
  *value = std::to_string(committed->value);
  return 0;
}

int Filesystem::SetGroupXattr(const Node& node, std::string_view group, std::string_view value) {
  if (options_.groups == nullptr) return ENOTSUP;
  auto log = manager_.GetLog(node.topic, node.partition);
  if (log == nullptr) return ENOENT;
  const store::TopicPartition tp{node.topic, node.partition};
  // A group no view could name would be a position nobody can read from.
  if (store::Status named = CheckGroupName(group); !named.ok()) {
    spdlog::warn("setxattr group.{} on {}: {} (nothing changed)", group, Where(node), named.message());
    return EINVAL;
  }
  // An offset is committed as given (Kafka commits any offset; a read
  // resolves it to the next surviving record); the rest resolve here.
  auto position = [&]() -> store::Result<store::Offset> {
    ASSIGN_OR_RETURN(ViewBound bound, ParseViewBound(value, manager_.clock().Now().value));
    if (bound.kind == ViewBound::Kind::kGroup) {
      return store::Status::InvalidArgument("a group's position is an offset, end, -N or a time");
    }
    if (bound.kind == ViewBound::Kind::kOffset) return store::Offset(bound.value);
    return ResolveBound(bound, *log, tp);
  };
  store::Result<store::Offset> offset = position();
  // Past the log end is no position: Kafka's offset reset tool refuses to
  // go there too (it clamps), and a group there would skip what comes next.
  if (offset.ok() && *offset > log->log_end_offset()) {
    offset = store::Status::OutOfRange(
        fmt::format("offset {} is past the log end {}", offset->value, log->log_end_offset().value));
  }
  store::Status s = offset.ok() ? options_.groups->Commit(group, tp, *offset) : offset.status();
  if (!s.ok()) {
    spdlog::warn("setxattr group.{}='{}' on {}: {} (nothing changed)", group, value, Where(node),
                 s.message());
    return ToErrno(s);
  }
  spdlog::info("{}: group {} moved to {}", Where(node), group, offset->value);
  return 0;
}

int Filesystem::RemoveGroupXattr(const Node& node, std::string_view group) {
  if (options_.groups == nullptr) return ENODATA;
  store::TopicPartition tp{node.topic, node.partition};
  if (!options_.groups->Committed(group, tp)) return ENODATA;
  store::Status s = options_.groups->Forget(group, tp);
  if (!s.ok()) {
    spdlog::warn("removexattr group.{} on {}: {}", group, Where(node), s.message());
    return ToErrno(s);
  }
  spdlog::info("{}: group {} forgotten", Where(node), group);
  return 0;
}

}  // namespace topicfs::fs
