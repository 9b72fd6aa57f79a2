#pragma once
// How a stored record appears in the partition file (docs/format.md, "One
// coordinate"): its value followed by "\n". A tombstone (null value) written
// as "key<separator>" carries the separator in a `topicfs.sep` header and
// presents as key + separator + "\n", so what is read is what was written.
// A record's presented size is how far it advances the log end offset.

#include <cstdint>
#include <cstring>

#include "store/base/format.h"
#include "store/format/record_reader.h"

namespace topicfs::store {

inline int64_t PresentedSize(const RecordView& r) {
  if (r.value) return static_cast<int64_t>(r.value->size()) + 1;
  int64_t size = 1 + (r.key ? static_cast<int64_t>(r.key->size()) : 0);
  if (auto sep = r.FindHeader(format::kSeparatorHeader)) size += static_cast<int64_t>(sep->size());
  return size;
}

// Copies the presented bytes [skip, skip + n) of r to out. REQUIRES: skip + n
// <= PresentedSize(r).
void CopyPresentedPart(const RecordView& r, int64_t skip, int64_t n, char* out);
// The same, with the case of a sequential read inline: a whole record with a value.
inline void CopyPresented(const RecordView& r, int64_t skip, int64_t n, char* out) {
  if (r.value && skip == 0 && n == static_cast<int64_t>(r.value->size()) + 1) {
    std::memcpy(out, r.value->data(), r.value->size());
    out[r.value->size()] = '\n';
    return;
  }
  CopyPresentedPart(r, skip, n, out);
}

}  // namespace topicfs::store
