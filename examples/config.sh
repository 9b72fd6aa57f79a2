#!/usr/bin/env bash
# Configuration: Kafka's topic configs as xattrs on the topic directory.
# Set retention and segment size, watch segments roll, see invalid values
# refused, remove a setting to restore the default, set defaults on the
# mount root, and remount to show that everything persisted.
#
#   TOPICFS_BIN=build/topicfs examples/config.sh

source "$(dirname "$0")/common.sh"

mount_topicfs
run mkdir app-logs

say "Every topic starts with Kafka's defaults."
run "getfattr -d -m '^user.topicfs.(retention.ms|segment.bytes)$' app-logs"
check "retention.ms default (7 days)" "$(xattr app-logs retention.ms)" "604800000"
check "segment.bytes default (1 GiB)" "$(xattr app-logs segment.bytes)" "1073741824"

say "Keep one hour or 10 MiB per partition, in 1 MiB segments (the smallest Kafka allows)."
run "setfattr -n user.topicfs.retention.ms -v 3600000 app-logs"
run "setfattr -n user.topicfs.retention.bytes -v 10485760 app-logs"
run "setfattr -n user.topicfs.segment.bytes -v 1048576 app-logs"
run "getfattr -d app-logs | grep -E 'retention|segment.bytes'"
check "retention.ms set" "$(xattr app-logs retention.ms)" "3600000"
check "retention.bytes set" "$(xattr app-logs retention.bytes)" "10485760"
check "segment.bytes set" "$(xattr app-logs segment.bytes)" "1048576"

say "The change applies at once: 3.5 MB of lines roll into several segments."
run "seq -f 'GET /index.html 200 request %g' 100000 >> app-logs/0"
run "getfattr -n user.topicfs.segments app-logs/0"
segments=$(xattr app-logs/0 segments)
check "the partition rolled into at least 3 segments" "$((segments >= 3))" "1"
printf '\n$ ls %s\n' "$DATA/app-logs-0"
ls "$DATA/app-logs-0"
check "one .log file per segment" "$(ls "$DATA/app-logs-0" | grep -c '\.log$')" "$segments"
check "reading is unaffected by segments" "$(wc -l <"$MNT/app-logs/0")" "100000"

say "Invalid values are refused with a clear errno, and nothing changes."
run_fails "Invalid argument" "setfattr -n user.topicfs.retention.ms -v abc app-logs"
run_fails "Numerical result out of range" "setfattr -n user.topicfs.segment.bytes -v 65536 app-logs"
run_fails "Invalid argument" "setfattr -n user.topicfs.cleanup.policy -v sometimes app-logs"
run_fails "Invalid argument" "setfattr -n user.topicfs.cleanup.policy -v COMPACT app-logs"
check "retention.ms unchanged" "$(xattr app-logs retention.ms)" "3600000"
check "segment.bytes unchanged" "$(xattr app-logs segment.bytes)" "1048576"
printf '\n$ tail -n 3 %s   # the daemon says why\n' "$LOG"
tail -n 3 "$LOG"

say "A compacted topic keeps the latest line per key; the key is the text before key.separator."
run "setfattr -n user.topicfs.cleanup.policy -v compact app-logs"
run "setfattr -n user.topicfs.key.separator -v = app-logs"
run "getfattr -d -m '^user.topicfs.(cleanup.policy|key.separator)$' app-logs"
check "cleanup.policy set" "$(xattr app-logs cleanup.policy)" "compact"
check "key.separator set" "$(xattr app-logs key.separator)" "="

say "Removing a setting (setfattr -x) restores the default."
run "setfattr -x user.topicfs.retention.bytes app-logs"
check "retention.bytes back to -1 (unlimited)" "$(xattr app-logs retention.bytes)" "-1"
run "setfattr -x user.topicfs.cleanup.policy app-logs"
check "cleanup.policy back to delete" "$(xattr app-logs cleanup.policy)" "delete"

say "The same names on the mount root are the defaults of every topic."
run "setfattr -n user.topicfs.retention.ms -v 86400000 ."
run mkdir metrics
check "a new topic takes the root default" "$(xattr metrics retention.ms)" "86400000"
check "a topic's own setting wins" "$(xattr app-logs retention.ms)" "3600000"

say "Settings live in the data directory and survive a remount."
unmount_topicfs
printf '\n$ ls %s\n' "$DATA"
ls "$DATA"
printf '\n$ cat %s\n' "$DATA/app-logs.conf"
cat "$DATA/app-logs.conf"
mount_topicfs
run "getfattr -d app-logs | grep -E 'retention|segment.bytes|separator|policy'"
check "retention.ms after remount" "$(xattr app-logs retention.ms)" "3600000"
check "segment.bytes after remount" "$(xattr app-logs segment.bytes)" "1048576"
check "key.separator after remount" "$(xattr app-logs key.separator)" "="
check "root default after remount" "$(xattr . retention.ms)" "86400000"
check "metrics inherits it after remount" "$(xattr metrics retention.ms)" "86400000"
check "the data is still there" "$(wc -l <"$MNT/app-logs/0")" "100000"

unmount_topicfs
all_checks_passed
