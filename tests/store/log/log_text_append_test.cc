// Log::AppendText, the filesystem's append: it must write, byte for byte,
// what Log::Append writes for the same lines, whichever path it takes.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::ReadFile;
using testing::TempDir;

// The lines of pending + text, as AppendText reads them.
std::vector<std::string> SplitText(std::string_view pending, std::string_view text) {
  std::vector<std::string> lines;
  std::string line(pending);
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  return lines;
}

class LogTextAppendTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(const std::string& name, const LogConfig& config) {
    return testing::OpenTestLog(dir_ / name, config, &clock_);
  }

  static std::string SegmentBytes(const Log& log) {
    std::string all;
    for (const auto& s : log.Segments()) all += ReadFile(s->log_path());
    return all;
  }

  // Appends each (pending, text) write through AppendText to one log and as
  // lines through Append to another, then compares results and files.
  void ExpectSameAsAppend(const LogConfig& config,
                          const std::vector<std::pair<std::string, std::string>>& writes) {
    auto by_text = OpenLog("text-0", config);
    auto by_lines = OpenLog("lines-0", config);
    ASSERT_NE(by_text, nullptr);
    ASSERT_NE(by_lines, nullptr);
    for (const auto& [pending, text] : writes) {
      std::vector<std::string> lines = SplitText(pending, text);
      std::vector<std::string_view> views(lines.begin(), lines.end());
      auto a = by_text->AppendText(pending, text);
      auto b = by_lines->Append(views);
      ASSERT_EQ(a.ok(), b.ok()) << a.status().ToString() << " / " << b.status().ToString();
      if (!a.ok()) {
        EXPECT_EQ(a.status().code(), b.status().code());
        continue;
      }
      EXPECT_EQ(a->first_offset, b->first_offset);
      EXPECT_EQ(a->end_offset, b->end_offset);
      EXPECT_EQ(a->records, b->records);
      EXPECT_EQ(a->batches, b->batches);
      clock_.Advance(7);
    }
    EXPECT_EQ(by_text->log_end_offset(), by_lines->log_end_offset());
    EXPECT_EQ(by_text->Segments().size(), by_lines->Segments().size());
    EXPECT_EQ(SegmentBytes(*by_text), SegmentBytes(*by_lines));
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogTextAppendTest, OneBatchWritesTheBytesAppendWrites) {
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "line " + std::to_string(i) + "\n";
  ExpectSameAsAppend(LogConfig{}, {{"", "a\n"}, {"", "\n\n\n"}, {"", many}, {"", "x\ny\n"}});
}

// A write of more text than an uncompressed batch holds (64 KiB,
// Log::BatchTarget) becomes several batches, cut where Append cuts them,
// each at most one line past the target; a compressed topic keeps one.
TEST_F(LogTextAppendTest, TextPastTheBatchTargetIsCutAsAppendCutsIt) {
  std::string text;
  for (int i = 0; text.size() < 300'000; ++i) text += "a line of the bulk write number " + std::to_string(i) + "\n";
  ExpectSameAsAppend(LogConfig{}, {{"held", text}, {"", std::string(70'000, 'z') + "\n" + text}});

  auto log = OpenLog("cut-0", LogConfig{});
  auto appended = log->AppendText("", text);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  EXPECT_GE(appended->batches, 5);  // 300 KB of text, a few bytes more as records
  auto batches = log->Segments().front()->Batches();
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(static_cast<int64_t>(batches->size()), appended->batches);
  for (const auto& b : *batches) EXPECT_LE(b.size, 64 * 1024 + 100);

  LogConfig lz4;
  lz4.compression_type = CompressionType::kLz4;
  auto compressed = OpenLog("lz4-0", lz4);
  auto one = compressed->AppendText("", text);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->batches, 1);
}

TEST_F(LogTextAppendTest, PendingStartsTheFirstLine) {
  ExpectSameAsAppend(LogConfig{}, {{"par", "tial\nnext\n"}, {"only", "\n"}, {"p", "\n\n"}});
}

TEST_F(LogTextAppendTest, LongLinesNeedMultiByteLengths) {
  std::string text = std::string(70, 'a') + "\n" + std::string(9000, 'b') + "\n" +
                     std::string(300'000, 'c') + "\n";
  ExpectSameAsAppend(LogConfig{}, {{std::string(200, 'p'), text}});
}

TEST_F(LogTextAppendTest, TextOverTheBatchLimitIsSplitAsAppendSplitsIt) {
  LogConfig config;
  config.max_message_bytes = 1000;
  std::string text;
  for (int i = 0; i < 300; ++i) text += "value-" + std::to_string(i) + "\n";
  // Short lines whose records outgrow the text: near the limit either way.
  std::string near(900, '\n');
  ExpectSameAsAppend(config, {{"", text}, {"", near}, {"xy", text}});
}

TEST_F(LogTextAppendTest, KeyedAndCompactedTopicsGoTheGeneralWay) {
  LogConfig keyed;
  keyed.key_separator = ":";
  ExpectSameAsAppend(keyed, {{"", "k1:v1\nk2:\nnokey\n"}, {"k", "3:v3\n"}});
  LogConfig compacted = keyed;
  compacted.cleanup_compact = true;
  ExpectSameAsAppend(compacted, {{"", "k1:v1\nk2:v2\n"}, {"", "a:b\nnokey\n"}});
}

TEST_F(LogTextAppendTest, RollsAsAppendRolls) {
  LogConfig config;
  config.segment_bytes = 4096;
  config.segment_index_bytes = 4096;
  std::vector<std::pair<std::string, std::string>> writes;
  for (int i = 0; i < 40; ++i) writes.push_back({"", std::string(50, 'a' + i % 26) + "\n" + "end\n"});
  ExpectSameAsAppend(config, writes);
}

TEST_F(LogTextAppendTest, ALineOverTheLimitAppendsNothingOfTheWrite) {
  LogConfig config;
  config.max_message_bytes = 500;
  auto log = OpenLog("t-0", config);
  ASSERT_TRUE(log->AppendText("", "first\n").ok());
  const Offset end = log->log_end_offset();
  auto r = log->AppendText("", "short\n" + std::string(600, 'x') + "\nshort\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kRecordTooLarge);
  EXPECT_EQ(log->log_end_offset(), end);
}

TEST_F(LogTextAppendTest, TextMustEndWithANewline) {
  auto log = OpenLog("t-0", LogConfig{});
  EXPECT_EQ(log->AppendText("", "no newline").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->AppendText("x", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(log->log_end_offset(), Offset(0));
}

}  // namespace
}  // namespace topicfs::store
