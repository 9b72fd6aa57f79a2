#include "store/log/log_config.h"

#include "store/format/checksum_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "store/base/format.h"
#include "store/io/atomic_file.h"

namespace topicfs::store {
namespace {

constexpr size_t kMaxKeySeparatorBytes = 16;
constexpr std::string_view kConfigFileHeader = "# topicfs topic config\n";

// ---- parsing -----------------------------------------------------------

// Strict decimal for a field of type T: optional '-', digits, nothing else.
// A number too big for the field is kOutOfRange, not a parse error, so that
// setfattr reports ERANGE for "retention.ms = 10^30" as it does for -5.
template <typename T>
Result<T> ParseInteger(std::string_view name, std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) {
    return Status::OutOfRange(fmt::format("{} '{}' does not fit in {} bits", name, text, sizeof(T) * 8));
  }
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument(fmt::format("{} '{}' is not a decimal integer", name, text));
  }
  return value;
}

Result<double> ParseDouble(std::string_view name, std::string_view text) {
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range && end == text.data() + text.size()) {
    return Status::OutOfRange(fmt::format("{} '{}' is out of range", name, text));
  }
  // from_chars also reads "nan" and "inf"; neither is a ratio.
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Status::InvalidArgument(fmt::format("{} '{}' is not a number", name, text));
  }
  return value;
}

std::string_view TrimBlanks(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// ---- one setter/getter per kind of value ---------------------------------

// A setter checks `text` and, when `out` is not null, stores the value.
using Setter = Status (*)(std::string_view name, std::string_view text, LogConfig* out);
using Getter = std::string (*)(const LogConfig& config);

struct ConfigSpec {
  std::string_view name;
  Setter set;
  Getter get;
};

template <auto kMember>
using FieldType = std::remove_cvref_t<decltype(std::declval<LogConfig&>().*kMember)>;

template <auto kMember, int64_t kMin>
Status SetInteger(std::string_view name, std::string_view text, LogConfig* out) {
  using T = FieldType<kMember>;
  ASSIGN_OR_RETURN(T value, ParseInteger<T>(name, text));
  if (value < kMin) {
    return Status::OutOfRange(fmt::format("{} {} is below the minimum {}", name, value, kMin));
  }
  if (out != nullptr) out->*kMember = value;
  return Status::Ok();
}

template <auto kMember>
std::string GetNumber(const LogConfig& config) {
  // fmt prints doubles in the shortest form that parses back to the same value.
  return fmt::format("{}", config.*kMember);
}

Status SetDirtyRatio(std::string_view name, std::string_view text, LogConfig* out) {
  ASSIGN_OR_RETURN(double value, ParseDouble(name, text));
  if (value < 0.0 || value > 1.0) {
    return Status::OutOfRange(fmt::format("{} {} is outside [0, 1]", name, text));
  }
  if (out != nullptr) out->min_cleanable_dirty_ratio = value;
  return Status::Ok();
}

// Kafka's ValidList.in("compact", "delete") (ConfigDef): items exactly as
// spelled (case matters), none empty, none twice. Kafka trims the whole
// value before splitting it; topicfs refuses blanks there, as it does
// around numbers: an xattr value is exact bytes, and a blank at its ends is
// a quoting mistake more often than a wish. Blanks around a comma are
// Kafka's separator ("\\s*,\\s*") and accepted.
Status SetCleanupPolicy(std::string_view name, std::string_view text, LogConfig* out) {
  if (TrimBlanks(text).empty()) {
    return Status::InvalidArgument(fmt::format("{} is empty; use delete, compact or both", name));
  }
  if (TrimBlanks(text) != text) {
    return Status::InvalidArgument(
        fmt::format("{} '{}' starts or ends with a blank; use delete, compact or both", name, text));
  }
  bool del = false;
  bool compact = false;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string_view item = TrimBlanks(text.substr(start, comma - start));
    bool* seen = item == "delete" ? &del : item == "compact" ? &compact : nullptr;
    if (item.empty()) {
      return Status::InvalidArgument(
          fmt::format("{} '{}' has an empty item; use delete, compact or both", name, text));
    }
    if (seen == nullptr) {
      const char* hint = EqualsIgnoreCase(item, "delete") || EqualsIgnoreCase(item, "compact")
                             ? " (Kafka's values are lower case)"
                             : "";
      return Status::InvalidArgument(
          fmt::format("{} item '{}' is unknown{}; use delete, compact or both", name, item, hint));
    }
    if (*seen) {
      return Status::InvalidArgument(fmt::format("{} '{}' names {} twice", name, text, item));
    }
    *seen = true;
    start = comma + 1;
  }
  if (out != nullptr) {
    out->cleanup_delete = del;
    out->cleanup_compact = compact;
  }
  return Status::Ok();
}

