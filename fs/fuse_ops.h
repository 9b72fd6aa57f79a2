#pragma once
// The libfuse low-level operations table. Userdata must be a Filesystem*.

#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>

namespace topicfs::fs {

const fuse_lowlevel_ops& FuseOps();

}  // namespace topicfs::fs
