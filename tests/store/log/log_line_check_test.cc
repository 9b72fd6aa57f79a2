// Log::CheckLine and Log::CheckUnfinishedLine: the filesystem asks them
// whether a held line could be appended (at close) and whether an unfinished
// one can still become a record (at each write). They must judge exactly as
// Append does, and never append anything themselves.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::TempDir;

class LogLineCheckTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(const LogConfig& config, const std::string& name = "t-0") {
    return testing::OpenTestLog(dir_ / name, config, &clock_);
  }

  static Code AppendCode(Log& log, std::string_view line) {
    return log.Append({&line, 1}).status().code();
  }

  TempDir dir_;
  FakeClock clock_;
};

// The longest line Append takes, found by appending: every check below is
// stated against it rather than against a figure worked out by hand.
int64_t LongestAppendableLine(Log& log, int64_t from, int64_t to) {
  int64_t longest = -1;
  for (int64_t n = from; n <= to; ++n) {
    std::string line(static_cast<size_t>(n), 'x');
    std::string_view view = line;
    if (log.Append({&view, 1}).ok()) longest = n;
  }
  return longest;
}

TEST_F(LogLineCheckTest, CheckLineAgreesWithAppendAtTheSizeLimit) {
  LogConfig config;
  config.max_message_bytes = 1000;
  auto log = OpenLog(config);
  auto probe = OpenLog(config, "probe-0");
  const int64_t longest = LongestAppendableLine(*probe, 850, 1000);
  ASSERT_GT(longest, 850);
  ASSERT_LT(longest, 1000);
  for (int64_t n = longest - 3; n <= longest + 3; ++n) {
    std::string line(static_cast<size_t>(n), 'y');
    const Offset end = log->log_end_offset();
    Status check = log->CheckLine(line);
    EXPECT_EQ(log->log_end_offset(), end) << "a check appends nothing";
    EXPECT_EQ(check.code(), AppendCode(*log, line)) << n << ": " << check.ToString();
    EXPECT_EQ(check.ok(), n <= longest) << n;
  }
}

TEST_F(LogLineCheckTest, TheLimitIsTheSmallerOfMaxMessageBytesAndSegmentBytes) {
  LogConfig config;
  config.max_message_bytes = 1'000'000;
  config.segment_bytes = 600;
  auto log = OpenLog(config);
  auto probe = OpenLog(config, "probe-0");
  const int64_t longest = LongestAppendableLine(*probe, 450, 600);
  ASSERT_GT(longest, 450);
  EXPECT_TRUE(log->CheckLine(std::string(longest, 'x')).ok());
  EXPECT_EQ(log->CheckLine(std::string(longest + 1, 'x')).code(), Code::kRecordTooLarge);
  EXPECT_TRUE(log->CheckUnfinishedLine(std::string(longest, 'x')).ok());
  EXPECT_EQ(log->CheckUnfinishedLine(std::string(longest + 1, 'x')).code(), Code::kRecordTooLarge);
}

TEST_F(LogLineCheckTest, AnUnfinishedLineIsRefusedOnlyWhenNoEndingOfItCanFit) {
  // Without key.separator a line grows only: it can still be a record
  // exactly as long as it could be one if it ended now.
  LogConfig config;
  config.max_message_bytes = 1000;
  auto log = OpenLog(config);
  auto probe = OpenLog(config, "probe-0");
  const int64_t longest = LongestAppendableLine(*probe, 850, 1000);
  for (int64_t n = longest - 3; n <= longest + 3; ++n) {
    Status check = log->CheckUnfinishedLine(std::string(static_cast<size_t>(n), 'x'));
    EXPECT_EQ(check.ok(), n <= longest) << n << ": " << check.ToString();
    if (!check.ok()) {
      EXPECT_EQ(check.code(), Code::kRecordTooLarge);
    }
  }
  EXPECT_EQ(log->log_end_offset(), Offset(0));
}

TEST_F(LogLineCheckTest, TheDefaultLimitRefusesAMebibyteLineAndTakesAMillionBytes) {
  // The figures of the filesystem's long-line cases: a 1 MiB piece of one
  // line can never be a record; ten 100,000-byte writes can.
  auto log = OpenLog(LogConfig{});
  EXPECT_TRUE(log->CheckUnfinishedLine(std::string(1'000'000, 'x')).ok());
  // README.md states the figure.
  EXPECT_TRUE(log->CheckLine(std::string(1'048'516, 'x')).ok());
  EXPECT_EQ(log->CheckLine(std::string(1'048'517, 'x')).code(), Code::kRecordTooLarge);
  EXPECT_EQ(log->CheckUnfinishedLine(std::string(1'048'568, 'x')).code(), Code::kRecordTooLarge);
  EXPECT_EQ(log->CheckUnfinishedLine(std::string(1'048'576, 'x')).code(), Code::kRecordTooLarge);
  EXPECT_EQ(log->CheckLine(std::string(1'048'576, 'x')).code(), Code::kRecordTooLarge);
}

