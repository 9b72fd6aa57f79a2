#include "store/format/producer_snapshot.h"

#include "store/base/big_endian.h"
#include "store/base/crc32c.h"

namespace topicfs::store {
namespace {

constexpr size_t kCrcAt = 2;
constexpr size_t kCountAt = 6;  // the CRC covers from here to the end


}  // namespace

std::string EncodeProducerSnapshot(std::span<const ProducerSnapshotEntry> entries) {
  std::string out;
  out.reserve(kProducerSnapshotHeaderSize + entries.size() * kProducerSnapshotEntrySize);
  be::Append<int16_t>(&out, kProducerSnapshotVersion);
  be::Append<uint32_t>(&out, 0);  // the CRC, once the rest is written
  be::Append<int32_t>(&out, static_cast<int32_t>(entries.size()));
  for (const ProducerSnapshotEntry& e : entries) {
    be::Append<int64_t>(&out, e.producer_id);
    be::Append<int16_t>(&out, e.producer_epoch);
    be::Append<int32_t>(&out, e.last_sequence);
    be::Append<int64_t>(&out, e.last_offset);
    be::Append<int32_t>(&out, e.offset_delta);
    be::Append<int64_t>(&out, e.timestamp);
    be::Append<int32_t>(&out, e.coordinator_epoch);
    be::Append<int64_t>(&out, e.current_txn_first_offset);
  }
  be::Store<uint32_t>(out.data() + kCrcAt, crc32c::Value(out.data() + kCountAt, out.size() - kCountAt));
  return out;
}

Result<std::vector<ProducerSnapshotEntry>> DecodeProducerSnapshot(std::string_view bytes) {
  if (bytes.size() < kProducerSnapshotHeaderSize) {
    return Status::Corruption(fmt::format("{} bytes are too few for a producer snapshot", bytes.size()));
  }
  const int16_t version = be::Load<int16_t>(bytes.data());
  if (version != kProducerSnapshotVersion) {
    return Status::Corruption(fmt::format("producer snapshot version {}, not {}", version,
                                          kProducerSnapshotVersion));
  }
  const uint32_t stored = be::Load<uint32_t>(bytes.data() + kCrcAt);
  const uint32_t computed = crc32c::Value(bytes.data() + kCountAt, bytes.size() - kCountAt);
  if (stored != computed) {
    return Status::Corruption(fmt::format("producer snapshot CRC-32C {:#010x} does not match its bytes ({:#010x})",
                                          stored, computed));
  }
  const int32_t count = be::Load<int32_t>(bytes.data() + kCountAt);
  if (count < 0 || bytes.size() != kProducerSnapshotHeaderSize + size_t(count) * kProducerSnapshotEntrySize) {
    return Status::Corruption(
        fmt::format("producer snapshot of {} bytes cannot hold {} entries", bytes.size(), count));
  }
  std::vector<ProducerSnapshotEntry> entries(static_cast<size_t>(count));
  const char* p = bytes.data() + kProducerSnapshotHeaderSize;
  for (ProducerSnapshotEntry& e : entries) {
    e.producer_id = be::Load<int64_t>(p);
    e.producer_epoch = be::Load<int16_t>(p + 8);
    e.last_sequence = be::Load<int32_t>(p + 10);
    e.last_offset = be::Load<int64_t>(p + 14);
    e.offset_delta = be::Load<int32_t>(p + 22);
    e.timestamp = be::Load<int64_t>(p + 26);
    e.coordinator_epoch = be::Load<int32_t>(p + 34);
    e.current_txn_first_offset = be::Load<int64_t>(p + 38);
    p += kProducerSnapshotEntrySize;
  }
  return entries;
}

}  // namespace topicfs::store
