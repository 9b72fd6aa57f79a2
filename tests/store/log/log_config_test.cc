#include "store/log/log_config.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/base/crc32c.h"

#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::FileExists;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();

LogConfig ResolveOk(const ConfigOverrides& defaults, const ConfigOverrides& overrides) {
  Result<LogConfig> config = ResolveConfig(defaults, overrides);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : LogConfig{};
}

Code CodeOf(std::string_view name, std::string_view value) {
  return ValidateConfigValue(name, value).code();
}

// ---- defaults and names -----------------------------------------------------

TEST(LogConfigTest, DefaultsAreKafkas) {
  const LogConfig c = ResolveOk({}, {});
  EXPECT_TRUE(c.cleanup_delete);
  EXPECT_FALSE(c.cleanup_compact);
  EXPECT_EQ(c.retention_ms, 604800000);
  EXPECT_EQ(c.retention_bytes, -1);
  EXPECT_EQ(c.segment_bytes, 1073741824);
  EXPECT_EQ(c.segment_ms, 604800000);
  EXPECT_EQ(c.segment_index_bytes, 10485760);
  EXPECT_EQ(c.index_interval_bytes, 4096);
  EXPECT_EQ(c.max_message_bytes, 1048588);
  EXPECT_EQ(c.min_cleanable_dirty_ratio, 0.5);
  EXPECT_EQ(c.delete_retention_ms, 86400000);
  EXPECT_EQ(c.min_compaction_lag_ms, 0);
  EXPECT_EQ(c.max_compaction_lag_ms, kLongMax);
  EXPECT_EQ(c.file_delete_delay_ms, 60000);
  EXPECT_EQ(c.flush_messages, kLongMax);
  EXPECT_EQ(c.flush_ms, kLongMax);
  EXPECT_EQ(c.partitions, 1);
  EXPECT_EQ(c.key_separator, "");
}

TEST(LogConfigTest, DefaultsReadAsKafkaPrintsThem) {
  const LogConfig c;
  EXPECT_EQ(ConfigValueText(c, "cleanup.policy"), "delete");
  EXPECT_EQ(ConfigValueText(c, "retention.ms"), "604800000");
  EXPECT_EQ(ConfigValueText(c, "retention.bytes"), "-1");
  EXPECT_EQ(ConfigValueText(c, "segment.bytes"), "1073741824");
  EXPECT_EQ(ConfigValueText(c, "segment.ms"), "604800000");
  EXPECT_EQ(ConfigValueText(c, "segment.index.bytes"), "10485760");
  EXPECT_EQ(ConfigValueText(c, "index.interval.bytes"), "4096");
  EXPECT_EQ(ConfigValueText(c, "max.message.bytes"), "1048588");
  EXPECT_EQ(ConfigValueText(c, "min.cleanable.dirty.ratio"), "0.5");
  EXPECT_EQ(ConfigValueText(c, "delete.retention.ms"), "86400000");
  EXPECT_EQ(ConfigValueText(c, "min.compaction.lag.ms"), "0");
  EXPECT_EQ(ConfigValueText(c, "max.compaction.lag.ms"), "9223372036854775807");
  EXPECT_EQ(ConfigValueText(c, "file.delete.delay.ms"), "60000");
  EXPECT_EQ(ConfigValueText(c, "flush.messages"), "9223372036854775807");
  EXPECT_EQ(ConfigValueText(c, "flush.ms"), "9223372036854775807");
  EXPECT_EQ(ConfigValueText(c, "partitions"), "1");
  EXPECT_EQ(ConfigValueText(c, "key.separator"), "");
}

