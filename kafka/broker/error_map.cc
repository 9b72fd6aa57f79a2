#include "kafka/broker/error_map.h"

#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

int16_t KafkaErrorForAppend(const store::Status& status) {
  using store::Code;
  switch (status.code()) {
    case Code::kOk:
      return error::kNone;
    case Code::kCorruption:
      return error::kCorruptMessage;
    case Code::kRecordTooLarge:
      return error::kMessageTooLarge;
    case Code::kInvalidArgument:
      return error::kInvalidRecord;
    case Code::kUnsupported:
      return error::kUnsupportedForMessageFormat;
    case Code::kOutOfOrderSequence:
      return error::kOutOfOrderSequenceNumber;
    case Code::kInvalidProducerEpoch:
      return error::kInvalidProducerEpoch;
    case Code::kIoError:
    case Code::kFenced:
    case Code::kReadOnly:
      return error::kKafkaStorageError;
    default:
      return error::kUnknownServerError;
  }
}

int16_t KafkaErrorForRead(const store::Status& status) {
  if (status.ok()) return error::kNone;
  if (status.code() == store::Code::kOutOfRange) return error::kOffsetOutOfRange;
  return error::kKafkaStorageError;
}

}  // namespace topicfs::kafka
