#!/usr/bin/env bash
# The README's first quick-start command: installs what is missing, builds
# the daemon, and mounts a data directory, printing how to use and unmount it.
#
#   scripts/mount.sh [DATA_DIR [MOUNTPOINT]]
#
# Defaults: DATA_DIR = ./data in this checkout, MOUNTPOINT = /mnt/topics
# (or ~/topics when /mnt is not writable). Extra daemon options can be given
# in TOPICFS_OPTS (e.g. TOPICFS_OPTS="-o allow_other").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DATA_DIR=${1:-$ROOT/data}
if [ -n "${2:-}" ]; then
  MOUNTPOINT=$2
elif [ -w /mnt ]; then
  MOUNTPOINT=/mnt/topics
else
  MOUNTPOINT=$HOME/topics
fi

scripts/setup.sh
cmake -S "$ROOT" -B "$ROOT/build-release" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTOPICFS_BUILD_BENCH=OFF >/dev/null
cmake --build "$ROOT/build-release" -j "$(nproc)" --target topicfs

mkdir -p "$DATA_DIR" "$MOUNTPOINT"
if mountpoint -q "$MOUNTPOINT"; then
  echo "$MOUNTPOINT is already mounted; unmount it first: fusermount3 -u $MOUNTPOINT" >&2
  exit 1
fi
# shellcheck disable=SC2086
"$ROOT/build-release/topicfs" ${TOPICFS_OPTS:-} "$DATA_DIR" "$MOUNTPOINT"

cat <<EOT
topicfs: $DATA_DIR is mounted on $MOUNTPOINT (logs go to syslog; run the
binary with -f to keep it in the foreground with logs on stderr).

  mkdir $MOUNTPOINT/orders                          # a topic with one partition, file 0
  echo 'order-17 created' >> $MOUNTPOINT/orders/0   # one line = one record
  cat $MOUNTPOINT/orders/0                          # every retained record
  tail -f $MOUNTPOINT/orders/0                      # follow
  setfattr -n user.topicfs.partitions -v 4 $MOUNTPOINT/orders
  getfattr -d $MOUNTPOINT/orders                    # the topic's configuration
  getfattr -d $MOUNTPOINT/orders/0                  # the partition's figures

unmount with:  fusermount3 -u $MOUNTPOINT
EOT
