#include "store/format/presented_record.h"

#include <algorithm>

namespace topicfs::store {
namespace {

// Copies the part of `piece` (placed at [piece_start, ...) in the presented
// bytes) that falls inside the window [skip, skip + n) to out.
void CopyPiece(std::string_view piece, int64_t piece_start, int64_t skip, int64_t n, char* out) {
  int64_t from = std::max<int64_t>(skip, piece_start);
  int64_t to = std::min<int64_t>(skip + n, piece_start + static_cast<int64_t>(piece.size()));
  if (from >= to) return;
  std::memcpy(out + (from - skip), piece.data() + (from - piece_start), static_cast<size_t>(to - from));
}

}  // namespace

void CopyPresentedPart(const RecordView& r, int64_t skip, int64_t n, char* out) {
  if (n <= 0) return;
  std::optional<std::string_view> sep = r.FindHeader(format::kSeparatorHeader);
  if (r.value && !sep) {
    int64_t vsize = static_cast<int64_t>(r.value->size());
    int64_t from_value = std::max<int64_t>(0, std::min(n, vsize - skip));
    if (from_value > 0) std::memcpy(out, r.value->data() + skip, static_cast<size_t>(from_value));
    if (skip + n > vsize) out[vsize - skip] = '\n';
    return;
  }
  std::string_view key = r.key.value_or(std::string_view());
  std::string_view separator = sep.value_or(std::string_view());
  std::string_view value = r.value.value_or(std::string_view());
  CopyPiece(key, 0, skip, n, out);
  CopyPiece(separator, static_cast<int64_t>(key.size()), skip, n, out);
  CopyPiece(value, static_cast<int64_t>(key.size() + separator.size()), skip, n, out);
  CopyPiece("\n", static_cast<int64_t>(key.size() + separator.size() + value.size()), skip, n, out);
}

}  // namespace topicfs::store
