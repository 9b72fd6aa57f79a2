#pragma once
// Store errors as Kafka error codes: the one place where a store Status
// becomes what a Kafka client is told (as fs/errno_map.cc does for errno).

#include <cstdint>

#include "store/base/status.h"

namespace topicfs::kafka {

// For a Produce's partition: a damaged batch CORRUPT_MESSAGE, a record or
// batch too large MESSAGE_TOO_LARGE, a record the topic refuses (a keyless
// one on a compacted topic) INVALID_RECORD, magic 0/1
// UNSUPPORTED_FOR_MESSAGE_FORMAT, an idempotent producer's sequence out of
// turn OUT_OF_ORDER_SEQUENCE_NUMBER and its fenced older epoch
// INVALID_PRODUCER_EPOCH, a partition that cannot write KAFKA_STORAGE_ERROR.
int16_t KafkaErrorForAppend(const store::Status& status);
// For a read (Fetch, ListOffsets): out of range OFFSET_OUT_OF_RANGE, else
// KAFKA_STORAGE_ERROR.
int16_t KafkaErrorForRead(const store::Status& status);

}  // namespace topicfs::kafka
