#include "store/manager/layout_migration.h"

#include <sys/stat.h>
#include <unistd.h>

#include "store/base/format.h"
#include "store/format/file_names.h"
#include "store/format/topic_name.h"
#include "store/io/atomic_file.h"

namespace topicfs::store {
namespace {

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// `from` copied to `to` unless `to` exists or `from` does not.
Status CopyIfAbsent(const std::string& from, const std::string& to, FileIo& io) {
  if (Exists(to) || !Exists(from)) return Status::Ok();
  ASSIGN_OR_RETURN(std::string contents, ReadSmallFile(from, io));
  return WriteFileAtomically(to, contents, io);
}

}  // namespace

Status MoveConfigsOutOfOldMetaDir(const std::string& data_dir, FileIo& io, bool* moved) {
  *moved = false;
  const std::string old_dir = data_dir + "/" + std::string(kOldMetaDir);
  struct stat st {};
  if (::stat(old_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return Status::Ok();
  *moved = true;

  RETURN_IF_ERROR(CopyIfAbsent(data_dir + "/" + std::string(kOldDefaultsFile),
                               data_dir + "/" + std::string(kDefaultsFile), io));
  const std::string topics_dir = data_dir + "/" + std::string(kOldTopicsDir);
  if (Exists(topics_dir)) {
    ASSIGN_OR_RETURN(auto names, io.List(topics_dir));
    for (const auto& name : names) {
      const std::string dir = topics_dir + "/" + name;
      if (IsDeletingMarkerName(name)) {
        // The old commit point of a deletion: the renamed directory, its
        // marker naming the topic. The root marker of the same name is
        // the new one; the next steps of the open finish the deletion.
        RETURN_IF_ERROR(CopyIfAbsent(dir + "/" + std::string(kOldDeletingMarker), data_dir + "/" + name, io));
      } else if (ValidateTopicName(name).ok()) {
        // A marker inside a topic's own directory is a deletion that had
        // not committed: the topic is alive, and only its config moves.
        RETURN_IF_ERROR(CopyIfAbsent(dir + "/" + std::string(kOldTopicConfigFile),
                                     data_dir + "/" + TopicConfigFileName(name), io));
      }
    }
  }
  RETURN_IF_ERROR(io.SyncDir(data_dir));
  RETURN_IF_ERROR(io.RemoveTree(old_dir));
  return io.SyncDir(data_dir);
}

}  // namespace topicfs::store
