#pragma once
// Data directories written before topicfs's own files moved to the root
// kept them in a .topicfs/ folder, which a Kafka broker refuses to start on
// (it takes every directory for a partition). Opening such a directory
// moves them (docs/format.md, "Data directory").

#include <string>

#include "store/base/status.h"
#include "store/io/file_io.h"

namespace topicfs::store {

// Copies .topicfs/defaults.properties to the root's defaults file, every
// .topicfs/topics/<topic>/config.properties to <topic>.conf and every
// committed deletion (~<id>.deleting/deleting) to a root ~<id>.deleting,
// each byte for byte (a damaged config stays damaged, to be reported as
// before), then removes .topicfs/. A file already at the root is kept: a
// crash part way leaves the copies made so far complete (each is written
// atomically), and the next open carries on. Sets *moved when there was a
// folder to move.
Status MoveConfigsOutOfOldMetaDir(const std::string& data_dir, FileIo& io, bool* moved);

}  // namespace topicfs::store
