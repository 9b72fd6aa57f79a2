#include "store/format/file_names.h"

#include <charconv>

namespace topicfs::store {

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
