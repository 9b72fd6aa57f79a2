#include "fs/view_spec.h"

#include "fs/node_table.h"

#include <charconv>
#include <limits>

#include <fmt/format.h>

namespace topicfs::fs {
namespace {

using store::Status;

// A whole string of decimal digits that fits int64.
std::optional<int64_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.size() > 19 || s[0] < '0' || s[0] > '9') return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// Fixed-width digits at s[at, at + n).
std::optional<int> FixedDigits(std::string_view s, size_t at, size_t n) {
  if (at + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Days from 1970-01-01 to a proleptic Gregorian date (the civil-calendar
// arithmetic of the public-domain "days from civil" derivation).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

// "-30s", "-10m", "-2h", "-7d", "-500ms": milliseconds, or nullopt.
std::optional<int64_t> ParseRelative(std::string_view s) {
  if (s.size() < 3 || s[0] != '-') return std::nullopt;
  int64_t unit_ms = 0;
  std::string_view digits;
  if (s.ends_with("ms")) {
    unit_ms = 1;
    digits = s.substr(1, s.size() - 3);
  } else {
    switch (s.back()) {
      case 's': unit_ms = 1000; break;
      case 'm': unit_ms = 60'000; break;
      case 'h': unit_ms = 3'600'000; break;
      case 'd': unit_ms = 86'400'000; break;
      default: return std::nullopt;
    }
    digits = s.substr(1, s.size() - 2);
  }
  auto n = ParseDigits(digits);
  if (!n || *n > std::numeric_limits<int64_t>::max() / unit_ms) return std::nullopt;
  return *n * unit_ms;
}

}  // namespace

std::optional<int64_t> ParseIsoTime(std::string_view s) {
  // YYYY-MM-DDTHH:MM
  auto year = FixedDigits(s, 0, 4);
  auto month = FixedDigits(s, 5, 2);
  auto day = FixedDigits(s, 8, 2);
  auto hour = FixedDigits(s, 11, 2);
  auto minute = FixedDigits(s, 14, 2);
  if (!year || !month || !day || !hour || !minute || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't') || s[13] != ':') {
    return std::nullopt;
  }
  if (*month < 1 || *month > 12 || *day < 1 || *day > DaysInMonth(*year, *month) || *hour > 23 ||
      *minute > 59) {
    return std::nullopt;
  }
  size_t at = 16;
  int second = 0;
  int64_t millis = 0;
  if (at < s.size() && s[at] == ':') {
    auto sec = FixedDigits(s, at + 1, 2);
    if (!sec || *sec > 60) return std::nullopt;  // 60: a leap second, read as :59 + 1 s
    second = *sec;
    at += 3;
    if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
      size_t digits = 0;
      int64_t scale = 100;
      for (++at; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, ++digits) {
        millis += (s[at] - '0') * scale;  // digits past milliseconds are dropped
        scale /= 10;
      }
      if (digits == 0) return std::nullopt;
    }
  }
  // The zone is required: a time without one would mean the daemon's zone.
  int64_t zone_ms = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    const int sign = s[at] == '+' ? 1 : -1;
    auto zh = FixedDigits(s, at + 1, 2);
    size_t minutes_at = at + 3 < s.size() && s[at + 3] == ':' ? at + 4 : at + 3;
    auto zm = FixedDigits(s, minutes_at, 2);
    if (!zh || !zm || *zh > 23 || *zm > 59) return std::nullopt;
    zone_ms = sign * (*zh * 3'600'000LL + *zm * 60'000LL);
    at = minutes_at + 2;
  } else {
    return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;
  const int64_t days = DaysFromCivil(*year, *month, *day);
  const int64_t local_ms =
      ((days * 24 + *hour) * 60 + *minute) * 60'000 + second * 1000LL + millis;
  return local_ms - zone_ms;
}

store::Status CheckGroupName(std::string_view group) {
  if (group.empty()) return Status::InvalidArgument("group= needs a group name");
  // ".." separates a view's bounds, ',' its options, '/' path components.
  for (std::string_view bad : {"..", ",", "/"}) {
    if (group.find(bad) != std::string_view::npos) {
      return Status::InvalidArgument(fmt::format(
          "group name '{}' contains '{}', which a view name cannot hold in a group's name", group, bad));
    }
  }
  return Status::Ok();
}

store::Result<ViewBound> ParseViewBound(std::string_view s, int64_t now_ms) {
  using Kind = ViewBound::Kind;
  if (s.empty()) return Status::InvalidArgument("empty position");
  if (s == "end") return ViewBound{Kind::kEnd, 0, {}};
  if (s.starts_with("group=")) {
    std::string_view group = s.substr(6);
    int64_t max_records = 0;
    if (const size_t comma = group.find(','); comma != std::string_view::npos) {
      const std::string_view option = group.substr(comma + 1);
      auto n = option.starts_with("max=") ? ParseDigits(option.substr(4)) : std::nullopt;
      if (!n || *n < 1) {
        return Status::InvalidArgument(fmt::format(
            "'{}' after group={}, is not max=N (N >= 1, the records to return and commit)", option,
            group.substr(0, comma)));
      }
      max_records = *n;
      group = group.substr(0, comma);
    }
    RETURN_IF_ERROR(CheckGroupName(group));
    return ViewBound{Kind::kGroup, 0, std::string(group), max_records};
  }
  if (auto offset = ParseDigits(s)) return ViewBound{Kind::kOffset, *offset, {}};
  if (s.ends_with("ms")) {
    if (auto ms = ParseDigits(s.substr(0, s.size() - 2))) return ViewBound{Kind::kTime, *ms, {}};
  }
  if (s[0] == '-') {
    if (auto n = ParseDigits(s.substr(1))) {
      if (*n == 0) return Status::InvalidArgument("-0: the last N records needs N >= 1");
      return ViewBound{Kind::kLastRecords, *n, {}};
    }
    if (auto ago = ParseRelative(s)) return ViewBound{Kind::kTime, now_ms - *ago, {}};
    return Status::InvalidArgument(fmt::format(
        "'{}' is neither the last N records (-100) nor a time ago (-30s, -10m, -2h, -7d)", s));
  }
  if (auto t = ParseIsoTime(s)) return ViewBound{Kind::kTime, *t, {}};
  if (s.size() >= 10 && s[4] == '-') {
    return Status::InvalidArgument(fmt::format(
        "'{}' is not an ISO-8601 time with a zone, such as 2026-11-25T10:00:00Z", s));
  }
  return Status::InvalidArgument(fmt::format(
      "'{}' is not an offset, -N, a time, <epoch>ms, -30s/-10m/-2h/-7d, end or group=<name>", s));
}

store::Result<ViewSpec> ParseViewName(std::string_view name, int64_t now_ms) {
  const size_t at = name.find('@');
  if (at == std::string_view::npos) return Status::InvalidArgument("a view name needs '@'");
  ViewSpec spec;
  std::string_view partition = name.substr(0, at);
  auto p = ParsePartitionName(partition);
  if (!p) {
    return Status::InvalidArgument(fmt::format("'{}' before '@' is not a partition number", partition));
  }
  spec.partition = *p;
  std::string_view rest = name.substr(at + 1);
  std::string_view from_text = rest;
  std::string_view to_text;
  const size_t dots = rest.find("..");
  if (dots != std::string_view::npos) {
    from_text = rest.substr(0, dots);
    to_text = rest.substr(dots + 2);
    spec.follow = to_text.empty();
  }
  ASSIGN_OR_RETURN(spec.from, ParseViewBound(from_text, now_ms));
  if (!to_text.empty()) {
    ASSIGN_OR_RETURN(ViewBound to, ParseViewBound(to_text, now_ms));
    if (to.kind == ViewBound::Kind::kGroup) {
      return Status::InvalidArgument("group=<name> can only start a view, not end it");
    }
    spec.to = std::move(to);
  }
  return spec;
}

}  // namespace topicfs::fs
