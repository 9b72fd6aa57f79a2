#!/usr/bin/env python3
"""Idempotent Produce through the Kafka listener (issue 14): a retry of a
batch whose answer was lost appends nothing and is answered with the
offset the batch got the first time, also after a kill -9 and a restart
(the producer state replayed from the log) and after a clean restart (from
the .snapshot files, which Kafka's own DumpLogSegments decodes).

- Kafka's Java producer (ConsoleProducer: enable.idempotence=true, acks=all)
  sends through a TCP proxy that, now and then, forwards a Produce request,
  lets the daemon answer it, and drops the connection instead of relaying
  the answer: the producer retries the same sequence, and every line is in
  the partition file exactly once.
- Hand-built Produce requests (RecordBatch v2 with a producer id, epoch and
  sequence) check each answer: duplicates (NONE, the first offset),
  OUT_OF_ORDER_SEQUENCE_NUMBER (45), INVALID_PRODUCER_EPOCH (47).

Needs Kafka's jars (tests/e2e/kafka_tools.py) for the Java tests."""

import glob
import os
import re
import select
import socket
import struct
import subprocess
import threading
import time

import kafka_tools
from kafka_listener_fixture import KafkaListenerTestCase, offsets_of, wait_for_port
from mount_fixture import main, topicfs_bin

PRODUCE, METADATA = 0, 3
OUT_OF_ORDER_SEQUENCE_NUMBER, INVALID_PRODUCER_EPOCH = 45, 47


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def varint(n):
    z = (n << 1) ^ (n >> 63)  # zigzag
    out = b""
    while True:
        if z < 0x80:
            return out + bytes([z])
        out += bytes([(z & 0x7F) | 0x80])
        z >>= 7


def record_batch(values, producer_id, epoch, sequence, timestamp=None):
    """A RecordBatch v2 as a Kafka client builds it: offsets 0, 1, 2, ...,
    stamped now unless timestamp says when (a producer's state expires
    producer.id.expiration.ms after its last batch's timestamp)."""
    if timestamp is None:
        timestamp = int(time.time() * 1000)
    records = b""
    for i, v in enumerate(values):
        body = b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v + varint(0)
        records += varint(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, timestamp, timestamp, producer_id, epoch,
                            sequence, len(values)) + records
    after_length = struct.pack(">ibI", -1, 2, crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def recv_exactly(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise AssertionError("connection closed")
        out += chunk
    return out


def produce(port, topic, batch, correlation=1):
    """Produce v3 (acks -1) of one batch to partition 0: (error, base offset)."""
    name = topic.encode()
    partition = struct.pack(">ii", 0, len(batch)) + batch
    body = struct.pack(">hhii", -1, -1, 10000, 1) + struct.pack(">h", len(name)) + name + \
        struct.pack(">i", 1) + partition
    client = b"idem-test"
    request = struct.pack(">hhih", PRODUCE, 3, correlation, len(client)) + client + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(request)) + request)
        response = recv_exactly(s, struct.unpack(">i", recv_exactly(s, 4))[0])
    # correlation, topics[1]: name, partitions[1]: index, error, base offset
    at = 4 + 4 + 2 + len(name) + 4 + 4
    return struct.unpack(">hq", response[at:at + 10])


class DroppingProxy:
    """A TCP proxy to the listener on 127.0.0.1:target. Every drop_every-th
    Produce request is forwarded, its answer read from the daemon and
    thrown away, and the client's connection closed: the request landed,
    the producer never learns it. Metadata answers name the proxy's port
    instead of the listener's, so the client stays behind the proxy."""

    def __init__(self, target, drop_every):
        self.target, self.drop_every = target, drop_every
        self.produces = self.dropped = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopping = False
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def close(self):
        self.stopping = True
        self.listener.close()
        for t in self.threads:
            t.join(timeout=5)

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self.threads.append(t)
            t.start()

    @staticmethod
    def _frames(buf):
        """Whole frames at the front of buf, and what is left."""
        frames = []
        while len(buf) >= 4:
            n = struct.unpack(">i", buf[:4])[0]
            if len(buf) < 4 + n:
                break
            frames.append(buf[:4 + n])
            buf = buf[4 + n:]
        return frames, buf

    def _serve(self, client):
        server = socket.create_connection(("127.0.0.1", self.target))
        api_of = {}  # correlation id -> api key of the request
        from_client = from_server = b""
        listener_addr = b"127.0.0.1" + struct.pack(">i", self.target)
        proxy_addr = b"127.0.0.1" + struct.pack(">i", self.port)
        try:
            while not self.stopping:
                readable, _, _ = select.select([client, server], [], [], 0.5)
                if client in readable:
                    data = client.recv(65536)
                    if not data:
                        return
                    frames, from_client = self._frames(from_client + data)
                    for f in frames:
                        api, correlation = struct.unpack(">h", f[4:6])[0], struct.unpack(">i", f[8:12])[0]
                        api_of[correlation] = api
                        server.sendall(f)
                        if api == PRODUCE:
                            with self.lock:
                                self.produces += 1
                                drop = self.produces % self.drop_every == 0
                            if drop:
                                self._swallow_answer(server, correlation, client, from_server)
                                with self.lock:
                                    self.dropped += 1
                                return
                if server in readable:
                    data = server.recv(65536)
                    if not data:
                        return
                    frames, from_server = self._frames(from_server + data)
                    for f in frames:
                        if api_of.get(struct.unpack(">i", f[4:8])[0]) == METADATA:
                            f = f.replace(listener_addr, proxy_addr)
                        client.sendall(f)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def _swallow_answer(self, server, correlation, client, pending):
        """Relays the answers before the dropped request's, reads its own."""
        buf = pending
        server.settimeout(10)
        while True:
            frames, buf = self._frames(buf)
            for f in frames:
                if struct.unpack(">i", f[4:8])[0] == correlation:
                    return
                client.sendall(f)
            data = server.recv(65536)
            if not data:
                return
            buf += data