TEST_F(LogLineCheckTest, OnAKeyedTopicAnUnfinishedLineIsNotRefusedEarlierThanItsWholeLine) {
  // A keyed line's record holds the whole line as its value and the key
  // besides; a tombstone ("key" + separator) has no value but a header
  // naming the separator. Neither is smaller than the line's bytes as a
  // keyless value, so where the unfinished check refuses no ending fits,
  // and every start of a line Append takes is let through.
  LogConfig config;
  config.max_message_bytes = 1000;
  for (std::string separator : {":", "=>="}) {
    SCOPED_TRACE(separator);
    config.key_separator = separator;
    auto log = OpenLog(config, "keyed" + std::to_string(separator.size()) + "-0");
    int refused = 0;
    for (int64_t n = 850; n <= 1000; ++n) {
      for (std::string line : {"key" + separator + std::string(static_cast<size_t>(n), 'v'),
                               std::string(static_cast<size_t>(n), 'k') + separator}) {
        const bool whole_fits = log->CheckLine(line).ok();
        if (!log->CheckUnfinishedLine(line).ok()) {
          ++refused;
          EXPECT_FALSE(whole_fits) << n;
        }
        for (size_t cut : {line.size() - 1, line.size() / 2, size_t{3}}) {
          if (whole_fits) {
            EXPECT_TRUE(log->CheckUnfinishedLine(line.substr(0, cut)).ok()) << n << " cut " << cut;
          }
        }
      }
    }
    EXPECT_GT(refused, 0) << "the range crosses the limit";
  }
}

TEST_F(LogLineCheckTest, CheckLineAgreesWithAppendOnKeyedAndCompactedTopics) {
  LogConfig config;
  config.max_message_bytes = 600;
  config.key_separator = ":";
  config.cleanup_compact = true;
  auto log = OpenLog(config);
  std::vector<std::string> lines = {"k:v", "k:", "nokey", "", ":empty key", "k:" + std::string(520, 'v'),
                                    "k:" + std::string(700, 'v'), std::string(700, 'n')};
  for (int pad = 0; pad < 12; ++pad) lines.push_back("key:" + std::string(520 + pad, 'p'));
  for (const std::string& line : lines) {
    Status check = log->CheckLine(line);
    EXPECT_EQ(check.code(), AppendCode(*log, line)) << line.substr(0, 20) << ": " << check.ToString();
  }
  EXPECT_EQ(log->CheckLine("nokey").code(), Code::kInvalidArgument);
  EXPECT_EQ(log->CheckLine(std::string(700, 'n')).code(), Code::kInvalidArgument)
      << "the key is judged before the size, as Append judges it";
  EXPECT_TRUE(log->CheckLine("k:v").ok());
  EXPECT_TRUE(log->CheckLine("k:").ok()) << "a tombstone has a key";
  EXPECT_TRUE(log->CheckUnfinishedLine("nokey").ok()) << "its key may still come";

  config.key_separator.clear();
  auto no_separator = OpenLog(config, "nosep-0");
  EXPECT_EQ(no_separator->CheckLine("k:v").code(), Code::kInvalidArgument)
      << "a compacted topic without key.separator has no keyed lines";
}

TEST_F(LogLineCheckTest, AClosedLogRefusesEveryLine) {
  auto log = OpenLog(LogConfig{});
  ASSERT_TRUE(log->Append(std::vector<std::string_view>{"abc"}).ok());
  ASSERT_TRUE(log->Close().ok());
  EXPECT_EQ(log->CheckLine("x").code(), Code::kFenced);
  EXPECT_EQ(AppendCode(*log, "x"), Code::kFenced);
  EXPECT_TRUE(log->CheckUnfinishedLine("x").ok()) << "only the size is judged before a line ends";
}

TEST_F(LogLineCheckTest, ChecksFollowConfigChanges) {
  auto log = OpenLog(LogConfig{});
  EXPECT_TRUE(log->CheckLine(std::string(500, 'x')).ok());
  LogConfig smaller;
  smaller.max_message_bytes = 200;
  log->UpdateConfig(smaller);
  EXPECT_EQ(log->CheckLine(std::string(500, 'x')).code(), Code::kRecordTooLarge);
  EXPECT_EQ(log->CheckUnfinishedLine(std::string(500, 'x')).code(), Code::kRecordTooLarge);
}

}  // namespace
}  // namespace topicfs::store
