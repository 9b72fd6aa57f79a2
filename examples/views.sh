#!/usr/bin/env bash
# Views: read a partition from an offset, a time or the last N records,
# follow it from the end, and consume it as a group that remembers where it
# stopped, across a remount.
#
#   TOPICFS_BIN=build/topicfs examples/views.sh

source "$(dirname "$0")/common.sh"

mount_topicfs
run mkdir orders
run "seq -f 'order %g created' 1 5 >> orders/0"
sleep 1.1
since=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
sleep 0.05
run "seq -f 'order %g created' 6 8 >> orders/0"

say "The last N records, like tail -n, without reading the partition."
run "cat orders/0@-2"
check "0@-2 is what tail -n 2 prints" "$(cat "$MNT/orders/0@-2")" "$(tail -n 2 "$MNT/orders/0")"

say "From an offset: a record's offset is the byte position where it starts."
offset=$(head -n 3 "$MNT/orders/0" | wc -c)
run "cat orders/0@$offset"
check "0@$offset starts at the fourth record" "$(head -n 1 "$MNT/orders/0@$offset")" "order 4 created"

say "From a time, through the time index: what was appended since $since."
run "cat orders/0@$since"
check "records since the time" "$(wc -l < "$MNT/orders/0@$since")" "3"
run "cat orders/0@-1h..$since | wc -l"

say "Views are resolved on lookup and not listed; they are read-only."
run "ls orders"
run_fails "Operation not permitted" "echo x >> orders/0@0"
run_fails "No such file or directory" "cat orders/0@yesterday"

say "Follow from the end: cat waits for new records (Ctrl-C ends it)."
cat "$MNT/orders/0@end.." > "$WORK/followed" &
follower=$!
sleep 0.3
run "echo 'order 9 created' >> orders/0"
for _ in $(seq 50); do [[ -s $WORK/followed ]] && break; sleep 0.05; done
kill "$follower"; wait "$follower" || true  # a background job ignores SIGINT
run "cat $WORK/followed"
check "the follower received the new record" "$(cat "$WORK/followed")" "order 9 created"

say "A consumer group reads each record once; the position is committed at close."
run "cat orders/0@group=billing | wc -l"
run "cat orders/0@group=billing | wc -l"
check "nothing new for billing" "$(cat "$MNT/orders/0@group=billing" | wc -l)" "0"
run "echo 'order 10 created' >> orders/0"
run "getfattr -n user.topicfs.group.billing orders/0"
unmount_topicfs
mount_topicfs
run "cat orders/0@group=billing"
check "after a remount billing reads only the new record" "$(xattr orders/0 group.billing)" \
  "$(stat -c %s "$MNT/orders/0")"

say "Move a group back with setfattr (an offset, -N, end or a time), or forget it."
run "setfattr -n user.topicfs.group.billing -v -2 orders/0"
run "cat orders/0@group=billing"
run "setfattr -x user.topicfs.group.billing orders/0"
check "a forgotten group starts from the beginning" "$(cat "$MNT/orders/0@group=billing" | wc -l)" "10"
unmount_topicfs
all_checks_passed