class IdempotentProduceTest(KafkaListenerTestCase):
    """Hand-built produces with a producer id against the listener."""

    PID = 987_654_321

    def produce(self, values, sequence, epoch=0, pid=PID, topic="t"):
        return produce(self.port, topic, record_batch([v.encode() for v in values], pid, epoch, sequence))

    def produce_ok(self, values, sequence, epoch=0, pid=PID):
        error, base = self.produce(values, sequence, epoch, pid)
        self.assertEqual(error, 0, self.daemon.log())
        return base

    def test_a_retry_is_answered_with_its_first_offset_before_and_after_kill_9(self):
        self.mkdir("t")
        self.append("t/0", b"shell line\n")
        a = self.produce_ok(["a1", "a2", "a3"], 0)
        b = self.produce_ok(["b1", "b2"], 3)
        self.assertEqual((a, b), (11, 20))
        expected = b"shell line\na1\na2\na3\nb1\nb2\n"
        self.assertEqual(self.produce(["b1", "b2"], 3), (0, b))
        self.assertEqual(self.read("t", "0"), expected)

        # kill -9: no snapshot at the end; the state is replayed from the log.
        self.crash_and_remount()
        wait_for_port(self.port)
        self.assertEqual(self.produce(["b1", "b2"], 3), (0, b))
        self.assertEqual(self.produce(["a1", "a2", "a3"], 0), (0, a))
        self.assertEqual(self.produce(["c"], 9)[0], OUT_OF_ORDER_SEQUENCE_NUMBER)
        self.assertEqual(self.read("t", "0"), expected)

        # A new epoch starts at sequence 0; the old one is fenced.
        c = self.produce_ok(["c"], 0, epoch=1)
        self.assertEqual(self.produce(["d"], 5, epoch=0)[0], INVALID_PRODUCER_EPOCH)
        self.assertEqual(self.read("t", "0"), expected + b"c\n")

        # A clean restart: from the snapshot written at the close.
        self.remount()
        wait_for_port(self.port)
        self.assertEqual(self.produce(["c"], 0, epoch=1), (0, c))
        self.assertEqual(self.read("t", "0"), expected + b"c\n")

    def test_two_batches_of_a_producer_in_one_produce_are_refused(self):
        self.mkdir("t")
        batches = record_batch([b"x"], self.PID, 0, 0) + record_batch([b"y"], self.PID, 0, 1)
        self.assertEqual(produce(self.port, "t", batches)[0], 87)  # INVALID_RECORD
        self.assertEqual(self.read("t", "0"), b"")


class ProducerExpirationTest(KafkaListenerTestCase):
    """--producer-id-expiration-ms (Kafka's producer.id.expiration.ms): a
    producer is forgotten that long after its last batch."""

    PID = 123_456

    def setUp(self):
        super().setUp()
        self.stop_daemon()
        self.daemon_args = (*self.daemon_args, "--producer-id-expiration-ms=2000")
        self.start_daemon()
        wait_for_port(self.port)

    def test_an_expired_producers_retry_is_appended_again_after_a_restart(self):
        self.mkdir("t")
        first, retried = record_batch([b"first"], self.PID, 0, 0), record_batch([b"old"], self.PID + 1, 0, 0)
        self.assertEqual(produce(self.port, "t", first), (0, 0))
        self.assertEqual(produce(self.port, "t", retried), (0, 6))
        self.assertEqual(produce(self.port, "t", retried), (0, 6), "a duplicate while the producer is known")
        time.sleep(2.5)
        # The snapshot written at the close still holds both; the load leaves
        # out what expired, as Kafka's loadFromSnapshot does.
        self.remount()
        wait_for_port(self.port)
        self.assertEqual(produce(self.port, "t", retried), (0, 10), "an expired producer's retry is new")
        self.assertEqual(self.read("t", "0"), b"first\nold\nold\n")
        self.assertEqual(produce(self.port, "t", record_batch([b"x"], self.PID + 1, 0, 1)), (0, 14))

    def test_a_bad_value_is_refused_at_start(self):
        r = subprocess.run([topicfs_bin(), "--producer-id-expiration-ms=soon", self.data, self.mnt],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"producer-id-expiration-ms needs a positive number of milliseconds", r.stderr)


