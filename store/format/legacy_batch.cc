#include "store/format/legacy_batch.h"

#include <array>
#include <cstdint>

#include "store/base/big_endian.h"
#include "store/base/format.h"

namespace topicfs::store {
namespace {

// Plain CRC-32 (IEEE 802.3, reflected 0xEDB88320), the legacy format's checksum.
uint32_t Crc32Ieee(const char* p, size_t n) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ static_cast<uint8_t>(p[i])) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

}  // namespace

bool IsValidLegacyEntry(std::string_view entry) {
  // offset(8) size(4) crc(4) magic(1) attributes(1) ...
  if (entry.size() < static_cast<size_t>(format::kLogOverhead + format::kMinLegacyEntrySize)) {
    return false;
  }
  int32_t size = be::Load<int32_t>(entry.data() + format::kLengthPos);
  if (size < format::kMinLegacyEntrySize || entry.size() != static_cast<size_t>(size) + 12) return false;
  int8_t magic = static_cast<int8_t>(entry[format::kMagicPos]);
  if (magic != 0 && magic != 1) return false;
  uint32_t stored = be::Load<uint32_t>(entry.data() + 12);
  return Crc32Ieee(entry.data() + format::kMagicPos, entry.size() - format::kMagicPos) == stored;
}

}  // namespace topicfs::store
