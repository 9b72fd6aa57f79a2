#pragma once
// CRC-32C (Castagnoli), as Kafka's RecordBatch v2 uses it. SSE4.2's crc32
// instruction when the CPU has it, a slicing-by-8 table otherwise.

#include <cstddef>
#include <cstdint>

namespace topicfs::store::crc32c {

// Extends crc (the value returned for the bytes before) over n more bytes.
// Value(data, n) == Extend(0, data, n).
uint32_t Extend(uint32_t crc, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }

// The portable path, exposed so tests can check both paths agree.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);
bool HardwareAvailable();

}  // namespace topicfs::store::crc32c