TEST(LogConfigTest, NamesAreKafkasPlusPartitionsAndKeySeparatorInStableOrder) {
  const std::vector<std::string> expected = {
      "cleanup.policy",        "retention.ms",          "retention.bytes",
      "segment.bytes",         "segment.ms",            "segment.index.bytes",
      "index.interval.bytes",  "max.message.bytes",     "min.cleanable.dirty.ratio",
      "delete.retention.ms",   "min.compaction.lag.ms", "max.compaction.lag.ms",
      "file.delete.delay.ms",  "flush.messages",        "flush.ms",
      "compression.type",      "compression.gzip.level", "compression.lz4.level",
      "compression.zstd.level", "partitions",           "key.separator",
      "internal.segment.bytes"};
  EXPECT_EQ(ConfigNames(), expected);
  for (const std::string& name : expected) EXPECT_TRUE(IsConfigName(name)) << name;
  EXPECT_FALSE(IsConfigName("segment.jitter.ms"));
  EXPECT_FALSE(IsConfigName("Retention.ms"));
  EXPECT_FALSE(IsConfigName(""));
}

TEST(LogConfigTest, UnknownNameIsNotFoundAndNamed) {
  Status st = ValidateConfigValue("retention.hours", "1");
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_EQ(st.message(), "unknown config 'retention.hours'");
  EXPECT_EQ(ConfigValueText(LogConfig{}, "retention.hours"), "");
}

// ---- numeric ranges ---------------------------------------------------------

struct Bounds {
  const char* name;
  const char* lowest_ok;
  const char* below;  // nullptr when the type's own minimum is the bound
  const char* highest_ok;
  const char* above;  // one past the type's maximum
};

const Bounds kIntegerBounds[] = {
    {"retention.ms", "-1", "-2", "9223372036854775807", "9223372036854775808"},
    {"retention.bytes", "-9223372036854775808", nullptr, "9223372036854775807", "9223372036854775808"},
    // Kafka's LogConfig: atLeast(1024 * 1024) since Kafka 4.0 (KIP-1030).
    {"segment.bytes", "1048576", "1048575", "2147483647", "2147483648"},
    // Kafka's test-only override: here at least one record's batch (61 + 21 + 1).
    {"internal.segment.bytes", "83", "82", "2147483647", "2147483648"},
    {"segment.ms", "1", "0", "9223372036854775807", "9223372036854775808"},
    {"segment.index.bytes", "4", "3", "2147483647", "2147483648"},
    {"index.interval.bytes", "0", "-1", "2147483647", "2147483648"},
    {"max.message.bytes", "0", "-1", "2147483647", "2147483648"},
    {"delete.retention.ms", "0", "-1", "9223372036854775807", "9223372036854775808"},
    {"min.compaction.lag.ms", "0", "-1", "9223372036854775807", "9223372036854775808"},
    {"max.compaction.lag.ms", "1", "0", "9223372036854775807", "9223372036854775808"},
    {"file.delete.delay.ms", "0", "-1", "9223372036854775807", "9223372036854775808"},
    {"flush.messages", "1", "0", "9223372036854775807", "9223372036854775808"},
    {"flush.ms", "0", "-1", "9223372036854775807", "9223372036854775808"},
    {"partitions", "1", "0", "2147483647", "2147483648"},
};

TEST(LogConfigTest, IntegerBoundsAreAcceptedAndValuesPastThemAreOutOfRange) {
  for (const Bounds& b : kIntegerBounds) {
    SCOPED_TRACE(b.name);
    EXPECT_EQ(CodeOf(b.name, b.lowest_ok), Code::kOk);
    EXPECT_EQ(CodeOf(b.name, b.highest_ok), Code::kOk);
    EXPECT_EQ(CodeOf(b.name, b.above), Code::kOutOfRange);
    EXPECT_EQ(CodeOf(b.name, "-99999999999999999999"), Code::kOutOfRange);
    if (b.below != nullptr) {
      EXPECT_EQ(CodeOf(b.name, b.below), Code::kOutOfRange);
    }
  }
}

TEST(LogConfigTest, IntegerTextMustBeStrictDecimal) {
  for (const Bounds& b : kIntegerBounds) {
    for (const char* text : {"", " 5", "5 ", "+5", "5x", "0x10", "1.5", "1e3", "--1", "-", "five"}) {
      EXPECT_EQ(CodeOf(b.name, text), Code::kInvalidArgument) << b.name << "='" << text << "'";
    }
  }
}

