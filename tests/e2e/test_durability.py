#!/usr/bin/env python3
"""Durability: a daemon killed with SIGKILL loses no write that returned and
leaves no torn record; fsync moves the recovery point to the log end."""

import os
import subprocess
import sys

from mount_fixture import MountedTestCase, main

LINES_PER_CHUNK = 1000

# Appends 1000-line chunks to path with one write(2) each, forever, and
# records the number of every chunk whose write returned in full.
WRITER = r"""
import os, sys
path, progress_path, tag = sys.argv[1], sys.argv[2], sys.argv[3]
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
progress = os.open(progress_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
chunk = 0
while True:
    data = "".join(f"{tag}-c{chunk:06d}-{i:04d} {'v' * (i % 37)}\n" for i in range(1000)).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]  # raises once the daemon is gone
    os.write(progress, f"{chunk}\n".encode())
    chunk += 1
"""


def expected_line(tag, chunk, i):
    return f"{tag}-c{chunk:06d}-{i:04d} {'v' * (i % 37)}".encode()


class CrashTest(MountedTestCase):

    def run_writer_and_kill_daemon(self, tag, chunks_before_kill):
        """Starts the writer, SIGKILLs the daemon once at least
        chunks_before_kill writes returned, detaches the dead mount, and
        returns how many chunk writes had returned."""
        progress = os.path.join(self.tmp, f"progress-{tag}")
        writer = subprocess.Popen([sys.executable, "-c", WRITER, self.path("t", "0"), progress, tag],
                                  stderr=subprocess.DEVNULL)
        try:
            def returned():
                try:
                    with open(progress) as f:
                        return len(f.read().split())
                except FileNotFoundError:
                    return 0
            self.wait_for(lambda: returned() >= chunks_before_kill or writer.poll() is not None,
                          60.0, f"{chunks_before_kill} chunk writes")
            self.assertIsNone(writer.poll(), "the writer stopped before the kill")
            self.daemon.kill9()
            # The writer's next write fails (ENOTCONN) once the connection is gone.
            try:
                writer.wait(timeout=10)
            except subprocess.TimeoutExpired:
                writer.kill()
                writer.wait()
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait()
        with open(progress) as f:
            done = [int(x) for x in f.read().split()]
        self.assertEqual(done, list(range(len(done))))
        return len(done)

    def test_kill_9_during_bulk_append_loses_no_returned_write_and_tears_no_record(self):
        self.mkdir("t")
        returned = {}
        for tag, kill_after in [("r0", 5), ("r1", 40), ("r2", 1)]:
            returned[tag] = self.run_writer_and_kill_daemon(tag, kill_after)
            self.start_daemon()
            self.assertIn("unclean shutdown", self.daemon.log())

        content = self.read("t", "0")
        self.assertTrue(content == b"" or content.endswith(b"\n"), "the file ends in a torn line")
        lines = content.split(b"\n")[:-1]
        # The file is, round after round, a prefix of each round's stream:
        # whole lines of the expected form, in order, nothing missing.
        pos = 0
        for tag in ["r0", "r1", "r2"]:
            n = 0
            while pos < len(lines) and lines[pos].startswith(tag.encode() + b"-"):
                chunk, i = divmod(n, LINES_PER_CHUNK)
                self.assertEqual(lines[pos], expected_line(tag, chunk, i),
                                 f"line {pos} ({tag}, chunk {chunk}, line {i})")
                n += 1
                pos += 1
            self.assertGreaterEqual(n, returned[tag] * LINES_PER_CHUNK,
                                    f"round {tag}: writes that returned were lost")
            # At most the one write in flight may have landed as well.
            self.assertLessEqual(n, (returned[tag] + 1) * LINES_PER_CHUNK)
        self.assertEqual(pos, len(lines), f"unexpected line {lines[pos][:80] if pos < len(lines) else b''!r}")

        st = os.stat(self.path("t", "0"))
        self.assertEqual(st.st_size, len(content))
        figures = self.figures("t/0")
        self.assertEqual(figures["log_end_offset"], len(content))
        self.assertEqual(figures["records"], len(lines))
        # Appends go on at the recovered end.
        self.append("t/0", "after the crashes\n")
        self.assertEqual(self.read("t", "0"), content + b"after the crashes\n")
        self.remount()
        self.assertEqual(self.read("t", "0"), content + b"after the crashes\n")

    def test_kill_9_after_appends_keeps_every_line(self):
        self.mkdir("t")
        os.setxattr(self.path("t"), b"user.topicfs.partitions", b"2")
        self.sh("for i in $(seq 1 3000); do echo \"line $i\"; done >> t/0")
        self.sh("printf 'a\\nb\\n' >> t/1")
        expected = "".join(f"line {i}\n" for i in range(1, 3001)).encode()
        self.crash_and_remount()
        self.assertEqual(self.read("t", "0"), expected)
        self.assertEqual(self.read("t", "1"), b"a\nb\n")
        self.assertEqual(sorted(os.listdir(self.path("t"))), ["0", "1"])
        self.assertEqual(self.xattr("t", "partitions"), "2")


class FsyncTest(MountedTestCase):

    def test_fsync_moves_recovery_point_to_log_end(self):
        self.mkdir("t")
        fd = os.open(self.path("t", "0"), os.O_WRONLY | os.O_APPEND)
        try:
            for i in range(50):
                os.write(fd, f"before fsync {i}\n".encode())
            figures = self.figures("t/0")
            self.assertLess(figures["recovery_point"], figures["log_end_offset"])
            os.fsync(fd)
            figures = self.figures("t/0")
            self.assertEqual(figures["recovery_point"], figures["log_end_offset"])
            self.assertEqual(figures["log_end_offset"], os.stat(self.path("t", "0")).st_size)

            os.write(fd, b"after\n")
            os.fdatasync(fd)
            figures = self.figures("t/0")
            self.assertEqual(figures["recovery_point"], figures["log_end_offset"])
        finally:
            os.close(fd)

    def test_dd_conv_fsync_appends_and_syncs(self):
        self.mkdir("t")
        self.sh("printf 'one\\ntwo\\n' | dd of=t/0 oflag=append conv=notrunc,fsync status=none")
        self.assertEqual(self.read("t", "0"), b"one\ntwo\n")
        figures = self.figures("t/0")
        self.assertEqual(figures["recovery_point"], figures["log_end_offset"])

    def test_flush_messages_1_flushes_every_append(self):
        self.mkdir("t")
        self.sh("setfattr -n user.topicfs.flush.messages -v 1 t")
        self.sh("echo flushed on its own >> t/0")
        figures = self.figures("t/0")
        self.assertEqual(figures["recovery_point"], figures["log_end_offset"])
        self.assertGreater(figures["log_end_offset"], 0)

    def test_fsynced_data_survives_kill_9(self):
        self.mkdir("t")
        fd = os.open(self.path("t", "0"), os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"durable\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        leo = self.figures("t/0")["log_end_offset"]
        self.crash_and_remount()
        self.assertEqual(self.read("t", "0"), b"durable\n")
        # (The recovery point itself restarts from the checkpoint, as in
        # Kafka after an unclean shutdown: it only advances with a flush.)
        self.assertEqual(self.figures("t/0")["log_end_offset"], leo)


if __name__ == "__main__":
    main()
