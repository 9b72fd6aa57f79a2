#!/usr/bin/env python3
"""Refused writes append nothing, now or at close: lines longer than
max.message.bytes written by cat, dd, one large write(2) and many small
ones; close(2) reporting a last line that cannot be appended; and the
unfinished last lines that must still become records at close."""

import errno
import mmap
import os

from mount_fixture import MountedTestCase, main

MIB = 1024 * 1024
PAGE = mmap.PAGESIZE


def buffer_at(data, offset):
    """data in a buffer that starts `offset` bytes into a page. The kernel
    sends a direct-I/O write(2) in pieces of at most 256 of the buffer's
    pages (max_write = 1 MiB), so the first piece is 1 MiB - offset long:
    exactly 1 MiB only from a page-aligned buffer."""
    mm = mmap.mmap(-1, offset + len(data))
    mm[offset:offset + len(data)] = data
    return memoryview(mm)[offset:offset + len(data)]


class RefusedWritesTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")

    def open_append(self):
        return os.open(self.path("t", "0"), os.O_WRONLY | os.O_APPEND)

    def assertNothingAppendedSince(self, content):
        """The partition holds exactly `content`, also once every RELEASE
        has been served (they come after close(2) returned): after a
        remount, which waits for the daemon to finish."""
        self.assertEqual(os.stat(self.path("t", "0")).st_size, len(content))
        self.remount()
        self.assertEqual(os.stat(self.path("t", "0")).st_size, len(content))
        self.assertEqual(self.read("t", "0"), content)

    def test_cat_and_dd_of_a_1_5_mb_line_fail_emsgsize_and_append_nothing_at_close(self):
        src = os.path.join(self.tmp, "long-line.txt")
        with open(src, "wb") as f:
            f.write(b"L" * 1_500_000 + b"\n")
        self.append("t/0", "before\n")
        # cat writes 512 KiB (st_blksize) at a time, dd here 128 KiB; both
        # stop at the refused write and exit, closing the file.
        for tool in [f"cat {src}", f"dd if={src} bs=128K status=none"]:
            with self.subTest(tool=tool):
                self.assertShellFails(f"{tool} >> t/0", "Message too long")
                self.assertEqual(os.stat(self.path("t", "0")).st_size, 7)
        self.assertIn("refused up to its newline", self.daemon.log())
        self.assertNothingAppendedSince(b"before\n")
        self.sh("echo after >> t/0")
        self.assertEqual(self.read("t", "0"), b"before\nafter\n")

    def test_one_write_of_a_line_and_2_000_000_bytes_fails_emsgsize_and_close_too(self):
        self.append("t/0", "before\n")
        data = buffer_at(b"ok line\n" + b"x" * 2_000_000 + b"\n", 0)
        fd = self.open_append()
        try:
            # The first 1 MiB piece already holds an unfinished line that no
            # record can take: it is refused whole ("ok line" too), so
            # write(2) fails rather than return a short count.
            self.assertErrno(errno.EMSGSIZE, os.write, fd, data)
            self.assertEqual(os.stat(self.path("t", "0")).st_size, 7)
        finally:
            self.assertErrno(errno.EMSGSIZE, os.close, fd)
        self.assertNothingAppendedSince(b"before\n")

    def test_from_an_unaligned_buffer_the_short_count_holds_no_byte_of_the_long_line(self):
        # From a buffer 3488 bytes into a page the first piece is 1,045,088
        # bytes; its unfinished line (1,045,080 bytes) could still be a
        # record, so the piece is appended ("ok line") and the line held.
        # The second piece ends the line and is refused: write(2) returns
        # the first piece's count, and the retry of the rest (what a write
        # loop does next) is refused too. Nothing of the line is appended.
        self.append("t/0", "before\n")
        offset = 3488
        payload = b"ok line\n" + b"x" * 2_000_000 + b"\n"
        data = buffer_at(payload, offset)
        fd = self.open_append()
        try:
            written = os.write(fd, data)
            self.assertEqual(written, MIB - offset, "the kernel's first piece")
            self.assertEqual(self.read("t", "0"), b"before\nok line\n")
            self.assertErrno(errno.EMSGSIZE, os.write, fd, buffer_at(payload[written:], 0))
            self.assertEqual(os.stat(self.path("t", "0")).st_size, 15)
        finally:
            # The retry held the line's newline: every refusal was reported
            # and nothing is held, so the close itself succeeds.
            os.close(fd)
        self.assertNothingAppendedSince(b"before\nok line\n")

    def test_a_write_loop_over_a_too_long_line_fails_and_appends_none_of_it(self):
        # The harness's own append(): write(2), then the rest after a short
        # count, as stdio and Python's buffered files do.
        self.append("t/0", "before\n")
        with self.assertRaises(OSError) as cm:
            self.append("t/0", b"ok line\n" + b"x" * 2_000_000 + b"\nafter\n")
        self.assertEqual(cm.exception.errno, errno.EMSGSIZE)
        content = self.read("t", "0")
        self.assertIn(content, [b"before\n", b"before\nok line\n"])
        self.assertNothingAppendedSince(content)

    def test_twelve_writes_of_100_000_bytes_of_one_line_are_refused_from_the_eleventh(self):
        fd = self.open_append()
        results = []
        try:
            for _ in range(12):
                try:
                    results.append(os.write(fd, b"p" * 100_000))
                except OSError as e:
                    results.append(errno.errorcode[e.errno])
            self.assertEqual(os.stat(self.path("t", "0")).st_size, 0)
        finally:
            self.assertErrno(errno.EMSGSIZE, os.close, fd)
        # A million bytes still fit a record; 1.1 million never will.
        self.assertEqual(results, [100_000] * 10 + ["EMSGSIZE"] * 2)
        self.assertNothingAppendedSince(b"")

    def test_keyless_last_line_on_a_compacted_topic_fails_close_einval(self):
        self.sh("setfattr -n user.topicfs.key.separator -v : t && "
                "setfattr -n user.topicfs.cleanup.policy -v compact t")
        fd = self.open_append()
        try:
            self.assertEqual(os.write(fd, b"k:v\nnokey"), 9)
        finally:
            self.assertErrno(errno.EINVAL, os.close, fd)
        self.assertIn("cannot be appended as it stands", self.daemon.log())
        self.assertNothingAppendedSince(b"k:v\n")

    def test_unfinished_last_line_still_becomes_a_record_at_close(self):
        self.sh("printf 'abc' >> t/0")  # exits 0: its close reported nothing
        self.wait_for(lambda: self.read("t", "0") == b"abc\n", 2.0, "abc as a record")
        self.assertEqual(self.figures("t/0")["records"], 1)

    def test_a_line_two_processes_write_on_a_keyed_topic_is_one_record(self):
        # The first printf's exit closes the shared file (FLUSH) with "key"
        # held: that close must succeed and must not end the line.
        self.sh("setfattr -n user.topicfs.key.separator -v : t")
        self.sh("{ /usr/bin/printf 'key'; /usr/bin/printf ':value\\n'; } >> t/0")
        self.assertEqual(self.read("t", "0"), b"key:value\n")
        self.assertEqual(self.figures("t/0")["records"], 1)

    def test_on_a_compacted_topic_the_first_process_close_reports_its_keyless_start(self):
        # What a close says is about the line as it stands: keyless, it could
        # not be appended, so the first printf is told EINVAL. The line stays
        # held, and the second printf still finishes it into one record.
        self.sh("setfattr -n user.topicfs.key.separator -v : t && "
                "setfattr -n user.topicfs.cleanup.policy -v compact t")
        r = self.sh("{ /usr/bin/printf 'key'; echo \"first=$?\" >&2; "
                    "/usr/bin/printf ':value\\n'; } >> t/0", check=False)
        err = r.stderr.decode(errors="replace")
        self.assertIn("Invalid argument", err)
        self.assertIn("first=1", err)
        self.assertEqual(r.returncode, 0, err)
        self.assertEqual(self.read("t", "0"), b"key:value\n")


if __name__ == "__main__":
    main()