TEST(LogConfigTest, IntegerWithLeadingZerosIsDecimal) {
  EXPECT_EQ(ResolveOk({}, {{"retention.ms", "0100"}}).retention_ms, 100);
}

TEST(LogConfigTest, OutOfRangeMessageNamesConfigAndMinimum) {
  Status st = ValidateConfigValue("segment.bytes", "14");
  EXPECT_NE(st.message().find("segment.bytes"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("1048576"), std::string::npos) << st.message();
}

TEST(LogConfigTest, DirtyRatioAcceptsZeroToOne) {
  for (const char* text : {"0", "1", "0.5", "0.0", "1.0", "1e-1", ".25"}) {
    EXPECT_EQ(CodeOf("min.cleanable.dirty.ratio", text), Code::kOk) << text;
  }
  EXPECT_EQ(ResolveOk({}, {{"min.cleanable.dirty.ratio", "0.25"}}).min_cleanable_dirty_ratio, 0.25);
}

TEST(LogConfigTest, DirtyRatioOutsideZeroToOneIsOutOfRange) {
  for (const char* text : {"-0.1", "1.0001", "2", "-0.000001"}) {
    EXPECT_EQ(CodeOf("min.cleanable.dirty.ratio", text), Code::kOutOfRange) << text;
  }
}

TEST(LogConfigTest, DirtyRatioThatIsNotANumberIsInvalid) {
  for (const char* text : {"", "nan", "inf", "half", "0.5 ", " 0.5", "+0.5", "0.5x", "0,5"}) {
    EXPECT_EQ(CodeOf("min.cleanable.dirty.ratio", text), Code::kInvalidArgument) << "'" << text << "'";
  }
}

// ---- cleanup.policy and key.separator ------------------------------------------

TEST(LogConfigTest, CleanupPolicyIsASetOfDeleteAndCompactAsKafkaSpellsThem) {
  struct Case {
    const char* text;
    bool del;
    bool compact;
  };
  // Blanks around a comma are Kafka's list separator.
  for (const Case& c : {Case{"delete", true, false}, Case{"compact", false, true},
                        Case{"delete,compact", true, true}, Case{"compact,delete", true, true},
                        Case{"compact, delete", true, true}, Case{"delete ,\tcompact", true, true}}) {
    LogConfig config = ResolveOk({}, {{"cleanup.policy", c.text}});
    EXPECT_EQ(config.cleanup_delete, c.del) << c.text;
    EXPECT_EQ(config.cleanup_compact, c.compact) << c.text;
  }
}

TEST(LogConfigTest, CleanupPolicyWithUnknownItemIsInvalidAndNamesIt) {
  Status st = ValidateConfigValue("cleanup.policy", "compact,archive");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("'archive'"), std::string::npos) << st.message();
}

// Kafka's ValidList.in is case-sensitive and refuses duplicates; blanks at
// the ends of a value topicfs refuses where Kafka trims (as for numbers).
TEST(LogConfigTest, CleanupPolicyRefusesWhatKafkaRefusesAndBlanksAtItsEnds) {
  for (const char* text : {"COMPACT", "Compact", "DELETE", "Compact, DELETE", "delete,delete",
                           "compact,delete,compact", " compact", "compact ", " compact ", "\tdelete"}) {
    EXPECT_EQ(CodeOf("cleanup.policy", text), Code::kInvalidArgument) << "'" << text << "'";
  }
  EXPECT_NE(ValidateConfigValue("cleanup.policy", "COMPACT").message().find("lower case"), std::string::npos);
  EXPECT_NE(ValidateConfigValue("cleanup.policy", "delete,delete").message().find("twice"), std::string::npos);
}

TEST(LogConfigTest, EmptyCleanupPolicyOrItemIsInvalid) {
  for (const char* text : {"", " ", ",", "delete,", ",compact", "delete,,compact"}) {
    EXPECT_EQ(CodeOf("cleanup.policy", text), Code::kInvalidArgument) << "'" << text << "'";
  }
}

