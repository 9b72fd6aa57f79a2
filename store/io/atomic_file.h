#pragma once
// Crash-safe replacement of small files (configs, checkpoints): write
// <path>.tmp (cut to fit a file name), fsync it, rename over <path>, fsync the directory. A reader
// sees the old file or the new one, never a mix. With sync false the two
// fsyncs are left out, for a caller that syncs the filesystem afterwards.

#include <string>
#include <string_view>

#include "store/io/file_io.h"
#include "store/base/status.h"

namespace topicfs::store {

Status WriteFileAtomically(const std::string& path, std::string_view contents,
                           FileIo& io = FileIo::Default(), bool sync = true);
// fsync of a directory, so that a rename or create inside it is durable.
Status SyncDirectory(const std::string& dir, FileIo& io = FileIo::Default());
// Reads a whole small file. kNotFound when it does not exist.
Result<std::string> ReadSmallFile(const std::string& path, FileIo& io = FileIo::Default());
// Where WriteFileAtomically stages path: <path>.tmp, the name cut to fit
// NAME_MAX (a crash may leave it behind).
inline constexpr std::string_view kStagingSuffix = ".tmp";
std::string StagingPathFor(const std::string& path);
// The directory holding path ("." for a bare name).
std::string ParentDirectory(const std::string& path);

}  // namespace topicfs::store
