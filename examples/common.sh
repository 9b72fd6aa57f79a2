# Shared by the walk-throughs (sourced, not run): mounting a temporary data
# directory, echoing each command before running it, and checks that make
# the script fail when something it shows does not hold.
#
# TOPICFS_BIN names the daemon (default: build/topicfs, or the build/ next
# to this directory). The mount is always undone on exit, even on failure.

set -euo pipefail

EXAMPLES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOPICFS_BIN=${TOPICFS_BIN:-build/topicfs}
if [[ ! -x $TOPICFS_BIN && -x $EXAMPLES_DIR/../build/topicfs ]]; then
  TOPICFS_BIN=$EXAMPLES_DIR/../build/topicfs
fi
if [[ ! -x $TOPICFS_BIN ]]; then
  echo "topicfs binary not found at '$TOPICFS_BIN' (set TOPICFS_BIN)" >&2
  exit 2
fi
TOPICFS_BIN=$(cd "$(dirname "$TOPICFS_BIN")" && pwd)/$(basename "$TOPICFS_BIN")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/topicfs-example.XXXXXX")
DATA=$WORK/data   # the Kafka-layout log directory
MNT=$WORK/mnt     # where topics appear as directories
LOG=$WORK/topicfs.log
mkdir -p "$MNT"
DAEMON_PID=

# Prints a command, then runs it in the mount point.
run() {
  printf '\n$ %s\n' "$*"
  (cd "$MNT" && eval "$*")
}

# Prints a command that is expected to fail, runs it, and fails the
# walk-through if it succeeds or its error lacks the expected text.
run_fails() {
  local expected=$1
  shift
  printf '\n$ %s\n' "$*"
  local err rc=0
  err=$(cd "$MNT" && bash -c "$*" 2>&1) || rc=$?
  printf '%s\n' "$err"
  if ((rc == 0)); then
    echo "CHECK FAILED: '$*' should have failed" >&2
    exit 1
  fi
  if [[ $err != *"$expected"* ]]; then
    echo "CHECK FAILED: '$*' failed without '$expected'" >&2
    exit 1
  fi
}

# check DESCRIPTION ACTUAL EXPECTED
check() {
  if [[ $2 != "$3" ]]; then
    printf 'CHECK FAILED: %s\n  expected: %q\n  actual:   %q\n' "$1" "$3" "$2" >&2
    exit 1
  fi
  printf '  ok: %s\n' "$1"
}

# Value of a user.topicfs.* attribute of a path under the mount.
xattr() {
  getfattr --absolute-names --only-values -n "user.topicfs.$2" "$MNT/$1"
}

say() {
  printf '\n# %s\n' "$*"
}

# The last line of every walk-through, the same in each (run_example.sh
# checks it): reached only when every check held.
all_checks_passed() {
  say "$(basename "$0" .sh): all checks passed."
}

mount_topicfs() {
  printf '\n$ topicfs -f %s %s &\n' "$DATA" "$MNT"
  "$TOPICFS_BIN" -f "$DATA" "$MNT" 2>>"$LOG" &
  DAEMON_PID=$!
  for _ in $(seq 100); do
    mountpoint -q "$MNT" && return 0
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
      echo "topicfs exited before mounting:" >&2
      cat "$LOG" >&2
      exit 1
    fi
    sleep 0.05
  done
  echo "topicfs did not mount $MNT within 5 s:" >&2
  cat "$LOG" >&2
  exit 1
}

# A clean unmount: the daemon flushes, checkpoints and exits.
unmount_topicfs() {
  printf '\n$ fusermount3 -u %s\n' "$MNT"
  local tries=0
  until fusermount3 -u "$MNT" 2>/dev/null; do
    ((++tries < 50)) || { fusermount3 -uz "$MNT"; break; }
    sleep 0.1
  done
  wait_for_daemon
}

wait_for_daemon() {
  [[ -n $DAEMON_PID ]] || return 0
  local tries=0
  while kill -0 "$DAEMON_PID" 2>/dev/null; do
    if ((++tries > 100)); then
      echo "topicfs (pid $DAEMON_PID) did not exit after unmount: killing it" >&2
      kill -9 "$DAEMON_PID" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  local rc=0
  wait "$DAEMON_PID" 2>/dev/null || rc=$?
  DAEMON_PID=
  return $rc
}

cleanup() {
  local status=$?
  if mountpoint -q "$MNT" 2>/dev/null || grep -qs " $MNT " /proc/self/mounts; then
    fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null || true
  fi
  wait_for_daemon || true
  if ((status != 0)) && [[ -s $LOG ]]; then
    echo "--- topicfs log ---" >&2
    cat "$LOG" >&2
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