TEST(LogConfigTest, KeySeparatorIsOneToSixteenBytesWithoutNewline) {
  EXPECT_EQ(CodeOf("key.separator", ":"), Code::kOk);
  EXPECT_EQ(CodeOf("key.separator", " = \\ "), Code::kOk);
  EXPECT_EQ(CodeOf("key.separator", std::string(16, '|')), Code::kOk);
  EXPECT_EQ(CodeOf("key.separator", std::string(17, '|')), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf("key.separator", ""), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf("key.separator", "a\nb"), Code::kInvalidArgument);
  EXPECT_EQ(ResolveOk({}, {{"key.separator", "\t"}}).key_separator, "\t");
}

// ---- resolution --------------------------------------------------------------

TEST(LogConfigTest, OverridesWinOverDefaultsWhichWinOverKafka) {
  ConfigOverrides defaults{{"retention.ms", "1000"}, {"segment.bytes", "4194304"}};
  ConfigOverrides overrides{{"retention.ms", "2000"}};
  LogConfig c = ResolveOk(defaults, overrides);
  EXPECT_EQ(c.retention_ms, 2000);
  EXPECT_EQ(c.segment_bytes, 4194304);
  EXPECT_EQ(c.segment_ms, 604800000);
}

TEST(LogConfigTest, ResolveRefusesInvalidOverrideWithItsCode) {
  EXPECT_EQ(ResolveConfig({}, {{"segment.bytes", "14"}}).status().code(), Code::kOutOfRange);
  EXPECT_EQ(ResolveConfig({}, {{"segment.bytes", "x"}}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ResolveConfig({}, {{"bogus", "1"}}).status().code(), Code::kNotFound);
}

TEST(LogConfigTest, ResolveRefusesInvalidDefault) {
  EXPECT_EQ(ResolveConfig({{"flush.messages", "0"}}, {}).status().code(), Code::kOutOfRange);
  EXPECT_EQ(ResolveConfig({{"bogus", "1"}}, {}).status().code(), Code::kNotFound);
}

TEST(LogConfigTest, MinCompactionLagAboveMaxIsRefusedNamingBoth) {
  Result<LogConfig> r =
      ResolveConfig({}, {{"min.compaction.lag.ms", "5000"}, {"max.compaction.lag.ms", "4000"}});
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("5000"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("4000"), std::string::npos) << r.status().message();
}

TEST(LogConfigTest, MinCompactionLagFromDefaultsIsCheckedAgainstOverrideMax) {
  EXPECT_EQ(ResolveConfig({{"min.compaction.lag.ms", "5000"}}, {{"max.compaction.lag.ms", "4000"}})
                .status()
                .code(),
            Code::kInvalidArgument);
}

TEST(LogConfigTest, MinCompactionLagEqualToMaxIsAccepted) {
  LogConfig c = ResolveOk({}, {{"min.compaction.lag.ms", "4000"}, {"max.compaction.lag.ms", "4000"}});
  EXPECT_EQ(c.min_compaction_lag_ms, 4000);
  EXPECT_EQ(c.max_compaction_lag_ms, 4000);
}

TEST(LogConfigTest, EveryNameRoundTripsThroughItsText) {
  const ConfigOverrides set = {
      {"cleanup.policy", "delete,compact"},
      {"retention.ms", "-1"},
      {"retention.bytes", "123456789012"},
      {"segment.bytes", "1048576"},
      {"segment.ms", "3600000"},
      {"segment.index.bytes", "4096"},
      {"index.interval.bytes", "0"},
      {"max.message.bytes", "2048"},
      {"min.cleanable.dirty.ratio", "0.1"},
      {"delete.retention.ms", "0"},
      {"min.compaction.lag.ms", "10"},
      {"max.compaction.lag.ms", "20"},
      {"file.delete.delay.ms", "5"},
      {"flush.messages", "1"},
      {"flush.ms", "1000"},
      {"compression.type", "zstd"},
      {"compression.gzip.level", "9"},
      {"compression.lz4.level", "17"},
      {"compression.zstd.level", "-7"},
      {"partitions", "4"},
      {"key.separator", " = \\ "},
      {"internal.segment.bytes", "4096"},
  };
  ASSERT_EQ(set.size(), ConfigNames().size());
  const LogConfig c = ResolveOk({}, set);
  for (const std::string& name : ConfigNames()) {
    EXPECT_EQ(ConfigValueText(c, name), set.find(name)->second) << name;
  }
  // Feeding the printed values back gives the same config.
  ConfigOverrides printed;
  for (const std::string& name : ConfigNames()) printed[name] = ConfigValueText(c, name);
  const LogConfig again = ResolveOk({}, printed);
  for (const std::string& name : ConfigNames()) {
    EXPECT_EQ(ConfigValueText(again, name), ConfigValueText(c, name)) << name;
  }
}

// Kafka's values and ranges (CompressionType, BrokerCompressionType):
// names exactly as Kafka spells them, each level within its codec's range.
TEST(LogConfigTest, CompressionTypeAndLevelsAreKafkas) {
  const LogConfig defaults = ResolveOk({}, {});
  EXPECT_EQ(ConfigValueText(defaults, "compression.type"), "producer");
  EXPECT_EQ(ConfigValueText(defaults, "compression.gzip.level"), "-1");
  EXPECT_EQ(ConfigValueText(defaults, "compression.lz4.level"), "9");
  EXPECT_EQ(ConfigValueText(defaults, "compression.zstd.level"), "3");
  EXPECT_EQ(defaults.AppendCodec(), Codec::kNone);
  for (const char* ok : {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}) {
    EXPECT_TRUE(ValidateConfigValue("compression.type", ok).ok()) << ok;
  }
  for (const char* bad : {"ZSTD", " zstd", "none", "", "lz4,zstd"}) {
    EXPECT_EQ(ValidateConfigValue("compression.type", bad).code(), Code::kInvalidArgument) << bad;
  }
  const std::pair<const char*, std::vector<const char*>> in_range[] = {
      {"compression.gzip.level", {"-1", "1", "9"}},
      {"compression.lz4.level", {"1", "17"}},
      {"compression.zstd.level", {"-131072", "0", "22"}}};
  for (const auto& [name, values] : in_range) {
    for (const char* v : values) EXPECT_TRUE(ValidateConfigValue(name, v).ok()) << name << "=" << v;
  }
  const std::pair<const char*, std::vector<const char*>> out_of_range[] = {
      {"compression.gzip.level", {"0", "10", "-2"}},
      {"compression.lz4.level", {"0", "18"}},
      {"compression.zstd.level", {"-131073", "23"}}};
  for (const auto& [name, values] : out_of_range) {
    for (const char* v : values) EXPECT_EQ(ValidateConfigValue(name, v).code(), Code::kOutOfRange) << name << "=" << v;
  }
  EXPECT_EQ(ValidateConfigValue("compression.zstd.level", "fast").code(), Code::kInvalidArgument);
  const LogConfig lz4 = ResolveOk({{"compression.type", "lz4"}}, {{"compression.lz4.level", "12"}});
  EXPECT_EQ(lz4.AppendCodec(), Codec::kLz4);
  EXPECT_EQ(lz4.AppendLevel(), 12);
}

TEST(LogConfigTest, CleanupPolicyPrintsInCanonicalForm) {
  EXPECT_EQ(ConfigValueText(ResolveOk({}, {{"cleanup.policy", "compact, delete"}}), "cleanup.policy"),
            "delete,compact");
}

TEST(LogConfigTest, RatioPrintsInShortestForm) {
  EXPECT_EQ(ConfigValueText(ResolveOk({}, {{"min.cleanable.dirty.ratio", "0.50"}}),
                            "min.cleanable.dirty.ratio"),
            "0.5");
  EXPECT_EQ(ConfigValueText(ResolveOk({}, {{"min.cleanable.dirty.ratio", "1.0"}}),
                            "min.cleanable.dirty.ratio"),
            "1");
}

// ---- MaxSegmentMs --------------------------------------------------------------

TEST(LogConfigTest, MaxSegmentMsIsSegmentMsWhenNotCompacted) {
  LogConfig c = ResolveOk({}, {{"segment.ms", "5000"}, {"max.compaction.lag.ms", "1000"}});
  EXPECT_EQ(c.MaxSegmentMs(), 5000);
}

TEST(LogConfigTest, MaxSegmentMsIsCappedByMaxCompactionLagWhenCompacted) {
  LogConfig c = ResolveOk(
      {}, {{"cleanup.policy", "compact"}, {"segment.ms", "5000"}, {"max.compaction.lag.ms", "1000"}});
  EXPECT_EQ(c.MaxSegmentMs(), 1000);
  c.max_compaction_lag_ms = 9000;
  EXPECT_EQ(c.MaxSegmentMs(), 5000);
}

TEST(LogConfigTest, MaxSegmentMsIgnoresNonPositiveCompactionLag) {
  LogConfig c;
  c.cleanup_compact = true;
  c.segment_ms = 5000;
  c.max_compaction_lag_ms = 0;
  EXPECT_EQ(c.MaxSegmentMs(), 5000);
}

TEST(LogConfigTest, CompactDeleteTopicIsAlsoCappedByMaxCompactionLag) {
  LogConfig c = ResolveOk({}, {{"cleanup.policy", "delete,compact"}, {"max.compaction.lag.ms", "1000"}});
  EXPECT_EQ(c.MaxSegmentMs(), 1000);
}

// ---- config file ----------------------------------------------------------------

TEST(ConfigFileTest, OverridesRoundTripIncludingAwkwardKeySeparator) {
  TempDir dir;
  const std::string path = dir / "topicfs.config";
  ConfigOverrides overrides{{"retention.ms", "3600000"},
                            {"cleanup.policy", "compact, delete"},
                            {"key.separator", " = \\ "},
                            {"min.cleanable.dirty.ratio", "0.25"}};
  ASSERT_TRUE(WriteConfigFile(path, overrides).ok());
  Result<ConfigOverrides> read = ReadConfigFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, overrides);
  EXPECT_FALSE(FileExists(path + ".tmp"));
}