class JavaProducerTest(KafkaListenerTestCase):
    """Kafka's Java producer, and Kafka's DumpLogSegments on the snapshots."""

    @classmethod
    def setUpClass(cls):
        kafka_tools.jars_or_skip()
        super().setUpClass()

    def test_retries_after_lost_answers_store_every_record_once(self):
        self.mkdir("jt")
        proxy = DroppingProxy(self.port, drop_every=4)
        self.addCleanup(proxy.close)
        lines = [f"record-{i:05d}" for i in range(400)]
        properties = {
            "enable.idempotence": "true", "acks": "all", "max.in.flight.requests.per.connection": "5",
            "batch.size": "300", "linger.ms": "2", "retry.backoff.ms": "20", "reconnect.backoff.ms": "20",
            "request.timeout.ms": "10000", "delivery.timeout.ms": "60000",
        }
        args = ["--bootstrap-server", f"127.0.0.1:{proxy.port}", "--topic", "jt"]
        for k, v in properties.items():
            args += ["--producer-property", f"{k}={v}"]
        r = kafka_tools.run_main("org.apache.kafka.tools.ConsoleProducer", args, timeout=120, check=False,
                                 input="".join(line + "\n" for line in lines))
        self.assertEqual(r.returncode, 0, f"{r.stderr[-4000:]}\n{self.daemon.log()}")
        self.assertGreaterEqual(proxy.dropped, 2, f"{proxy.produces} produces, none dropped")
        self.assertEqual(self.read("jt", "0").decode().splitlines(), lines)

    def test_dump_log_segments_decodes_the_snapshots_topicfs_writes(self):
        self.mkdir("t")
        self.sh(f"setfattr -n user.topicfs.internal.segment.bytes -v 300 {self.path('t')}")
        pids = (1111, 2222)
        for seq in range(6):
            for pid in pids:
                values = [f"{pid}-{seq}-{i}".encode() for i in range(2)]
                self.assertEqual(produce(self.port, "t", record_batch(values, pid, 3, 2 * seq))[0], 0)
        lines = self.read("t", "0").decode().splitlines()
        offsets = offsets_of(lines)
        self.stop_daemon()  # a clean close writes the snapshot at the log end
        part = os.path.join(self.data, "t-0")
        snapshots = sorted(glob.glob(os.path.join(part, "*.snapshot")))
        self.assertGreaterEqual(len(snapshots), 2, os.listdir(part))
        end = sum(len(line) + 1 for line in lines)
        self.assertEqual(os.path.basename(snapshots[-1]), f"{end:020d}.snapshot")
        r = kafka_tools.run_main(kafka_tools.DUMP_LOG_SEGMENTS, ["--files", ",".join(snapshots)], timeout=120)
        self.assertNotIn("Exception", r.stdout + r.stderr)
        self.assertNotIn("corrupt", (r.stdout + r.stderr).lower())
        # The newest snapshot (at the log end) holds both producers' last batches.
        newest = r.stdout.split(f"Dumping {snapshots[-1]}")[1]
        entries = re.findall(r"producerId: (\d+) producerEpoch: (\d+) .*?lastSequence: (\d+) lastOffset: (\d+)",
                             newest)
        self.assertEqual(sorted((int(p), int(e), int(s)) for p, e, s, _ in entries),
                         [(1111, 3, 11), (2222, 3, 11)], r.stdout)
        # Each last offset is the last batch's last offset: its presented
        # end - 1, the newline of that producer's last record.
        ends = {o + len(line): line for o, line in zip(offsets, lines)}
        for pid, _, _, last in entries:
            self.assertEqual(ends[int(last)], f"{pid}-5-1")
        # An older one, at a segment's base, holds what was below it.
        older = r.stdout.split(f"Dumping {snapshots[-2]}")[1].split("Dumping")[0]
        base = int(os.path.basename(snapshots[-2]).split(".")[0])
        for last in re.findall(r"lastOffset: (\d+)", older):
            self.assertLess(int(last), base)


if __name__ == "__main__":
    main()
