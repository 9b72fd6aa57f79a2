// The view-name grammar: every form of <from> and <to>, and the errors.

#include "fs/view_spec.h"

#include <gtest/gtest.h>

namespace topicfs::fs {
namespace {

using Kind = ViewBound::Kind;
constexpr int64_t kNow = 1'764'064'800'000;  // 2025-11-25T10:00:00Z

ViewSpec Parse(std::string_view name) {
  auto r = ParseViewName(name, kNow);
  EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  return r.ok() ? *r : ViewSpec{};
}

std::string Error(std::string_view name) {
  auto r = ParseViewName(name, kNow);
  EXPECT_FALSE(r.ok()) << name << " parsed";
  return r.status().message();
}

TEST(ViewSpecTest, OffsetFromOnly) {
  ViewSpec v = Parse("0@1234");
  EXPECT_EQ(v.partition, 0);
  EXPECT_EQ(v.from, (ViewBound{Kind::kOffset, 1234, {}}));
  EXPECT_FALSE(v.to.has_value());
  EXPECT_FALSE(v.follow);
}

TEST(ViewSpecTest, LastRecords) {
  ViewSpec v = Parse("3@-100");
  EXPECT_EQ(v.partition, 3);
  EXPECT_EQ(v.from, (ViewBound{Kind::kLastRecords, 100, {}}));
}

TEST(ViewSpecTest, RelativeTimes) {
  EXPECT_EQ(Parse("0@-30s").from, (ViewBound{Kind::kTime, kNow - 30'000, {}}));
  EXPECT_EQ(Parse("0@-10m").from, (ViewBound{Kind::kTime, kNow - 600'000, {}}));
  EXPECT_EQ(Parse("0@-2h").from, (ViewBound{Kind::kTime, kNow - 7'200'000, {}}));
  EXPECT_EQ(Parse("0@-7d").from, (ViewBound{Kind::kTime, kNow - 7 * 86'400'000LL, {}}));
  EXPECT_EQ(Parse("0@-500ms").from, (ViewBound{Kind::kTime, kNow - 500, {}}));
}

TEST(ViewSpecTest, EpochMilliseconds) {
  EXPECT_EQ(Parse("0@1764064800000ms").from, (ViewBound{Kind::kTime, 1'764'064'800'000, {}}));
}

TEST(ViewSpecTest, IsoTimes) {
  EXPECT_EQ(ParseIsoTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIsoTime("2025-11-25T10:00:00Z"), 1'764'064'800'000);
  EXPECT_EQ(ParseIsoTime("2025-11-25T10:00Z"), 1'764'064'800'000);
  EXPECT_EQ(ParseIsoTime("2025-11-25T11:00:00+01:00"), 1'764'064'800'000);
  EXPECT_EQ(ParseIsoTime("2025-11-25T05:30:00-0430"), 1'764'064'800'000);
  EXPECT_EQ(ParseIsoTime("2025-11-25T10:00:00.25Z"), 1'764'064'800'250);
  EXPECT_EQ(ParseIsoTime("2025-11-25T10:00:00.123456Z"), 1'764'064'800'123);
  EXPECT_EQ(ParseIsoTime("2024-02-29T00:00:00Z"), 1'709'164'800'000);
  EXPECT_EQ(ParseIsoTime("1969-12-31T23:59:59Z"), -1000);
  // No zone, bad calendar dates, bad fields, trailing text.
  EXPECT_EQ(ParseIsoTime("2025-11-25T10:00:00"), std::nullopt);
  EXPECT_EQ(ParseIsoTime("2025-02-29T10:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseIsoTime("2025-13-01T10:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseIsoTime("2025-11-25T24:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseIsoTime("2025-11-25T10:00:00.Z"), std::nullopt);
  EXPECT_EQ(ParseIsoTime("2025-11-25T10:00:00Zx"), std::nullopt);
  EXPECT_EQ(ParseIsoTime("2025-11-25 10:00:00Z"), std::nullopt);
}

TEST(ViewSpecTest, TimeRange) {
  ViewSpec v = Parse("0@2025-11-25T10:00:00Z..2025-11-25T11:00:00Z");
  EXPECT_EQ(v.from, (ViewBound{Kind::kTime, 1'764'064'800'000, {}}));
  ASSERT_TRUE(v.to.has_value());
  EXPECT_EQ(*v.to, (ViewBound{Kind::kTime, 1'764'068'400'000, {}}));
  EXPECT_FALSE(v.follow);
}

TEST(ViewSpecTest, FractionalIsoTimeIsNotARange) {
  ViewSpec v = Parse("0@2025-11-25T10:00:00.5Z..end");
  EXPECT_EQ(v.from.value, 1'764'064'800'500);
  EXPECT_EQ(v.to->kind, Kind::kEnd);
}

TEST(ViewSpecTest, FollowFromEnd) {
  ViewSpec v = Parse("0@end..");
  EXPECT_EQ(v.from.kind, Kind::kEnd);
  EXPECT_FALSE(v.to.has_value());
  EXPECT_TRUE(v.follow);
}

TEST(ViewSpecTest, OffsetRangeAndLastRecordsRange) {
  ViewSpec v = Parse("1@100..200");
  EXPECT_EQ(v.from, (ViewBound{Kind::kOffset, 100, {}}));
  EXPECT_EQ(*v.to, (ViewBound{Kind::kOffset, 200, {}}));
  v = Parse("1@-10..-5");
  EXPECT_EQ(v.from, (ViewBound{Kind::kLastRecords, 10, {}}));
  EXPECT_EQ(*v.to, (ViewBound{Kind::kLastRecords, 5, {}}));
}

TEST(ViewSpecTest, Groups) {
  ViewSpec v = Parse("0@group=billing");
  EXPECT_EQ(v.from, (ViewBound{Kind::kGroup, 0, "billing"}));
  EXPECT_FALSE(v.follow);
  v = Parse("0@group=billing..");
  EXPECT_TRUE(v.follow);
  EXPECT_EQ(v.from.group, "billing");
}

TEST(ViewSpecTest, GroupWithMaxRecords) {
  ViewSpec v = Parse("0@group=billing,max=5");
  EXPECT_EQ(v.from, (ViewBound{Kind::kGroup, 0, "billing", 5}));
  v = Parse("0@group=b,max=1..");
  EXPECT_TRUE(v.follow);
  EXPECT_EQ(v.from.max_records, 1);
  for (const char* bad : {"0@group=b,max=0", "0@group=b,max=", "0@group=b,mx=5", "0@group=b,max=5x",
                          "0@group=b,", "0@group=,max=5"}) {
    EXPECT_FALSE(Error(bad).empty()) << bad;
  }
  EXPECT_NE(Error("0@group=b,max=0").find("max=N"), std::string::npos);
}

TEST(ViewSpecTest, GroupNamesAViewCanHold) {
  EXPECT_TRUE(CheckGroupName("billing-2.x_y").ok());
  for (const char* bad : {"", "a..b", "..", "a,b", "a/b"}) {
    EXPECT_EQ(CheckGroupName(bad).code(), store::Code::kInvalidArgument) << bad;
  }
}

TEST(ViewSpecTest, Errors) {
  EXPECT_NE(Error("0@").find("empty"), std::string::npos);
  EXPECT_NE(Error("x@0").find("partition"), std::string::npos);
  EXPECT_NE(Error("01@0").find("partition"), std::string::npos);
  EXPECT_NE(Error("0@soon").find("not an offset"), std::string::npos);
  EXPECT_NE(Error("0@-0").find("N >= 1"), std::string::npos);
  EXPECT_NE(Error("0@-10y").find("time ago"), std::string::npos);
  EXPECT_NE(Error("0@2025-11-25T10:00:00").find("ISO-8601"), std::string::npos);
  EXPECT_NE(Error("0@group=").find("group name"), std::string::npos);
  EXPECT_NE(Error("0@0..group=g").find("only start"), std::string::npos);
  EXPECT_NE(Error("0@0..soon").find("not an offset"), std::string::npos);
  EXPECT_NE(Error("0@99999999999999999999").find("not an offset"), std::string::npos);
}

}  // namespace
}  // namespace topicfs::fs
