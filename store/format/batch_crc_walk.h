#pragma once
// A batch's CRC-32C computed in pieces, front to back, as a read walks its
// records: each piece is checked right after the read copied it, while the
// bytes are still in the CPU's cache, instead of in a pass of its own over
// bytes that come from memory (bench/FS_BENCH.md, "Read checks"). The
// verdict is VerifyBatch's; what was copied counts only once it is given.
//
// Thread safety: none; one reader's walk of one batch.

#include <cstdint>
#include <string_view>

#include "store/base/status.h"

namespace topicfs::store {

class BatchCrcWalk {
 public:
  // `batch` is exactly one framed batch (LocateBatch said so).
  explicit BatchCrcWalk(std::string_view batch);

  // Extends the CRC over the batch's bytes up to `position` (from the batch
  // start, clamped to its end); positions already covered are not read again.
  void CoverTo(int64_t position);

  // Covers the rest of the batch; ok() when it is intact (VerifyBatch's
  // checks and message), kCorruption (or kUnsupported) otherwise.
  Status Finish();

 private:
  std::string_view batch_;
  int64_t covered_;  // the CRC so far is over [kAttributesPos, covered_)
  uint32_t crc_ = 0;
};

}  // namespace topicfs::store
