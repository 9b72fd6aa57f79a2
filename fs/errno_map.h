#pragma once
// The one place where store errors become FUSE errnos.

#include "store/base/status.h"

namespace topicfs::fs {

// The errno a FUSE reply should carry for a failed store call: the OS's own
// errno where there was one (ENOSPC, EIO, ...), otherwise one per Code.
// REQUIRES: !status.ok().
int ToErrno(const store::Status& status);

}  // namespace topicfs::fs
