#!/usr/bin/env python3
"""The Kafka listener (issue 14) driven by real clients, each result checked
through the other front end: what kcat or python3-kafka produced is what
`cat` prints, what `echo >>` appended is what they consume, and a record's
Kafka offset is its byte position in the partition file.

The daemon runs with --kafka-listen=127.0.0.1:<a free port> beside the
mount; one test runs it with --no-mount. The raw-socket tests send bytes
by hand: malformed and oversized requests close only their connection.
Needs kcat, and python3-kafka with its codec libraries for /usr/bin/python3
(scripts/setup.sh installs them)."""

import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from kafka_listener_fixture import KafkaListenerTestCase, free_port, offsets_of, wait_for_port
from mount_fixture import main, topicfs_bin

CODECS = ("gzip", "snappy", "lz4", "zstd")


class KafkaTestCase(KafkaListenerTestCase):
    """The listener beside the mount, with kcat's consumer at hand."""

    def consume(self, topic, count, start="beginning", partition=0, fmt="%o %s\\n"):
        """`count` records from `start`, as (offset, value) pairs."""
        r = self.kcat("-C", "-t", topic, "-p", str(partition), "-o", str(start), "-c", str(count),
                      "-f", fmt.replace("\\n", "\n"))
        pairs = []
        for line in r.stdout.decode().splitlines():
            offset, _, value = line.partition(" ")
            pairs.append((int(offset), value))
        return pairs


class MetadataTest(KafkaTestCase):

    def test_kcat_lists_the_mounted_topics_and_their_partitions(self):
        self.mkdir("orders")
        self.mkdir("events")
        os.setxattr(self.path("events"), "user.topicfs.partitions", b"3")
        out = self.kcat("-L").stdout.decode()
        self.assertIn(f"broker 1 at {self.broker}", out)
        self.assertIn('topic "orders" with 1 partitions', out)
        self.assertIn('topic "events" with 3 partitions', out)
        for p in range(3):
            self.assertIn(f"partition {p}, leader 1, replicas: 1, isrs: 1", out)

    def test_asking_for_a_missing_topic_creates_it_on_the_mount(self):
        out = self.kcat("-L", "-t", "created-by-kafka").stdout.decode()
        self.assertIn('topic "created-by-kafka" with 1 partitions', out)
        self.assertTrue(os.path.exists(self.path("created-by-kafka", "0")))

    def test_an_invalid_topic_name_is_refused_and_nothing_is_created(self):
        out = self.kcat("-L", "-t", "bad/name", check=False)
        self.assertNotIn('topic "bad/name" with 1 partitions', out.stdout.decode())
        self.assertEqual(os.listdir(self.mnt), [])