TEST(ConfigFileTest, FileIsCommentedNameEqualsValueLines) {
  TempDir dir;
  const std::string path = dir / "c";
  ASSERT_TRUE(WriteConfigFile(path, {{"retention.ms", "5"}, {"key.separator", "a\\b"}}).ok());
  const std::string text = "# topicfs topic config\nkey.separator=a\\\\b\nretention.ms=5\n";
  // The last line is the CRC-32C of the lines before it.
  EXPECT_EQ(ReadFile(path), fmt::format("{}# crc32c={:08x}\n", text, crc32c::Value(text.data(), text.size())));
}

// One flipped byte anywhere in a config the store wrote is refused, never
// read as another value; a file without a checksum line (written by hand)
// is read as it is.
TEST(ConfigFileTest, AFlippedByteIsRefusedAndAFileWithoutChecksumIsRead) {
  TempDir dir;
  const std::string path = dir / "c";
  ASSERT_TRUE(WriteConfigFile(path, {{"retention.ms", "604800000"}, {"cleanup.policy", "compact"}}).ok());
  const std::string good = ReadFile(path);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    testing::WriteFile(path, bad);
    Result<ConfigOverrides> read = ReadConfigFile(path);
    if (!read.ok()) continue;
    // Accepted only when the damage left the values as they were.
    EXPECT_EQ(read->at("retention.ms"), "604800000") << "byte " << i;
    EXPECT_EQ(read->at("cleanup.policy"), "compact") << "byte " << i;
  }
  testing::WriteFile(path, "retention.ms=5\n");
  ASSERT_TRUE(ReadConfigFile(path).ok());
  EXPECT_EQ(ReadConfigFile(path)->at("retention.ms"), "5");
}

