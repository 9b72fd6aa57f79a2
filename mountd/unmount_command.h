#pragma once
// `topicfs unmount [-z|--lazy] [--timeout=S] MOUNTPOINT`: unmounts a topicfs
// mount and returns only once its daemon has released the data directory
// (flushed, checkpointed, written the clean-shutdown marker, unlocked), so
// that a script may mount the directory again at once. `fusermount3 -u`
// returns as soon as the kernel detached the mount, before any of that.

namespace topicfs::mountd {

// argv[0] is "unmount". Returns the exit status: 0 unmounted and released,
// 1 not a topicfs mount, the unmount failed or the timeout passed, 2 a
// usage error.
int RunUnmountCommand(int argc, char** argv);

}  // namespace topicfs::mountd
