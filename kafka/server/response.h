#pragma once
// A response as the server writes it: bytes and file slices in order,
// framed by the server with Kafka's int32 size. A file slice is sent with
// sendfile(2), so a Fetch's record batches go from the segment file to the
// socket without a copy through user space, as Kafka's FileRecords do.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace topicfs::kafka {

// `length` bytes of the open file `fd` from `offset`. `owner` keeps the
// descriptor open until the slice is sent (or dropped).
struct FileSlice {
  int fd = -1;
  off_t offset = 0;
  int64_t length = 0;
  std::shared_ptr<const void> owner;
};

struct Response {
  std::vector<std::variant<std::string, FileSlice>> parts;

  void AddBytes(std::string bytes) { parts.emplace_back(std::move(bytes)); }
  void AddSlice(FileSlice slice) { parts.emplace_back(std::move(slice)); }
  // The size the frame announces: every part's bytes.
  int64_t size() const;
};

}  // namespace topicfs::kafka