std::string GetCleanupPolicy(const LogConfig& config) {
  if (config.cleanup_delete && config.cleanup_compact) return "delete,compact";
  if (config.cleanup_compact) return "compact";
  return "delete";
}

Status SetKeySeparator(std::string_view name, std::string_view text, LogConfig* out) {
  // Unsetting is done by removing the xattr, so an empty value is a mistake.
  if (text.empty() || text.size() > kMaxKeySeparatorBytes) {
    return Status::InvalidArgument(
        fmt::format("{} must be 1 to {} bytes, not {}", name, kMaxKeySeparatorBytes, text.size()));
  }
  // Records are lines: a separator holding '\n' could never match inside one.
  if (text.find('\n') != std::string_view::npos) {
    return Status::InvalidArgument(fmt::format("{} must not contain a newline", name));
  }
  if (out != nullptr) out->key_separator = std::string(text);
  return Status::Ok();
}

std::string GetKeySeparator(const LogConfig& config) { return config.key_separator; }

// Unset (no default, as in Kafka): no text.
std::string GetInternalSegmentBytes(const LogConfig& config) {
  return config.internal_segment_bytes > 0 ? std::to_string(config.internal_segment_bytes) : "";
}

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
// Kafka's LogConfig: segment.bytes atLeast(1024 * 1024).
constexpr int64_t kMinSegmentBytes = 1024 * 1024;
// Kafka gives internal.segment.bytes no validator; below a batch of one
// record of a one-byte line every append would fail (EMSGSIZE).
constexpr int64_t kMinInternalSegmentBytes = format::kBatchHeaderSize + format::kMaxRecordOverhead + 1;

// Kafka's names, which it matches exactly (lowercase).
constexpr std::pair<std::string_view, CompressionType> kCompressionTypes[] = {
    {"producer", CompressionType::kProducer}, {"uncompressed", CompressionType::kUncompressed},
    {"gzip", CompressionType::kGzip},         {"snappy", CompressionType::kSnappy},
    {"lz4", CompressionType::kLz4},           {"zstd", CompressionType::kZstd}};

Status SetCompressionType(std::string_view name, std::string_view text, LogConfig* out) {
  for (const auto& [type_name, type] : kCompressionTypes) {
    if (text != type_name) continue;
    if (out != nullptr) out->compression_type = type;
    return Status::Ok();
  }
  return Status::InvalidArgument(fmt::format(
      "{} '{}' is unknown; use producer, uncompressed, gzip, snappy, lz4 or zstd", name, text));
}

std::string GetCompressionType(const LogConfig& config) {
  for (const auto& [type_name, type] : kCompressionTypes) {
    if (type == config.compression_type) return std::string(type_name);
  }
  return "producer";
}

// Kafka's range for each level. kAlso is one more value allowed outside
// it (kMin when there is none): gzip takes -1, zlib's default (6).
template <auto kMember, int64_t kMin, int64_t kMax, int64_t kAlso>
Status SetLevel(std::string_view name, std::string_view text, LogConfig* out) {
  ASSIGN_OR_RETURN(int32_t value, ParseInteger<int32_t>(name, text));
  if ((value < kMin || value > kMax) && value != kAlso) {
    return Status::OutOfRange(kAlso == kMin ? fmt::format("{} {} is outside [{}, {}]", name, value, kMin, kMax)
                                            : fmt::format("{} {} is outside [{}, {}] and is not {}", name,
                                                          value, kMin, kMax, kAlso));
  }
  if (out != nullptr) out->*kMember = value;
  return Status::Ok();
}

