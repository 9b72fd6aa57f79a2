#!/usr/bin/env python3
"""The daemon's status as read-only attributes on the mount root (issue 18,
point 5): open descriptors and their limit, parked followers, appends and
bytes per second, the last and next retention and cleaner passes and what
they did, each topic's size; each figure moves as appends, followers and
passes happen, and none can be set."""

import errno
import os
import subprocess
import time

from mount_fixture import PREFIX, MountedTestCase, lines_text, main


class StatusTest(MountedTestCase):

    daemon_args = ("--retention-check-interval-ms=200", "--cleaner-backoff-ms=200")

    def status(self):
        return {k[len("status."):]: v for k, v in self.getfattr_d(".").items() if k.startswith("status.")}

    def test_status_is_listed_on_the_root_with_every_figure(self):
        s = self.status()
        for name in ("open_fds", "open_fds_limit", "followers_parked", "appends_total", "append_bytes_total",
                     "appends_per_sec", "append_bytes_per_sec", "retention.last_run", "retention.next_run",
                     "retention.last_result", "cleaner.last_run", "cleaner.next_run", "cleaner.last_result",
                     "uptime_s"):
            self.assertIn(name, s)
        self.assertGreater(int(s["open_fds"]), 0)
        self.assertLessEqual(int(s["open_fds"]), int(s["open_fds_limit"]))
        # Topics carry no status attributes; configs stay configs.
        self.mkdir("t")
        self.assertFalse([k for k in self.getfattr_d("t") if k.startswith("status.")])

    def test_append_figures_move_with_appends(self):
        self.mkdir("t")
        before = self.status()
        data = lines_text("a", 100)
        self.append_in_writes("t/0", data, len(data) // 10 + 1)
        after = self.status()
        self.assertEqual(int(after["appends_total"]) - int(before["appends_total"]), 10)
        self.assertEqual(int(after["append_bytes_total"]) - int(before["append_bytes_total"]), len(data))
        self.assertGreater(float(after["appends_per_sec"]), 0)
        self.assertGreater(float(after["append_bytes_per_sec"]), 0)
        self.assertEqual(after["topic.t.bytes"], str(self.figures("t/0")["size_bytes"]))
        self.assertGreater(int(after["topic.t.bytes"]), len(data))  # record batches carry headers

    def test_followers_parked_counts_blocked_readers(self):
        self.mkdir("t")
        self.assertEqual(self.status()["followers_parked"], "0")
        cats = [subprocess.Popen(["cat", self.path("t/0@end..")], stdout=subprocess.DEVNULL)
                for _ in range(2)]
        try:
            self.wait_for(lambda: self.status()["followers_parked"] == "2", 5.0, "two parked followers")
        finally:
            for p in cats:
                p.kill()
                p.wait()
        self.wait_for(lambda: self.status()["followers_parked"] == "0", 5.0, "no parked follower")

    def test_retention_and_cleaner_passes_show_when_they_ran_and_what_they_did(self):
        self.mkdir("c")
        self.sh("setfattr -n user.topicfs.key.separator -v : c && "
                "setfattr -n user.topicfs.cleanup.policy -v compact c && "
                "setfattr -n user.topicfs.internal.segment.bytes -v 1024 c && "
                "setfattr -n user.topicfs.min.cleanable.dirty.ratio -v 0.01 c")
        first = self.wait_for(lambda: (s := self.status())["retention.last_run"] != "never" and s,
                              5.0, "a retention pass")
        self.assertRegex(first["retention.last_run"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertGreater(first["retention.next_run"], first["retention.last_run"])
        self.assertIn("retention pass", first["retention.last_result"])
        self.wait_for(lambda: self.status()["retention.last_run"] > first["retention.last_run"], 5.0,
                      "a later retention pass")
        # Many versions of few keys, over several segments: the cleaner cleans.
        self.append_in_writes("c/0", "".join(f"k{i % 5}:{i}\n" for i in range(400)).encode(), 500)
        self.wait_for(lambda: "records kept" in self.status()["cleaner.last_result"], 10.0,
                      "a cleaner pass that cleaned")
        s = self.status()
        self.assertNotEqual(s["cleaner.last_run"], "never")
        self.assertGreater(s["cleaner.next_run"], s["cleaner.last_run"])

    def test_status_is_read_only(self):
        for name in ("status.open_fds", "status.topic.t.bytes", "status.new"):
            self.assertErrno(errno.EPERM, os.setxattr, self.mnt, (PREFIX + name).encode(), b"1")
        self.assertErrno(errno.EPERM, os.removexattr, self.mnt, (PREFIX + "status.open_fds").encode())
        self.assertErrno(errno.ENODATA, os.getxattr, self.mnt, (PREFIX + "status.topic.nope.bytes").encode())


if __name__ == "__main__":
    main()
