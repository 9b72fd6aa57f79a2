#pragma once
// How Log makes a record of one line, shared by log.cc's appends and
// log_line_check.cc's checks, so that a line is judged before it is appended
// by the very rules that judge it when it is. Internal to store/.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace topicfs::store::line_rules {

// The record a line becomes: split at the first key.separator into key and
// value; a line that is only key + separator is a tombstone (no value, and
// a header naming the separator so that it reads back as written).
struct LineRecord {
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  size_t headers_size = 0;  // encoded bytes of the header section
};
LineRecord DescribeLine(std::string_view line, std::string_view separator);

// At least the bytes the record adds to a batch: a record whose bound fits
// needs no exact size (Log's append validation does the same).
int64_t SizeBound(const LineRecord& record);

}  // namespace topicfs::store::line_rules