// The order is what getfattr -d lists: Kafka's names first, then topicfs's own.
const ConfigSpec kSpecs[] = {
    {"cleanup.policy", SetCleanupPolicy, GetCleanupPolicy},
    {"retention.ms", SetInteger<&LogConfig::retention_ms, -1>, GetNumber<&LogConfig::retention_ms>},
    {"retention.bytes", SetInteger<&LogConfig::retention_bytes, kInt64Min>,
     GetNumber<&LogConfig::retention_bytes>},
    {"segment.bytes", SetInteger<&LogConfig::segment_bytes_setting, kMinSegmentBytes>,
     GetNumber<&LogConfig::segment_bytes_setting>},
    {"segment.ms", SetInteger<&LogConfig::segment_ms, 1>, GetNumber<&LogConfig::segment_ms>},
    {"segment.index.bytes", SetInteger<&LogConfig::segment_index_bytes, 4>,
     GetNumber<&LogConfig::segment_index_bytes>},
    {"index.interval.bytes", SetInteger<&LogConfig::index_interval_bytes, 0>,
     GetNumber<&LogConfig::index_interval_bytes>},
    {"max.message.bytes", SetInteger<&LogConfig::max_message_bytes, 0>,
     GetNumber<&LogConfig::max_message_bytes>},
    {"min.cleanable.dirty.ratio", SetDirtyRatio, GetNumber<&LogConfig::min_cleanable_dirty_ratio>},
    {"delete.retention.ms", SetInteger<&LogConfig::delete_retention_ms, 0>,
     GetNumber<&LogConfig::delete_retention_ms>},
    {"min.compaction.lag.ms", SetInteger<&LogConfig::min_compaction_lag_ms, 0>,
     GetNumber<&LogConfig::min_compaction_lag_ms>},
    {"max.compaction.lag.ms", SetInteger<&LogConfig::max_compaction_lag_ms, 1>,
     GetNumber<&LogConfig::max_compaction_lag_ms>},
    {"file.delete.delay.ms", SetInteger<&LogConfig::file_delete_delay_ms, 0>,
     GetNumber<&LogConfig::file_delete_delay_ms>},
    {"flush.messages", SetInteger<&LogConfig::flush_messages, 1>, GetNumber<&LogConfig::flush_messages>},
    {"flush.ms", SetInteger<&LogConfig::flush_ms, 0>, GetNumber<&LogConfig::flush_ms>},
    {"compression.type", SetCompressionType, GetCompressionType},
    {"compression.gzip.level",
     SetLevel<&LogConfig::compression_gzip_level, CodecLevels::kGzipMin, CodecLevels::kGzipMax, -1>,
     GetNumber<&LogConfig::compression_gzip_level>},
    {"compression.lz4.level",
     SetLevel<&LogConfig::compression_lz4_level, CodecLevels::kLz4Min, CodecLevels::kLz4Max, CodecLevels::kLz4Min>,
     GetNumber<&LogConfig::compression_lz4_level>},
    {"compression.zstd.level",
     SetLevel<&LogConfig::compression_zstd_level, CodecLevels::kZstdMin, CodecLevels::kZstdMax,
              CodecLevels::kZstdMin>,
     GetNumber<&LogConfig::compression_zstd_level>},
    {"partitions", SetInteger<&LogConfig::partitions, 1>, GetNumber<&LogConfig::partitions>},
    {"key.separator", SetKeySeparator, GetKeySeparator},
    // Kafka's internal names: accepted as Kafka accepts them, listed only when set.
    {"internal.segment.bytes", SetInteger<&LogConfig::internal_segment_bytes, kMinInternalSegmentBytes>,
     GetInternalSegmentBytes},
};

