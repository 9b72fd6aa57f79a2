#pragma once
// How a stored record appears in the partition file (docs/format.md, "One
// coordinate"): its value followed by "\n". A line split by key.separator
// (stored as Kafka's console producer stores it: key, value) carries the
// separator in a `topicfs.sep` header and presents as key + separator +
// value + "\n" (a tombstone, null value: key + separator + "\n"), so what
// is read is what was written. A record's presented size is how far it
// advances the log end offset; it depends on the record's bytes alone,
// never on the topic's config.

#include <cstdint>
#include <cstring>

#include "store/base/format.h"
#include "store/format/record_reader.h"

namespace topicfs::store {

// A record presented as key + separator + value + "\n" (a null key or
// value counts 0): one with a topicfs.sep header of separator_size bytes.
inline int64_t KeyedPresentedSize(const RecordView& r, size_t separator_size) {
  const int64_t key = r.key ? static_cast<int64_t>(r.key->size()) : 0;
  const int64_t value = r.value ? static_cast<int64_t>(r.value->size()) : 0;
  return key + static_cast<int64_t>(separator_size) + value + 1;
}

inline int64_t PresentedSize(const RecordView& r) {
  const int64_t value = r.value ? static_cast<int64_t>(r.value->size()) : 0;
  if (r.value && r.header_count == 0) return value + 1;
  auto sep = r.FindHeader(format::kSeparatorHeader);
  // A value without the header presents alone (a record of a Kafka
  // producer, or a keyed line topicfs stored before it split lines).
  if (r.value && !sep) return value + 1;
  return KeyedPresentedSize(r, sep ? sep->size() : 0);
}

// Copies the presented bytes [skip, skip + n) of r to out. REQUIRES: skip + n
// <= PresentedSize(r).
void CopyPresentedPart(const RecordView& r, int64_t skip, int64_t n, char* out);
// The same, with the case of a sequential read inline: a whole record with a value.
inline void CopyPresented(const RecordView& r, int64_t skip, int64_t n, char* out) {
  if (r.value && r.header_count == 0 && skip == 0 && n == static_cast<int64_t>(r.value->size()) + 1) {
    std::memcpy(out, r.value->data(), r.value->size());
    out[r.value->size()] = '\n';
    return;
  }
  CopyPresentedPart(r, skip, n, out);
}

}  // namespace topicfs::store
