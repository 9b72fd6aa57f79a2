#include "store/format/checkpoint_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

#include "store/io/atomic_file.h"
#include "store/format/checksum_line.h"

namespace topicfs::store {
namespace {

constexpr int kCheckpointVersion = 0;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Kafka splits entry lines on \s+; runs of whitespace separate fields.
std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// Strict decimal (optional '-', digits, nothing else), the whole text.
template <typename T>
std::optional<T> ParseDecimal(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Partitions, offsets and counts are never negative in a checkpoint.
template <typename T>
std::optional<T> ParseNonNegative(std::string_view text) {
  std::optional<T> value = ParseDecimal<T>(text);
  if (value && *value < 0) return std::nullopt;
  return value;
}

// The header lines hold one number; stray blanks around it (a hand edit, CRLF)
// do not make the file unreadable.
std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

// True when the text would come back as exactly one field of an entry line.
bool IsOneField(std::string_view text) {
  return !text.empty() && std::none_of(text.begin(), text.end(),
                                       [](char c) { return IsSpace(c) || c == '\n'; });
}

std::vector<std::string_view> SplitLines(std::string_view contents) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < contents.size()) {
    size_t nl = contents.find('\n', start);
    if (nl == std::string_view::npos) nl = contents.size();
    lines.push_back(contents.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

Status Malformed(const std::string& path, size_t line_no, std::string_view line) {
  return Status::Corruption(fmt::format("{}: malformed line {}: '{}'", path, line_no, line));
}

Result<std::pair<TopicPartition, Offset>> ParseEntry(const std::string& path, size_t line_no,
                                                     std::string_view line) {
  std::vector<std::string_view> fields = SplitFields(line);
  if (fields.size() != 3) return Malformed(path, line_no, line);
  std::optional<int32_t> partition = ParseNonNegative<int32_t>(fields[1]);
  std::optional<int64_t> offset = ParseNonNegative<int64_t>(fields[2]);
  if (!partition || !offset) return Malformed(path, line_no, line);
  return std::pair{TopicPartition{std::string(fields[0]), *partition}, Offset(*offset)};
}

Result<OffsetMap> ParseCheckpoint(const std::string& path, std::string_view contents) {
  std::vector<std::string_view> lines = SplitLines(contents);
  if (lines.empty()) return OffsetMap{};
  std::optional<int32_t> version = ParseDecimal<int32_t>(Trim(lines[0]));
  if (!version) return Malformed(path, 1, lines[0]);
  if (*version != kCheckpointVersion) {
    return Status::Corruption(fmt::format("{}: unrecognised version {}", path, *version));
  }
  if (lines.size() < 2) return Status::Corruption(fmt::format("{}: entry count missing", path));
  std::optional<int64_t> expected = ParseNonNegative<int64_t>(Trim(lines[1]));
  if (!expected) return Malformed(path, 2, lines[1]);

  OffsetMap offsets;
  for (size_t i = 2; i < lines.size(); ++i) {
    ASSIGN_OR_RETURN(auto entry, ParseEntry(path, i + 1, lines[i]));
    // As in Kafka, a repeated partition keeps its last offset but still counts.
    offsets[std::move(entry.first)] = entry.second;
  }
  const auto found = static_cast<int64_t>(lines.size() - 2);
  if (found != *expected) {
    return Status::Corruption(
        fmt::format("{}: header says {} entries, file holds {}", path, *expected, found));
  }
  return offsets;
}

}  // namespace


Result<OffsetMap> ReadCheckpointFile(const std::string& path, FileIo& io) {
  Result<std::string> contents = ReadSmallFile(path, io);
  if (!contents.ok()) {
    // No checkpoint yet (first start, or a partition never flushed).
    if (contents.status().code() == Code::kNotFound) return OffsetMap{};
    return contents.status();
  }
  // Without a side file (Kafka's, or an older topicfs's) it is taken as is.
  Result<std::string> side = ReadSmallFile(ChecksumFilePath(path), io);
  if (side.ok()) RETURN_IF_ERROR(VerifyChecksumFile(*contents, *side, path));
  else if (side.status().code() != Code::kNotFound) return side.status();
  return ParseCheckpoint(path, *contents);
}

Status WriteCheckpointFile(const std::string& path, const OffsetMap& offsets, FileIo& io) {
  std::string text = fmt::format("{}\n{}\n", kCheckpointVersion, offsets.size());
  for (const auto& [tp, offset] : offsets) {
    // Refuse what the reader would reject, rather than write an unreadable file.
    if (!IsOneField(tp.topic) || tp.partition < 0 || offset.value < 0) {
      return Status::InvalidArgument(fmt::format("{}: cannot checkpoint '{}' partition {} offset {}",
                                                 path, tp.topic, tp.partition, offset.value));
    }
    text += fmt::format("{} {} {}\n", tp.topic, tp.partition, offset.value);
  }
  // The side file after the checkpoint: a crash between the two leaves a
  // mismatch, which reads as no checkpoint (a full recovery), never as a
  // wrong one.
  RETURN_IF_ERROR(WriteFileAtomically(path, text, io));
  return WriteFileAtomically(ChecksumFilePath(path), ChecksumFileText(text), io);
}

}  // namespace topicfs::store
