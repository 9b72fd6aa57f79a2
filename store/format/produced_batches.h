#pragma once
// What a Kafka producer sent for one partition (a Produce request's
// records field: RecordBatch v2 batches back to back), checked as a Kafka
// broker checks it before anything is appended, and decoded into records.
// No wire protocol here: the caller hands over the field's bytes. The log
// re-encodes the records at their own offsets (Log::AppendProducedBatches).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/base/status.h"
#include "store/format/batch_header.h"
#include "store/format/codec.h"
#include "store/format/record_reader.h"

namespace topicfs::store {

// One batch of a produce, decoded. records point into `bytes` (the
// caller's buffer) or into *twin; both must outlive them.
struct ProducedBatch {
  BatchHeader header;  // as sent: producer id, epoch and base sequence included
  Codec codec = Codec::kNone;
  std::string_view bytes;  // the batch as sent
  std::unique_ptr<std::string> twin;  // the inflated records of a compressed batch
  std::vector<RecordView> records;
};

// Frames, checks and decodes every batch of `records`, stopping at the
// first that fails (so a caller appends all of them or none):
//   kUnsupported      magic 0/1 (or any other than 2), a control batch, a
//                     transactional batch (Kafka 4 brokers refuse the first;
//                     transactions are not supported)
//   kCorruption       (CORRUPT_MESSAGE) a truncated batch or a length that
//                     does not frame one, a CRC-32C that does not match,
//                     records that do not parse or inflate, a records count
//                     other than the records present, no batch at all
//   kInvalidArgument  (INVALID_RECORD) what Kafka's LogValidator refuses in
//                     an intact batch: no records, LastOffsetDelta other
//                     than records count - 1, offset deltas other than
//                     0, 1, 2, ...
// Messages say which batch (by its position in `records`) and why.
Status DecodeProducedBatches(std::string_view records, std::vector<ProducedBatch>* out);

}  // namespace topicfs::store
