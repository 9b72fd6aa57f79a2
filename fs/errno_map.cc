#include "fs/errno_map.h"

#include <cerrno>

namespace topicfs::fs {

int ToErrno(const store::Status& status) {
  using store::Code;
  switch (status.code()) {
    case Code::kOk:
      return 0;
    case Code::kIoError:
      return status.sys_errno() != 0 ? status.sys_errno() : EIO;
    case Code::kCorruption:
      return EIO;
    case Code::kInvalidArgument:
      return EINVAL;
    case Code::kNotFound:
      return ENOENT;
    case Code::kAlreadyExists:
      return EEXIST;
    case Code::kRecordTooLarge:
      return EMSGSIZE;
    case Code::kUnsupported:
      return EOPNOTSUPP;
    case Code::kFenced:
      return EIO;
    case Code::kBusy:
      return EBUSY;
    case Code::kOutOfRange:
      return ERANGE;
    case Code::kReadOnly:
      return EROFS;
    case Code::kOutOfOrderSequence:  // only Kafka producers send sequences
    case Code::kInvalidProducerEpoch:
      return EINVAL;
  }
  return EIO;
}

}  // namespace topicfs::fs
