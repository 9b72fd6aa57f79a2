#pragma once
// The grammar of view names, `<partition>@<from>[..[<to>]]` (docs/contract.md, "Views"):
//
//   bound  := offset        1234              a position in the partition
//           | -N            -100              the last N records
//           | iso-time      2026-11-25T10:00:00Z, ...T10:00:00.250+01:00
//           | epoch ms      1764064800000ms
//           | relative      -30s -10m -2h -7d (also -500ms)
//           | end                             the log end at lookup
//           | group=<name>[,max=N]            only as <from>; max=N: at most N records
//   view   := partition "@" bound [ ".." [ bound ] ]
//
// `..` with nothing after it follows: reads at the end wait for data.
// Relative times are fixed against `now_ms` when the name is parsed, so a
// view names the same range for as long as it is open. Group names may not
// contain "..", which separates the bounds, ',' or '/'.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/base/status.h"

namespace topicfs::fs {

struct ViewBound {
  enum class Kind { kOffset, kLastRecords, kTime, kEnd, kGroup };
  Kind kind = Kind::kEnd;
  int64_t value = 0;  // the offset, the record count, or epoch milliseconds
  std::string group;  // kGroup only
  // kGroup only: `group=<name>,max=N` returns (and so commits) at most N
  // records; 0 is no limit.
  int64_t max_records = 0;

  bool operator==(const ViewBound&) const = default;
};

struct ViewSpec {
  int32_t partition = 0;
  ViewBound from;
  std::optional<ViewBound> to;
  bool follow = false;  // "<from>..": never ends

  bool operator==(const ViewSpec&) const = default;
};

// Whether a name in a topic directory asks for a view (contains '@').
inline bool IsViewName(std::string_view name) { return name.find('@') != std::string_view::npos; }

// Parses a view name. kInvalidArgument says what is wrong with it.
store::Result<ViewSpec> ParseViewName(std::string_view name, int64_t now_ms);

// A group name a view can name: not empty, without "..", ',' or '/'.
// kInvalidArgument says which.
store::Status CheckGroupName(std::string_view group);

// Parses one bound (exposed for the group xattr, which takes an offset,
// `end` or a time). kInvalidArgument says what is wrong.
store::Result<ViewBound> ParseViewBound(std::string_view text, int64_t now_ms);

// "2026-11-25T10:00:00[.fff](Z|+hh:mm|-hh:mm|+hhmm)" to epoch ms; minutes
// without seconds are accepted too. nullopt when malformed.
std::optional<int64_t> ParseIsoTime(std::string_view text);

}  // namespace topicfs::fs