const ConfigSpec* FindSpec(std::string_view name) {
  for (const ConfigSpec& spec : kSpecs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

Status UnknownName(std::string_view name) {
  return Status::NotFound(fmt::format("unknown config '{}'", name));
}

Status Apply(const ConfigOverrides& values, LogConfig* config) {
  for (const auto& [name, text] : values) {
    const ConfigSpec* spec = FindSpec(name);
    if (spec == nullptr) return UnknownName(name);
    RETURN_IF_ERROR(spec->set(name, text, config));
  }
  return Status::Ok();
}

// ---- config file ---------------------------------------------------------

// Values are written verbatim after the first '=', so only the characters
// that would break the line structure, and the escape itself, are escaped.
std::string EscapeValue(std::string_view value) {
  std::string out;
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Result<std::string> UnescapeValue(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out.push_back(text[i]);
      continue;
    }
    if (++i == text.size()) return Status::InvalidArgument("value ends in a lone '\\'");
    switch (text[i]) {
      case '\\': out.push_back('\\'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      default: return Status::InvalidArgument(fmt::format("unknown escape '\\{}'", text[i]));
    }
  }
  return out;
}

bool IsBlankOrComment(std::string_view line) {
  std::string_view trimmed = TrimBlanks(line);
  return trimmed.empty() || trimmed.front() == '#';
}

// Checks one "name=value" line and adds it to `out`; a duplicate name keeps
// the last value, as Java properties do.
Status ParseConfigLine(std::string_view line, ConfigOverrides* out) {
  size_t eq = line.find('=');
  if (eq == std::string_view::npos) return Status::InvalidArgument("no '=' in line");
  std::string_view name = line.substr(0, eq);
  ASSIGN_OR_RETURN(std::string value, UnescapeValue(line.substr(eq + 1)));
  RETURN_IF_ERROR(ValidateConfigValue(name, value));
  out->insert_or_assign(std::string(name), std::move(value));
  return Status::Ok();
}

Result<ConfigOverrides> ParseConfigFile(const std::string& path, std::string_view contents) {
  // Also when the cut fell inside the header line (or left nothing).
  const bool written_by_store =
      contents.starts_with(kConfigFileHeader) || kConfigFileHeader.starts_with(contents);
  ASSIGN_OR_RETURN(std::string_view body, StripChecksumLine(contents, path));
  // The store always ends what it writes with the checksum line: without
  // it, the file was cut short (damage, a partial save) and would read as a
  // shorter, valid config. An edit by hand drops the header line too.
  if (written_by_store && body.size() == contents.size()) {
    return Status::Corruption(fmt::format("{}: damaged (it starts as topicfs writes a config but its "
                                          "crc32c line is missing: cut short?)", path));
  }
  contents = body;
  ConfigOverrides overrides;
  size_t line_no = 0;
  size_t start = 0;
  while (start < contents.size()) {
    size_t nl = std::min(contents.find('\n', start), contents.size());
    std::string_view line = contents.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    // A hand edit may leave CRLF line ends; a value's own '\r' is escaped.
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (IsBlankOrComment(line)) continue;
    Status st = ParseConfigLine(line, &overrides);
    if (!st.ok()) {
      return Status::Corruption(fmt::format("{} line {} '{}': {}", path, line_no, line, st.message()));
    }
  }
  return overrides;
}

}  // namespace

int64_t LogConfig::MaxSegmentMs() const {
  if (cleanup_compact && max_compaction_lag_ms > 0) return std::min(max_compaction_lag_ms, segment_ms);
  return segment_ms;
}

Codec LogConfig::AppendCodec() const {
  switch (compression_type) {
    case CompressionType::kGzip: return Codec::kGzip;
    case CompressionType::kSnappy: return Codec::kSnappy;
    case CompressionType::kLz4: return Codec::kLz4;
    case CompressionType::kZstd: return Codec::kZstd;
    case CompressionType::kProducer:
    case CompressionType::kUncompressed: break;
  }
  return Codec::kNone;
}

int LogConfig::AppendLevel() const { return LevelFor(AppendCodec()); }

int LogConfig::LevelFor(Codec codec) const {
  switch (codec) {
    case Codec::kGzip: return compression_gzip_level;
    case Codec::kLz4: return compression_lz4_level;
    case Codec::kZstd: return compression_zstd_level;
    default: return 0;
  }
}

const std::vector<std::string>& ConfigNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const ConfigSpec& spec : kSpecs) v.emplace_back(spec.name);
    return v;
  }();
  return names;
}

bool IsConfigName(std::string_view name) { return FindSpec(name) != nullptr; }

bool IsInternalConfigName(std::string_view name) { return name.starts_with("internal."); }

Status ValidateConfigValue(std::string_view name, std::string_view value) {
  const ConfigSpec* spec = FindSpec(name);
  if (spec == nullptr) return UnknownName(name);
  return spec->set(name, value, nullptr);
}

Result<LogConfig> ResolveConfig(const ConfigOverrides& defaults, const ConfigOverrides& overrides) {
  LogConfig config;
  RETURN_IF_ERROR(Apply(defaults, &config).Annotate("default"));
  RETURN_IF_ERROR(Apply(overrides, &config));
  config.segment_bytes =
      config.internal_segment_bytes > 0 ? config.internal_segment_bytes : config.segment_bytes_setting;
  // Kafka's cross-field rule: a record cannot have to wait for compaction
  // longer than it may wait at most.
  if (config.min_compaction_lag_ms > config.max_compaction_lag_ms) {
    return Status::InvalidArgument(
        fmt::format("min.compaction.lag.ms {} is greater than max.compaction.lag.ms {}",
                    config.min_compaction_lag_ms, config.max_compaction_lag_ms));
  }
  return config;
}

std::string ConfigValueText(const LogConfig& config, std::string_view name) {
  const ConfigSpec* spec = FindSpec(name);
  return spec == nullptr ? std::string() : spec->get(config);
}

Result<ConfigOverrides> ReadConfigFile(const std::string& path, FileIo& io) {
  Result<std::string> contents = ReadSmallFile(path, io);
  if (!contents.ok()) {
    // A topic nobody configured has no file: all defaults.
    if (contents.status().code() == Code::kNotFound) return ConfigOverrides{};
    return contents.status();
  }
  return ParseConfigFile(path, *contents);
}

Status WriteConfigFile(const std::string& path, const ConfigOverrides& overrides, FileIo& io) {
  std::string text(kConfigFileHeader);
  for (const auto& [name, value] : overrides) {
    // Never persist what ReadConfigFile would call corrupt.
    RETURN_IF_ERROR(ValidateConfigValue(name, value).Annotate(path));
    text += fmt::format("{}={}\n", name, EscapeValue(value));
  }
  return WriteFileAtomically(path, AppendChecksumLine(std::move(text)), io);
}

}  // namespace topicfs::store