// A config the store wrote, cut short before its checksum line, would read
// as a shorter valid one (fewer partitions, a tiny retention.ms): damaged.
TEST(ConfigFileTest, AConfigCutShortIsDamaged) {
  TempDir dir;
  const std::string path = dir / "c";
  ASSERT_TRUE(WriteConfigFile(path, {{"retention.ms", "3600000"}, {"partitions", "3"}}).ok());
  const std::string good = ReadFile(path);
  for (size_t cut : {size_t{0}, size_t{7}, good.find("retention.ms=36") + 15, good.find("partitions="),
                     good.size() - 1}) {
    testing::WriteFile(path, good.substr(0, cut));
    Result<ConfigOverrides> read = ReadConfigFile(path);
    ASSERT_FALSE(read.ok()) << cut;
    EXPECT_EQ(read.status().code(), Code::kCorruption) << read.status().ToString();
  }
}

TEST(ConfigFileTest, EmptyOverridesRoundTrip) {
  TempDir dir;
  ASSERT_TRUE(WriteConfigFile(dir / "c", {}).ok());
  Result<ConfigOverrides> read = ReadConfigFile(dir / "c");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST(ConfigFileTest, RewriteReplacesPreviousOverrides) {
  TempDir dir;
  ASSERT_TRUE(WriteConfigFile(dir / "c", {{"retention.ms", "5"}, {"flush.ms", "7"}}).ok());
  ASSERT_TRUE(WriteConfigFile(dir / "c", {{"flush.ms", "8"}}).ok());
  Result<ConfigOverrides> read = ReadConfigFile(dir / "c");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, (ConfigOverrides{{"flush.ms", "8"}}));
}