class ProduceTest(KafkaTestCase):

    def test_what_kcat_produces_is_what_cat_prints_at_its_byte_positions(self):
        self.mkdir("t")
        lines = [f"line-{i} {'x' * (i % 7)}" for i in range(50)]
        self.kcat("-P", "-t", "t", "-p", "0", input=("\n".join(lines) + "\n").encode())
        self.assertEqual(self.read("t", "0").decode().splitlines(), lines)
        self.assertEqual(os.stat(self.path("t", "0")).st_size, sum(len(l) + 1 for l in lines))
        self.assertEqual(self.consume("t", len(lines)), list(zip(offsets_of(lines), lines)))

    def test_every_codec_produces_the_same_file(self):
        self.mkdir("t")
        expected = []
        for codec in CODECS:
            lines = [f"{codec}-{i}" for i in range(20)]
            self.kcat("-P", "-t", "t", "-p", "0", "-z", codec, input=("\n".join(lines) + "\n").encode())
            expected += lines
        self.assertEqual(self.read("t", "0").decode().splitlines(), expected)
        self.assertEqual(self.consume("t", len(expected)), list(zip(offsets_of(expected), expected)))

    # On a keyed topic a Kafka producer's keyed record reads as a keyed line
    # does: key + separator + value (the separator goes into the record's
    # topicfs.sep header, as for a line written through the mount), and a
    # Kafka consumer gets the key and the value apart.
    def test_keyed_topic_shows_key_separator_value(self):
        self.mkdir("t")
        os.setxattr(self.path("t"), "user.topicfs.key.separator", b":")
        self.kcat("-P", "-t", "t", "-p", "0", "-K:", input=b"k1:v1\nk2:v2\n")
        self.append("t/0", b"k3:v3\n")
        self.assertEqual(self.read("t", "0"), b"k1:v1\nk2:v2\nk3:v3\n")
        r = self.kcat("-C", "-t", "t", "-p", "0", "-o", "beginning", "-e", "-f", "%o %k %s\n")
        self.assertEqual(r.stdout.decode().splitlines(), ["0 k1 v1", "6 k2 v2", "12 k3 v3"])
        # Changing the separator later moves no byte: records keep their own.
        os.setxattr(self.path("t"), "user.topicfs.key.separator", b"=")
        self.assertEqual(self.read("t", "0"), b"k1:v1\nk2:v2\nk3:v3\n")

    def test_keys_reach_the_consumer_and_the_file_shows_values(self):
        self.mkdir("t")
        self.kcat("-P", "-t", "t", "-p", "0", "-K:", input=b"k1:v1\nk2:v2\n")
        self.assertEqual(self.read("t", "0"), b"v1\nv2\n")
        r = self.kcat("-C", "-t", "t", "-p", "0", "-o", "beginning", "-c", "2", "-f", "%o %k %s\n")
        self.assertEqual(r.stdout.decode().splitlines(), ["0 k1 v1", "3 k2 v2"])

    def test_a_follower_at_the_end_is_woken_by_kcat(self):
        self.mkdir("t")
        self.append("t/0", b"old\n")
        follower = subprocess.Popen(["cat", self.path("t", "0@end..")], stdout=subprocess.PIPE)
        try:
            time.sleep(0.5)  # parked at the end
            started = time.monotonic()
            self.kcat("-P", "-t", "t", "-p", "0", input=b"produced\n")
            ready, _, _ = select.select([follower.stdout], [], [], 5)
            self.assertTrue(ready, "the follower was not woken by the produce")
            self.assertEqual(follower.stdout.read1(100), b"produced\n")
            self.assertLess(time.monotonic() - started, 5)
        finally:
            follower.kill()
            follower.wait()

    def test_a_record_over_max_message_bytes_appends_nothing(self):
        self.mkdir("t")
        os.setxattr(self.path("t"), "user.topicfs.max.message.bytes", b"200")
        self.append("t/0", b"before\n")
        r = self.kcat("-P", "-t", "t", "-p", "0", "-X", "message.max.bytes=100000",
                      input=b"y" * 1000 + b"\n", check=False)
        self.assertIn("too large", r.stderr.decode().lower())
        self.assertEqual(self.read("t", "0"), b"before\n")

    def test_produce_to_a_missing_partition_fails(self):
        self.mkdir("t")
        r = self.kcat("-P", "-t", "t", "-p", "5", input=b"x\n", check=False, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(os.listdir(self.path("t")), ["0"])


class ConsumeTest(KafkaTestCase):

    def test_what_echo_appended_kcat_consumes_at_the_same_offsets(self):
        self.mkdir("t")
        lines = ["alpha", "beta", "gamma delta", ""]
        self.append("t/0", ("\n".join(lines) + "\n").encode())
        self.assertEqual(self.consume("t", 4), list(zip(offsets_of(lines), lines)))

    def test_consume_from_an_offset_inside_the_file(self):
        self.mkdir("t")
        lines = [f"r{i}" for i in range(10)]
        self.append("t/0", ("\n".join(lines) + "\n").encode())
        offsets = offsets_of(lines)
        self.assertEqual(self.consume("t", 3, start=offsets[6]), list(zip(offsets[6:9], lines[6:9])))

    def test_consume_from_the_end_is_woken_by_echo(self):
        self.mkdir("t")
        self.append("t/0", b"old\n")
        kcat = subprocess.Popen(["kcat", "-b", self.broker, "-C", "-t", "t", "-p", "0", "-o", "end",
                                 "-c", "1", "-f", "%o %s\n"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(1.5)  # connected and long-polling at the end
            self.append("t/0", b"new line\n")
            out, err = kcat.communicate(timeout=20)
        finally:
            if kcat.poll() is None:
                kcat.kill()
                kcat.wait()
        self.assertEqual(out.decode(), "4 new line\n", err.decode())

    def test_kcat_e_ends_at_the_file_size(self):
        # Every batch's last offset is its presented end - 1, so a consumer's
        # position after the last record is st_size, where librdkafka sees the end.
        self.mkdir("t")
        self.append("t/0", b"a\nbb\n")
        self.kcat("-P", "-t", "t", "-p", "0", input=b"ccc\n")
        self.append("t/0", b"dddd\n")
        r = self.kcat("-C", "-t", "t", "-p", "0", "-o", "beginning", "-e", "-f", "%o %s\n")
        self.assertEqual(r.stdout.decode(), "0 a\n2 bb\n5 ccc\n9 dddd\n")
        size = os.stat(self.path("t", "0")).st_size
        self.assertIn(f"end of topic t [0] at offset {size}", r.stderr.decode())
        r = self.kcat("-C", "-t", "t", "-p", "0", "-o", "end", "-e")
        self.assertEqual(r.stdout, b"")
        self.assertIn(f"at offset {size}", r.stderr.decode())

    def test_big_partition_is_consumed_whole_over_several_fetches(self):
        self.mkdir("t")
        lines = [f"{i:06d} {'z' * 200}" for i in range(20000)]
        self.append("t/0", ("\n".join(lines) + "\n").encode())
        got = self.consume("t", len(lines))
        self.assertEqual(len(got), len(lines))
        self.assertEqual(got[-1], (offsets_of(lines)[-1], lines[-1]))

    def test_query_offsets_by_time(self):
        self.mkdir("t")
        self.append("t/0", b"early\n")
        time.sleep(0.05)
        middle = int(time.time() * 1000)
        time.sleep(0.05)
        self.append("t/0", b"late\n")
        out = self.kcat("-Q", "-t", f"t:0:{middle}").stdout.decode()
        self.assertIn("offset 6", out)


class PythonClientTest(KafkaTestCase):

    def test_python_kafka_produces_and_consumes_with_negotiated_versions(self):
        self.mkdir("t")
        self.append("t/0", b"from the shell\n")
        out = self.python("""
import sys
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
b = sys.argv[1]
for codec in (None, "gzip", "snappy", "lz4", "zstd"):
    p = KafkaProducer(bootstrap_servers=b, compression_type=codec)
    md = p.send("t", key=b"k", value=("py-%s" % codec).encode(), partition=0).get(timeout=20)
    print("produced", md.offset)
    p.close()
c = KafkaConsumer(bootstrap_servers=b, consumer_timeout_ms=5000)
tp = TopicPartition("t", 0)
c.assign([tp])
c.seek_to_beginning(tp)
for m in c:
    print("consumed", m.offset, m.value.decode())
print("end", c.end_offsets([tp])[tp], "position", c.position(tp))
c.close()
""")
        lines = ["from the shell"] + [f"py-{c}" for c in ("None",) + CODECS]
        offsets = offsets_of(lines)
        self.assertEqual(self.read("t", "0").decode().splitlines(), lines)
        expected = [f"produced {o}" for o in offsets[1:]]
        expected += [f"consumed {o} {l}" for o, l in zip(offsets, lines)]
        size = os.stat(self.path('t', '0')).st_size
        expected.append(f"end {size} position {size}")
        self.assertEqual(out.splitlines(), expected)


def frame(api_key, version, correlation, body=b"", client=b"raw"):
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    if version >= 3 and api_key == 18:
        header += b"\x00"  # header v2's tagged fields
    request = header + body
    return struct.pack(">i", len(request)) + request


class RawProtocolTest(KafkaTestCase):

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.addCleanup(s.close)
        return s

    def read_response(self, s):
        size = self.recv_exactly(s, 4)
        if len(size) < 4:
            return None
        return self.recv_exactly(s, struct.unpack(">i", size)[0])

    @staticmethod
    def recv_exactly(s, n):
        out = b""
        while len(out) < n:
            chunk = s.recv(n - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def assertStillServes(self):
        s = self.connect()
        s.sendall(frame(18, 0, 99))
        response = self.read_response(s)
        self.assertEqual(struct.unpack(">ih", response[:6]), (99, 0))

    def test_a_newer_api_versions_is_answered_unsupported_with_the_ranges_in_v0(self):
        s = self.connect()
        s.sendall(frame(18, 77, 5))
        response = self.read_response(s)
        correlation, error, count = struct.unpack(">ihi", response[:10])
        self.assertEqual((correlation, error), (5, 35))
        ranges = {struct.unpack(">hhh", response[10 + 6 * i:16 + 6 * i])[0] for i in range(count)}
        self.assertTrue({0, 1, 2, 3, 18} <= ranges)

    def test_an_oversized_request_closes_only_its_connection(self):
        s = self.connect()
        s.sendall(struct.pack(">i", 200 << 20) + b"x" * 100)
        self.assertIsNone(self.read_response(s))
        self.assertIn("socket.request.max.bytes", self.daemon.log())
        self.assertStillServes()

    def test_a_truncated_request_closes_the_connection(self):
        s = self.connect()
        s.sendall(struct.pack(">i", 3) + b"\x00\x03\x00")
        self.assertIsNone(self.read_response(s))
        self.assertStillServes()

    def test_an_unknown_api_closes_the_connection(self):
        s = self.connect()
        s.sendall(frame(999, 0, 1))
        self.assertIsNone(self.read_response(s))
        self.assertStillServes()

    def test_a_produce_whose_batch_is_damaged_appends_nothing(self):
        self.mkdir("t")
        self.append("t/0", b"kept\n")
        bogus_batch = struct.pack(">qi", 0, 49) + b"\x00" * 49
        partition = struct.pack(">i", 0) + struct.pack(">i", len(bogus_batch)) + bogus_batch
        topic = struct.pack(">h", 1) + b"t" + struct.pack(">i", 1) + partition
        body = struct.pack(">hhii", -1, 1, 5000, 1) + topic  # no transactional id, acks 1
        s = self.connect()
        s.sendall(frame(0, 3, 7, body))
        response = self.read_response(s)
        self.assertIsNotNone(response, self.daemon.log())
        # correlation, topics[1] "t", partitions[1]: index 0, error code
        error = struct.unpack(">h", response[4 + 4 + 3 + 4 + 4:4 + 4 + 3 + 4 + 4 + 2])[0]
        self.assertNotEqual(error, 0)
        self.assertEqual(self.read("t", "0"), b"kept\n")


class NoMountTest(unittest.TestCase):
    """--no-mount: the Kafka listener alone over DATA_DIR, stopped by SIGTERM."""

    def test_no_mount_serves_kafka_and_stops_cleanly_on_sigterm(self):
        tmp = tempfile.mkdtemp(prefix="topicfs-e2e-")
        self.addCleanup(shutil.rmtree, tmp, True)
        port = free_port()
        log = open(os.path.join(tmp, "log"), "wb")
        self.addCleanup(log.close)
        proc = subprocess.Popen([topicfs_bin(), "-f", f"--kafka-listen=127.0.0.1:{port}", "--no-mount",
                                 os.path.join(tmp, "data")], stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port)
            broker = f"127.0.0.1:{port}"
            subprocess.run(["kcat", "-b", broker, "-L", "-t", "solo"], check=True, capture_output=True,
                           timeout=30)
            subprocess.run(["kcat", "-b", broker, "-P", "-t", "solo", "-p", "0"], input=b"one\ntwo\n",
                           check=True, timeout=30)
            out = subprocess.run(["kcat", "-b", broker, "-C", "-t", "solo", "-p", "0", "-o", "beginning",
                                  "-c", "2", "-f", "%o %s\n"], check=True, capture_output=True, timeout=30)
            self.assertEqual(out.stdout.decode(), "0 one\n4 two\n")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise
        self.assertEqual(rc, 0)
        self.assertTrue(os.path.exists(os.path.join(tmp, "data", "solo-0")))
        self.assertTrue(os.path.exists(os.path.join(tmp, "data", ".kafka_cleanshutdown")))

    def test_a_non_loopback_address_needs_the_explicit_flag(self):
        tmp = tempfile.mkdtemp(prefix="topicfs-e2e-")
        self.addCleanup(shutil.rmtree, tmp, True)
        r = subprocess.run([topicfs_bin(), "-f", "--kafka-listen=0.0.0.0:9092", "--no-mount",
                            os.path.join(tmp, "data")], capture_output=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--kafka-listen-any-address", r.stderr.decode())


if __name__ == "__main__":
    main()
