#include "kafka/server/response.h"

namespace topicfs::kafka {

int64_t Response::size() const {
  int64_t n = 0;
  for (const auto& part : parts) {
    if (const auto* bytes = std::get_if<std::string>(&part)) {
      n += static_cast<int64_t>(bytes->size());
    } else {
      n += std::get<FileSlice>(part).length;
    }
  }
  return n;
}

}  // namespace topicfs::kafka
