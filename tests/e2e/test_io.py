#!/usr/bin/env python3
"""Appending and reading with the usual tools: echo >>, cat >>, cat, wc,
tail -n, tail -f, grep, dd; line framing across writes; concurrent writers."""

import errno
import os
import select
import subprocess
import sys
import time

from mount_fixture import MountedTestCase, lines_text, main


def read_until(proc, expected, timeout):
    """Reads proc.stdout until it has produced `expected` (bytes) in total,
    or the deadline passes; returns what was read."""
    got = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while len(got) < len(expected):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        got += chunk
    return got


class AppendAndReadTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")

    def test_echo_and_cat_append_100000_lines_read_back_exactly(self):
        # echo >>: one write(2) per line, one open for the whole loop...
        self.sh("for i in $(seq 0 99999); do echo \"echo line $i\"; done >> t/0")
        expected = "".join(f"echo line {i}\n" for i in range(100000)).encode()
        # ...and one open per line.
        self.sh("for i in $(seq 0 499); do echo \"open $i\" >> t/0; done")
        expected += "".join(f"open {i}\n" for i in range(500)).encode()
        # cat >>: bulk writes of many lines each.
        bulk = lines_text("cat", 100000)
        src = os.path.join(self.tmp, "bulk.txt")
        with open(src, "wb") as f:
            f.write(bulk)
        self.sh(f"cat {src} >> t/0")
        expected += bulk

        self.assertEqual(self.sh("cat t/0").stdout, expected)
        self.assertEqual(self.read("t", "0"), expected)
        self.assertEqual(int(self.sh("wc -l < t/0").stdout), 200500)
        self.assertEqual(int(self.sh("wc -c < t/0").stdout), len(expected))
        self.assertEqual(os.stat(self.path("t", "0")).st_size, len(expected))
        self.assertEqual(self.sh("head -n 3 t/0").stdout, b"echo line 0\necho line 1\necho line 2\n")
        self.assertEqual(self.sh("cmp t/0 -", input=expected).returncode, 0)
        self.sh(f"cp t/0 {self.tmp}/copy && cmp t/0 {self.tmp}/copy")
        self.assertEqual(self.sh("md5sum < t/0").stdout, self.sh("md5sum", input=expected).stdout)

    def test_tail_n_5_prints_the_last_5_lines(self):
        content = lines_text("t", 30000)
        self.append("t/0", content)
        expected = b"".join(content.splitlines(keepends=True)[-5:])
        self.assertEqual(self.sh("tail -n 5 t/0").stdout, expected)
        self.assertEqual(self.sh("tail -n 1 t/0").stdout, b"t-0029999 " + b"x" * 20 + b"\n")
        self.assertEqual(self.sh("tail -c 31 t/0").stdout, expected[-31:])

    def test_tail_f_follows_lines_appended_after_it_started(self):
        self.append("t/0", lines_text("old", 20))
        tail = subprocess.Popen(["tail", "-f", self.path("t", "0")], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            initial = lines_text("old", 10, start=10)
            self.assertEqual(read_until(tail, initial, 5.0), initial)
            for n in range(3):
                line = f"new line {n} appended while tail -f runs\n".encode()
                self.sh(f"echo 'new line {n} appended while tail -f runs' >> t/0")
                self.assertEqual(read_until(tail, line, 2.0), line,
                                 f"tail -f did not show append {n} within 2 s")
        finally:
            tail.kill()
            tail.wait()
            tail.stdout.close()
            tail.stderr.close()

    def test_grep_c_counts_matching_lines(self):
        lines = [f"{'ERROR' if i % 7 == 0 else 'INFO'} event {i}\n" for i in range(50000)]
        self.append("t/0", "".join(lines))
        errors = sum(1 for i in range(50000) if i % 7 == 0)
        self.assertEqual(int(self.sh("grep -c ERROR t/0").stdout), errors)
        self.assertEqual(int(self.sh("grep -c INFO t/0").stdout), 50000 - errors)
        self.assertEqual(int(self.sh("grep -c 'event 4999[0-9]$' t/0").stdout), 10)
        self.assertEqual(self.sh("grep -c NOTHING t/0", check=False).stdout, b"0\n")

    def test_tee_a_appends(self):
        self.sh("echo first | tee -a t/0 >/dev/null; printf 'second\\nthird\\n' | tee -a t/0 >/dev/null")
        self.assertEqual(self.read("t", "0"), b"first\nsecond\nthird\n")

    def test_seek_hole_reports_no_hole(self):
        content = lines_text("h", 1000)
        self.append("t/0", content)
        fd = os.open(self.path("t", "0"), os.O_RDONLY)
        try:
            self.assertEqual(os.lseek(fd, 0, os.SEEK_DATA), 0)
            self.assertEqual(os.lseek(fd, 0, os.SEEK_HOLE), len(content))
            self.assertEqual(os.lseek(fd, 0, os.SEEK_END), len(content))
            self.assertEqual(os.read(fd, 10), b"")  # EOF at the end, no blocking
        finally:
            os.close(fd)

    def test_dd_skip_reads_from_byte_n(self):
        content = lines_text("d", 10000)
        self.append("t/0", content)
        for n in [0, 1, 30, 31, 4095, 4096, 65537, len(content) - 1, len(content)]:
            with self.subTest(skip=n):
                r = self.sh(f"dd if=t/0 iflag=skip_bytes skip={n} bs=64K status=none")
                self.assertEqual(r.stdout, content[n:])
        # Byte at a time, as in dd bs=1 skip=N.
        r = self.sh("dd if=t/0 bs=1 skip=100 count=200 status=none")
        self.assertEqual(r.stdout, content[100:300])
        # pread at arbitrary positions.
        with open(self.path("t", "0"), "rb") as f:
            for n in [7, 12345, 299999]:
                self.assertEqual(os.pread(f.fileno(), 50, n), content[n:n + 50])


class LineFramingTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")

    def wait_content(self, expected, timeout=2.0):
        """A partial line becomes a record at release, which FUSE sends
        asynchronously after close(): poll until the content matches."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.read("t", "0")
            if got == expected or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        self.assertEqual(got, expected)

    def test_partial_writes_within_one_open_make_one_line(self):
        self.sh("{ printf ab; printf 'cd\\n'; } >> t/0")
        self.wait_content(b"abcd\n")
        self.assertEqual(self.figures("t/0")["records"], 1)

    def test_partial_writes_in_separate_opens_make_separate_lines(self):
        self.sh("printf ab >> t/0; printf cd >> t/0")
        self.wait_content(b"ab\ncd\n")
        self.assertEqual(self.figures("t/0")["records"], 2)
        self.assertEqual(int(self.sh("wc -l < t/0").stdout), 2)

    def test_trailing_partial_line_becomes_record_on_close(self):
        self.sh("printf 'one\\ntwo\\nthr' >> t/0")
        self.wait_content(b"one\ntwo\nthr\n")
        self.assertEqual(self.figures("t/0")["records"], 3)

    def test_partial_line_is_held_until_its_newline(self):
        fd = os.open(self.path("t", "0"), os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, b"complete\npart")
            self.assertEqual(self.read("t", "0"), b"complete\n")
            os.write(fd, b"ial")
            self.assertEqual(self.read("t", "0"), b"complete\n")
            os.write(fd, b" line\nnext\n")
            self.assertEqual(self.read("t", "0"), b"complete\npartial line\nnext\n")
        finally:
            os.close(fd)
        self.assertEqual(self.figures("t/0")["records"], 3)

    def test_line_longer_than_max_message_bytes_fails_emsgsize_and_appends_nothing(self):
        self.sh("setfattr -n user.topicfs.max.message.bytes -v 1000 t")
        self.append("t/0", "before\n")
        fd = os.open(self.path("t", "0"), os.O_WRONLY | os.O_APPEND)
        try:
            # Nothing of a refused write is appended, not even its short lines.
            self.assertErrno(errno.EMSGSIZE, os.write, fd, b"short\n" + b"x" * 2000 + b"\nafter\n")
            self.assertEqual(self.read("t", "0"), b"before\n")
            os.write(fd, b"fine\n")
        finally:
            os.close(fd)
        self.assertEqual(self.read("t", "0"), b"before\nfine\n")
        self.assertShellFails("head -c 3000 /dev/zero | tr '\\0' y >> t/0", "Message too long")
        self.wait_content(b"before\nfine\n")

    def test_long_line_of_half_a_mebibyte_is_one_record(self):
        line = b"L" * (512 * 1024) + b"\n"
        self.append("t/0", line + b"short\n")
        self.wait_content(line + b"short\n")
        self.assertEqual(self.figures("t/0")["records"], 2)

    def test_empty_lines_are_records(self):
        self.sh("printf '\\n\\nx\\n\\n' >> t/0")
        self.wait_content(b"\n\nx\n\n")
        self.assertEqual(self.figures("t/0")["records"], 4)


# A writer process: appends count lines "<name>-<i> ..." to path, in the
# given style, then exits 0.
WRITER = r"""
import os, sys, time
path, name, count, style, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
while not os.path.exists(go):  # start together
    time.sleep(0.005)
lines = [f"{name}-{i:06d} {name * (1 + i % 13)}\n".encode() for i in range(count)]
if style == "single":          # unbuffered: one write(2) per line
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    for line in lines:
        assert os.write(fd, line) == len(line)
    os.close(fd)
elif style == "chunks":        # write(2) of 100 whole lines at a time
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    for i in range(0, count, 100):
        data = b"".join(lines[i:i + 100])
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    os.close(fd)
elif style == "buffered":      # stdio-like 8 KiB buffer: lines split across writes
    with open(path, "ab", buffering=8192) as f:
        for line in lines:
            f.write(line)
"""


class ConcurrentWritersTest(MountedTestCase):

    def test_readers_during_appends_see_whole_lines_of_a_growing_prefix(self):
        self.mkdir("t")
        path = self.path("t", "0")
        count = 20000
        go = os.devnull  # exists: the writer starts at once
        writer = subprocess.Popen([sys.executable, "-c", WRITER, path, "W", str(count), "chunks", go])
        expected = "".join(f"W-{i:06d} {'W' * (1 + i % 13)}\n" for i in range(count)).encode()
        reads = 0
        try:
            while writer.poll() is None or reads < 3:
                got = self.sh("cat t/0").stdout
                reads += 1
                self.assertTrue(got == b"" or got.endswith(b"\n"), "a reader saw a torn line")
                self.assertEqual(got, expected[:len(got)], "a reader saw something not written")
                self.assertLessEqual(len(got), os.stat(path).st_size)
        finally:
            self.assertEqual(writer.wait(timeout=120), 0)
        self.assertEqual(self.read("t", "0"), expected)

    def test_four_concurrent_writers_give_intact_lines_in_writer_order(self):
        self.mkdir("t")
        path = self.path("t", "0")
        count = 10000
        go = os.path.join(self.tmp, "go")
        procs = []
        for name, style in [("A", "single"), ("B", "chunks"), ("C", "buffered")]:
            procs.append(subprocess.Popen(
                [sys.executable, "-c", WRITER, path, name, str(count), style, go]))
        # D: a shell whose printf builtin does one write(2) per line.
        procs.append(subprocess.Popen(
            ["bash", "-c", f"until [ -e {go} ]; do sleep 0.005; done; s=DDDDDDDDDDDDD; "
                           f"for ((i = 0; i < {count}; i++)); do "
                           f"printf 'D-%06d %s\\n' $i \"${{s:0:$((1 + i % 13))}}\"; "
                           f"done >> {path}"]))
        time.sleep(0.2)
        open(go, "w").close()
        for p in procs:
            self.assertEqual(p.wait(timeout=180), 0)

        content = self.read("t", "0")
        self.assertTrue(content.endswith(b"\n"))
        got = {"A": [], "B": [], "C": [], "D": []}
        for line in content.split(b"\n")[:-1]:
            name = line[:1].decode()
            self.assertIn(name, got, f"torn or foreign line {line[:80]!r}")
            got[name].append(line)
        for name in "ABCD":
            expected = [f"{name}-{i:06d} {name * (1 + i % 13)}".encode() for i in range(count)]
            self.assertEqual(len(got[name]), count, f"writer {name}")
            self.assertTrue(got[name] == expected, f"writer {name}: lines differ or out of order")
        self.assertEqual(len(content.split(b"\n")) - 1, 4 * count)
        self.assertEqual(os.stat(path).st_size, len(content))
        # The writers really ran at the same time: the single-line ones
        # interleave.
        names = [line[:1] for line in content.split(b"\n")[:-1] if line[:1] in (b"A", b"D")]
        switches = sum(1 for a, b in zip(names, names[1:]) if a != b)
        self.assertGreater(switches, 10, "writers A and D did not overlap")


if __name__ == "__main__":
    main()
