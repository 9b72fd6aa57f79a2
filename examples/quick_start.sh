#!/usr/bin/env bash
# Quick start: mount a data directory, create a topic, append lines, read
# them back with cat and tail, look at the topic's config and the
# partition's figures, unmount, and see the Kafka log directory left behind.
#
#   TOPICFS_BIN=build/topicfs examples/quick_start.sh

source "$(dirname "$0")/common.sh"

say "Mount an empty data directory (foreground daemon, in the background here)."
mount_topicfs

say "A directory is a topic; it starts with one partition, the file 0."
run mkdir orders
run ls
run ls orders
check "the new topic has partition 0" "$(ls "$MNT/orders")" "0"

say "Appending is >>. One line is one record."
run "echo 'order-17 created' >> orders/0"
run "echo 'order-17 paid' >> orders/0"
run "printf 'order-%d created\n' 18 19 20 >> orders/0"
run cat orders/0
check "cat shows exactly what was written" "$(cat "$MNT/orders/0")" \
"order-17 created
order-17 paid
order-18 created
order-19 created
order-20 created"

run "tail -n 2 orders/0"
check "tail -n 2 is the last two lines" "$(tail -n 2 "$MNT/orders/0")" \
"order-19 created
order-20 created"
run "wc -l orders/0"
check "wc -l counts records" "$(wc -l <"$MNT/orders/0")" "5"
run "grep -c created orders/0"

say "Writes only append: overwriting and truncating are refused, as with chattr +a."
run_fails "Operation not permitted" "echo oops > orders/0"
run_fails "Operation not permitted" "rm orders/0"
check "nothing was lost" "$(wc -l <"$MNT/orders/0")" "5"

say "The topic's configuration, under Kafka's names and defaults."
run "getfattr -d orders"
check "retention.ms defaults to 7 days" "$(xattr orders retention.ms)" "604800000"

say "The partition's figures: a record's offset is its byte position, the size is the log end offset."
run "getfattr -d orders/0"
run "stat -c 'size=%s' orders/0"
check "log_end_offset equals the file size" "$(xattr orders/0 log_end_offset)" \
  "$(stat -c %s "$MNT/orders/0")"
check "records equals the line count" "$(xattr orders/0 records)" "5"

unmount_topicfs

say "What is left on disk is a Kafka log directory."
printf '\n$ ls -A %s %s\n' "$DATA" "$DATA/orders-0"
ls -A "$DATA" "$DATA/orders-0"
check "a segment file holds the records" \
  "$(test -s "$DATA/orders-0/00000000000000000000.log" && echo present)" "present"
check "a clean unmount leaves the clean-shutdown marker" \
  "$(test -e "$DATA/.kafka_cleanshutdown" && echo present)" "present"

all_checks_passed
