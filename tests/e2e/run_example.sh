#!/usr/bin/env bash
# Runs one walk-through from examples/ as a test: run_example.sh NAME runs
# examples/NAME.sh with TOPICFS_BIN from the environment, in a private
# TMPDIR, and fails if the script fails or leaves a mount or files behind.
set -uo pipefail

name=${1:?usage: run_example.sh NAME (quick_start, partitions, config)}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
script=$source_dir/examples/$name.sh
[[ -f $script ]] || { echo "no example $script" >&2; exit 2; }
export TOPICFS_BIN=${TOPICFS_BIN:-$source_dir/build/topicfs}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/topicfs-example-test.XXXXXX")
out=$(mktemp "${TMPDIR:-/tmp}/topicfs-example-out.XXXXXX")
TMPDIR=$tmp bash "$script" | tee "$out"
rc=${PIPESTATUS[0]}
# Every walk-through ends with the same line (common.sh, all_checks_passed).
last=$(grep -v '^$' "$out" | tail -n 1)
rm -f "$out"
if ((rc == 0)) && [[ $last != "# $name: all checks passed." ]]; then
  echo "FAIL: $name did not end with '# $name: all checks passed.' but with: $last" >&2
  rc=1
fi

leftover_mounts=$(awk -v t="$tmp/" 'index($2, t) == 1 { print $2 }' /proc/self/mounts)
if [[ -n $leftover_mounts ]]; then
  echo "FAIL: $name left mounts behind: $leftover_mounts" >&2
  for m in $leftover_mounts; do fusermount3 -uz "$m"; done
  rc=1
fi
leftover_files=$(ls -A "$tmp")
if [[ -n $leftover_files ]]; then
  echo "FAIL: $name left files behind in its TMPDIR: $leftover_files" >&2
  rc=1
fi
rm -rf "$tmp"
((rc == 0)) && echo "example $name: passed" || echo "example $name: FAILED ($rc)" >&2
exit $rc
