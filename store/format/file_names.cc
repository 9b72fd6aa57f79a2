#include "store/format/file_names.h"

#include <charconv>
#include <random>

namespace topicfs::store {
namespace {

constexpr std::string_view kDeletedDirSuffix = "-delete";
constexpr std::string_view kDeletingSuffix = ".deleting";

std::string RandomHex32() {
  std::random_device rd;
  std::mt19937_64 gen(rd());
  return fmt::format("{:016x}{:016x}", gen(), gen());
}

}  // namespace

std::optional<TopicPartition> ParsePartitionDirName(std::string_view name) {
  size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return std::nullopt;
  int32_t partition = 0;
  const char* first = name.data() + dash + 1;
  const char* last = name.data() + name.size();
  auto [ptr, ec] = std::from_chars(first, last, partition);
  if (ec != std::errc() || ptr != last || partition < 0) return std::nullopt;
  std::string topic(name.substr(0, dash));
  if (!ValidateTopicName(topic).ok()) return std::nullopt;
  return TopicPartition{topic, partition};
}

std::string DeletedPartitionDirName(std::string_view dir_name) {
  constexpr size_t kMaxName = 255;
  std::string suffix = fmt::format(".{}{}", RandomHex32(), kDeletedDirSuffix);
  return fmt::format("{}{}", dir_name.substr(0, std::min(dir_name.size(), kMaxName - suffix.size())), suffix);
}

bool IsDeletedPartitionDirName(std::string_view name) {
  return name.size() > kDeletedDirSuffix.size() && name.ends_with(kDeletedDirSuffix);
}

std::string TopicConfigFileName(std::string_view topic) { return fmt::format("{}{}", topic, kTopicConfigSuffix); }

std::optional<std::string> TopicOfConfigFileName(std::string_view name) {
  if (!name.ends_with(kTopicConfigSuffix)) return std::nullopt;
  std::string topic(name.substr(0, name.size() - kTopicConfigSuffix.size()));
  if (!ValidateTopicName(topic).ok()) return std::nullopt;
  return topic;
}

std::string DeletingMarkerName() { return fmt::format("~{}{}", RandomHex32(), kDeletingSuffix); }

bool IsDeletingMarkerName(std::string_view name) { return name.starts_with('~') && name.ends_with(kDeletingSuffix); }

std::string FilenamePrefixFromOffset(Offset offset) { return fmt::format("{:020d}", offset.value); }

std::string SegmentFilePath(const std::string& dir, Offset base, std::string_view file_suffix,
                            std::string_view state_suffix) {
  return fmt::format("{}/{}{}{}", dir, FilenamePrefixFromOffset(base), file_suffix, state_suffix);
}

std::string CorruptFilePath(const std::string& dir, Offset base, int64_t position, int n) {
  std::string copy = n > 1 ? fmt::format("-{}", n) : "";
  return fmt::format("{}/{}{}.{}{}{}", dir, FilenamePrefixFromOffset(base), kLogSuffix, position, copy,
                     kCorruptSuffix);
}

std::optional<SegmentFileName> ParseSegmentFileName(std::string_view name) {
  size_t dot = name.find('.');
  if (dot == 0 || dot == std::string_view::npos) return std::nullopt;
  int64_t base = 0;
  auto [ptr, ec] = std::from_chars(name.data(), name.data() + dot, base);
  if (ec != std::errc() || ptr != name.data() + dot || base < 0) return std::nullopt;

  std::string_view rest = name.substr(dot);
  SegmentFileName parsed;
  parsed.base_offset = Offset(base);
  static constexpr std::pair<std::string_view, SegmentFileKind> kKinds[] = {
      {kLogSuffix, SegmentFileKind::kLog},
      {kIndexSuffix, SegmentFileKind::kIndex},
      {kTimeIndexSuffix, SegmentFileKind::kTimeIndex},
      {kTxnIndexSuffix, SegmentFileKind::kTxnIndex},
      {kSnapshotSuffix, SegmentFileKind::kSnapshot},
  };
  for (const auto& [suffix, kind] : kKinds) {
    if (rest.substr(0, suffix.size()) != suffix) continue;
    std::string_view state = rest.substr(suffix.size());
    if (state.empty() || state == kDeletedSuffix || state == kCleanedSuffix || state == kSwapSuffix ||
        state == kUnreadableSuffix || state == kRepairSuffix) {
      parsed.kind = kind;
      parsed.state_suffix = state;
      return parsed;
    }
  }
  return std::nullopt;
}

}  // namespace topicfs::store
