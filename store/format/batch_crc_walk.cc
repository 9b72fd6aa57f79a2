#include "store/format/batch_crc_walk.h"

#include <algorithm>

#include "store/base/crc32c.h"
#include "store/base/format.h"
#include "store/format/batch_header.h"

namespace topicfs::store {

BatchCrcWalk::BatchCrcWalk(std::string_view batch)
    : batch_(batch), covered_(format::kAttributesPos) {}

void BatchCrcWalk::CoverTo(int64_t position) {
  const int64_t to = std::min(position, static_cast<int64_t>(batch_.size()));
  if (to <= covered_) return;
  crc_ = crc32c::Extend(crc_, batch_.data() + covered_, static_cast<size_t>(to - covered_));
  covered_ = to;
}

Status BatchCrcWalk::Finish() {
  // Framing, magic, codec and size first, as VerifyBatch checks them: a
  // batch shorter than its header has no CRC to compare.
  auto header = ParseBatchHeader(batch_);
  if (!header.ok()) return header.status();
  if (static_cast<uint64_t>(header->size()) != batch_.size()) {
    return Status::Corruption(fmt::format("batch at offset {} declares {} bytes but {} are present",
                                          header->base_offset, header->size(), batch_.size()));
  }
  CoverTo(static_cast<int64_t>(batch_.size()));
  if (crc_ != header->crc) {
    return Status::Corruption(fmt::format("batch at offset {}: CRC-32C {:#010x}, stored {:#010x}",
                                          header->base_offset, crc_, header->crc));
  }
  return Status::Ok();
}

}  // namespace topicfs::store