TEST(ConfigFileTest, MissingFileReadsAsNoOverrides) {
  TempDir dir;
  Result<ConfigOverrides> read = ReadConfigFile(dir / "absent");
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());
}

TEST(ConfigFileTest, CommentsBlankLinesAndCrlfAreTolerated) {
  TempDir dir;
  WriteFile(dir / "c", "# hand edited\n\n   \n  # indented comment\r\nretention.ms=5\r\nsegment.ms=9\n");
  Result<ConfigOverrides> read = ReadConfigFile(dir / "c");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, (ConfigOverrides{{"retention.ms", "5"}, {"segment.ms", "9"}}));
}

TEST(ConfigFileTest, ValueMaySpanEqualsSigns) {
  TempDir dir;
  WriteFile(dir / "c", "key.separator===\n");
  Result<ConfigOverrides> read = ReadConfigFile(dir / "c");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->at("key.separator"), "==");
}

TEST(ConfigFileTest, LastOfRepeatedNameWins) {
  TempDir dir;
  WriteFile(dir / "c", "retention.ms=5\nretention.ms=6\n");
  Result<ConfigOverrides> read = ReadConfigFile(dir / "c");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->at("retention.ms"), "6");
}

TEST(ConfigFileTest, BadLineIsCorruptionNamingFileLineAndText) {
  TempDir dir;
  const std::string path = dir / "c";
  for (const char* bad : {"retention.ms=-5", "retention.ms=abc", "bogus.name=1", "no equals sign",
                          "retention.ms = 5", "key.separator=a\\", "key.separator=\\t"}) {
    WriteFile(path, std::string("# edited by hand\nflush.ms=1\n") + bad + "\n");
    Result<ConfigOverrides> read = ReadConfigFile(path);
    ASSERT_FALSE(read.ok()) << bad;
    EXPECT_EQ(read.status().code(), Code::kCorruption) << bad;
    const std::string& msg = read.status().message();
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find("line 3"), std::string::npos) << msg;
    EXPECT_NE(msg.find(bad), std::string::npos) << msg;
  }
}

TEST(ConfigFileTest, WriteRefusesWhatReadWouldCallCorrupt) {
  TempDir dir;
  const std::string path = dir / "c";
  EXPECT_EQ(WriteConfigFile(path, {{"bogus", "1"}}).code(), Code::kNotFound);
  EXPECT_EQ(WriteConfigFile(path, {{"segment.bytes", "1"}}).code(), Code::kOutOfRange);
  EXPECT_FALSE(FileExists(path));
}

}  // namespace
}  // namespace topicfs::store
