#pragma once
// The 128-bit digest the cleaner's key map stores in place of a key.
//
// Kafka's SkimpyOffsetMap stores the MD5 of each key: it needs a digest
// whose collisions are negligible, since two keys with one digest count as
// one key and the older record of either would be dropped. It does not need
// a cryptographic one: the digest never leaves memory, and the keys are the
// topic's own data, not an adversary's choice. A well-mixed 128-bit hash
// keeps the odds of any collision among n keys near n^2 / 2^129 (below
// 1e-26 for a million keys), like MD5, at a tenth of MD5's cost
// (docs/cleanup.md, "Key map").
//
// The construction is ours: two 64-bit lanes, each absorbing one 8-byte
// word of every 16-byte block with an odd multiply and a rotate, the lanes
// cross-fed after each block, then each lane finished with an xor-shift /
// multiply avalanche. The length seeds both lanes, so a key and the same key
// with trailing zero bytes differ. Not for anything crossing a trust
// boundary, and never written to disk: it may change between versions.

#include <cstdint>
#include <string_view>

namespace topicfs::store {

struct KeyHash {
  uint64_t hi = 0;  // the map's slot comes from these bits
  uint64_t lo = 0;
  friend bool operator==(const KeyHash&, const KeyHash&) = default;
};

// Never {0, 0}: the key map reads an all-zero slot as empty.
KeyHash HashKey(std::string_view key);

}  // namespace topicfs::store
