#!/usr/bin/env bash
# Partitions: grow a topic to 4 partitions with one setfattr, append to each
# file, route lines by key with awk, count each partition with wc -l, and
# see that the partition count only grows.
#
#   TOPICFS_BIN=build/topicfs examples/partitions.sh

source "$(dirname "$0")/common.sh"

mount_topicfs

say "A new topic has one partition; the partitions attribute grows it."
run mkdir clicks
run "getfattr -n user.topicfs.partitions clicks"
run "setfattr -n user.topicfs.partitions -v 4 clicks"
run ls clicks
check "four partition files" "$(ls "$MNT/clicks" | tr '\n' ' ')" "0 1 2 3 "
check "the data directory holds one Kafka log directory per partition" \
  "$(cd "$DATA" && ls -d clicks-* | tr '\n' ' ')" "clicks-0 clicks-1 clicks-2 clicks-3 "

say "Each partition is its own append-only file."
for p in 0 1 2 3; do
  run "seq -f 'click p$p #%g' $((p + 1)) >> clicks/$p"
done
run "wc -l clicks/*"
for p in 0 1 2 3; do
  check "partition $p: $((p + 1)) line(s)" "$(wc -l <"$MNT/clicks/$p")" "$((p + 1))"
done
run "cat clicks/3"

say "Route records by key: user N goes to partition N % 4 (awk appends with >>)."
run "seq 1 1000 | awk '{ print \"user-\" \$1 \" clicked\" >> (\"clicks/\" (\$1 % 4)) }'"
run "wc -l clicks/*"
for p in 0 1 2 3; do
  check "partition $p holds its 250 routed lines" \
    "$(grep -c clicked "$MNT/clicks/$p")" "250"
done
check "user-8 went to partition 0" "$(grep -c '^user-8 clicked$' "$MNT/clicks/0")" "1"

say "Each partition has its own figures."
run "getfattr -n user.topicfs.records clicks/2"
check "records of partition 2" "$(xattr clicks/2 records)" "253"

say "The count only grows: lowering it is refused and changes nothing."
run_fails "Invalid argument" "setfattr -n user.topicfs.partitions -v 2 clicks"
check "still four partitions" "$(ls "$MNT/clicks" | wc -l)" "4"

say "A default on the mount root sizes every new topic."
run "setfattr -n user.topicfs.partitions -v 3 ."
run mkdir views
run ls views
check "a new topic gets the root's partition count" "$(ls "$MNT/views" | tr '\n' ' ')" "0 1 2 "

unmount_topicfs
all_checks_passed
