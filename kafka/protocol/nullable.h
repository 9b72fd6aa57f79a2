#pragma once
// An owned nullable string as the view ByteWriter::NullableString takes.

#include <optional>
#include <string>
#include <string_view>

namespace topicfs::kafka {

inline std::optional<std::string_view> AsView(const std::optional<std::string>& s) {
  return s ? std::optional<std::string_view>(*s) : std::nullopt;
}

}  // namespace topicfs::kafka
