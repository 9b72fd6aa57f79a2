#!/usr/bin/env python3
"""Views with the usual tools: cat of <p>@<offset>, @-N, time ranges,
following with cat and poll, and consumer groups with getfattr/setfattr."""

import datetime
import errno
import os
import select
import signal
import subprocess
import time

from mount_fixture import MountedTestCase, main
from test_io import read_until


def line(i):
    return f"rec-{i:05d} payload\n".encode()


def lines(start, stop):
    return b"".join(line(i) for i in range(start, stop))


class ReadViewsTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.append("t/0", lines(0, 100))

    def test_cat_from_an_offset_starts_at_that_record_or_the_next(self):
        offset = len(lines(0, 40))
        self.assertEqual(self.sh(f"cat t/0@{offset}").stdout, lines(40, 100))
        # Inside record 40: the view starts at record 41.
        self.assertEqual(self.sh(f"cat t/0@{offset + 3}").stdout, lines(41, 100))
        self.assertEqual(self.sh("cat t/0@0").stdout, lines(0, 100))

    def test_last_records_match_tail(self):
        self.assertEqual(self.sh("cat t/0@-3").stdout, self.sh("tail -n 3 t/0").stdout)
        self.assertEqual(self.sh("wc -l < t/0@-25").stdout.strip(), b"25")
        self.assertEqual(self.sh("cat t/0@-10..-5").stdout, lines(90, 95))

    def test_views_are_read_only_and_unlisted(self):
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0"])
        self.assertShellFails("echo x >> t/0@0", "Operation not permitted")
        self.assertEqual(self.read("t", "0"), lines(0, 100))
        self.assertEqual(os.stat(self.path("t", "0@-2")).st_size, len(lines(98, 100)))

    def test_bad_view_names_are_no_such_file(self):
        for name in ("0@soon", "0@-10y", "0@2026-11-25T10:00:00", "7@0", "0@0..group=g"):
            self.assertShellFails(f"cat t/{name}", "No such file or directory")
        self.assertIn("not an offset", self.daemon.log())


class TimeRangeTest(MountedTestCase):

    def test_a_time_range_returns_exactly_the_records_appended_inside_it(self):
        self.mkdir("t")
        self.append("t/0", lines(0, 10))
        time.sleep(1.1)
        t1 = datetime.datetime.now(datetime.timezone.utc)
        self.append("t/0", lines(10, 20))
        time.sleep(1.1)
        t2 = datetime.datetime.now(datetime.timezone.utc)
        time.sleep(0.05)
        self.append("t/0", lines(20, 30))
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
        ms = lambda t: f"{int(t.timestamp() * 1000)}ms"
        self.assertEqual(self.sh(f"cat t/0@{iso(t1)}..{iso(t2)}").stdout, lines(10, 20))
        self.assertEqual(self.sh(f"cat t/0@{ms(t1)}..{ms(t2)}").stdout, lines(10, 20))
        self.assertEqual(self.sh(f"cat t/0@{ms(t2)}").stdout, lines(20, 30))
        self.assertEqual(self.sh("cat t/0@-1m").stdout, lines(0, 30))


class FollowTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.append("t/0", lines(0, 5))

    def start_cat(self, name):
        proc = subprocess.Popen(["cat", self.path("t", name)], stdout=subprocess.PIPE)
        self.addCleanup(lambda: (proc.poll() is None and proc.kill(), proc.wait()))
        return proc

    def test_cat_follows_from_the_end_and_exits_on_sigint(self):
        proc = self.start_cat("0@end..")
        time.sleep(0.3)
        self.assertIsNone(proc.poll(), "cat of a follow view must not end")
        self.append("t/0", lines(5, 7))
        self.assertEqual(read_until(proc, lines(5, 7), 2.0), lines(5, 7))
        self.append("t/0", line(7))
        self.assertEqual(read_until(proc, line(7), 2.0), line(7))
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=2.0)
        self.assertLess(time.monotonic() - started, 1.0, "Ctrl-C must end a blocked read at once")
        self.assertEqual(proc.returncode, -signal.SIGINT)

    def test_follow_from_an_offset_prints_the_backlog_then_new_lines(self):
        proc = self.start_cat("0@-2..")
        self.assertEqual(read_until(proc, lines(3, 5), 2.0), lines(3, 5))
        self.append("t/0", line(5))
        self.assertEqual(read_until(proc, line(5), 2.0), line(5))

    def test_poll_becomes_readable_when_a_line_is_appended(self):
        fd = os.open(self.path("t", "0@end.."), os.O_RDONLY | os.O_NONBLOCK)
        try:
            self.assertErrno(errno.EAGAIN, os.read, fd, 4096)
            p = select.poll()
            p.register(fd, select.POLLIN)
            self.assertEqual(p.poll(200), [], "nothing to read yet")
            self.append("t/0", line(5))
            ready = p.poll(2000)
            self.assertEqual(ready, [(fd, select.POLLIN)])
            self.assertEqual(os.read(fd, 4096), line(5))
        finally:
            os.close(fd)

    def test_many_followers_are_all_woken_and_the_daemon_still_answers(self):
        procs = [self.start_cat("0@end..") for _ in range(30)]
        time.sleep(0.5)
        # Thirty blocked readers hold no request threads: the mount answers.
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0"])
        self.assertEqual(self.read("t", "0"), lines(0, 5))
        self.append("t/0", line(5))
        for proc in procs:
            self.assertEqual(read_until(proc, line(5), 3.0), line(5))
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            proc.wait(timeout=3.0)

    def test_the_daemon_stops_cleanly_with_a_follower_blocked(self):
        proc = self.start_cat("0@end..")
        time.sleep(0.3)
        self.daemon.proc.send_signal(signal.SIGTERM)
        self.daemon.proc.wait(timeout=10)
        self.assertEqual(self.daemon.proc.returncode, 0, self.daemon.log())
        proc.wait(timeout=5)
        # The stopping daemon ends the parked read with EOF (docs/views.md).
        self.assertEqual(proc.returncode, 0)
        self.start_daemon()
        self.assertEqual(self.read("t", "0"), lines(0, 5))


class GroupTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.append("t/0", lines(0, 10))

    def test_head_commits_the_read_ahead_but_max_n_commits_exactly_n(self):
        # A reader is given more than it uses: head -n 5 reads everything
        # there is in one read(2), and the group commits all of it.
        self.sh("head -n 5 t/0@group=h > /dev/null")
        self.assertEqual(self.xattr("t/0", "group.h"), str(len(lines(0, 10))))
        # max=N returns, and so commits, N records.
        self.assertEqual(self.sh("head -n 2 't/0@group=g,max=2'").stdout, lines(0, 2))
        self.assertEqual(self.xattr("t/0", "group.g"), str(len(lines(0, 2))))
        self.assertEqual(self.sh("cat 't/0@group=g,max=3'").stdout, lines(2, 5))
        self.assertEqual(self.xattr("t/0", "group.g"), str(len(lines(0, 5))))
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(5, 10))
        for bad in ("t/0@group=g,max=0", "t/0@group=g,most=2"):
            self.assertErrno(errno.ENOENT, os.stat, self.path(bad))

    def test_cat_twice_prints_each_record_once_across_a_remount(self):
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(0, 10))
        self.assertEqual(self.sh("cat t/0@group=g").stdout, b"")
        self.append("t/0", lines(10, 12))
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(10, 12))
        self.assertEqual(self.xattr("t/0", "group.g"), str(len(lines(0, 12))))
        self.remount()
        self.append("t/0", lines(12, 13))
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(12, 13))
        # Another group has its own position.
        self.assertEqual(self.sh("cat t/0@group=other").stdout, lines(0, 13))

    def test_head_commits_only_what_it_returned(self):
        self.assertEqual(self.sh("head -c 30 t/0@group=g").stdout, lines(0, 10)[:30])
        # 30 bytes = one whole record and part of the second.
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(1, 10))

    def test_setfattr_moves_and_removes_a_groups_position(self):
        self.sh("cat t/0@group=g > /dev/null")
        self.sh(f"setfattr -n user.topicfs.group.g -v {len(lines(0, 7))} t/0")
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(7, 10))
        self.sh("setfattr -n user.topicfs.group.g -v -3 t/0")
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(7, 10))
        self.sh("setfattr -n user.topicfs.group.g -v end t/0")
        self.assertEqual(self.sh("cat t/0@group=g").stdout, b"")
        self.assertIn("group.g", self.getfattr_d("t/0"))
        self.assertShellFails("setfattr -n user.topicfs.group.g -v soon t/0", "Invalid argument")
        self.sh("setfattr -x user.topicfs.group.g t/0")
        self.assertNotIn("group.g", self.getfattr_d("t/0"))
        self.assertEqual(self.sh("cat t/0@group=g").stdout, lines(0, 10))

    def test_commits_are_records_in_consumer_offsets(self):
        self.sh("cat t/0@group=billing > /dev/null")
        self.assertIn("__consumer_offsets", os.listdir(self.mnt))
        self.assertShellFails("echo x >> __consumer_offsets/0", "Operation not permitted")
        sizes = [os.stat(self.path("__consumer_offsets", p)).st_size
                 for p in os.listdir(self.path("__consumer_offsets"))]
        self.assertEqual(len(sizes), 50)
        self.assertEqual(sum(1 for s in sizes if s > 0), 1)


if __name__ == "__main__":
    main()
