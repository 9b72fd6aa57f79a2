#!/usr/bin/env python3
"""`topicfs import` of partitions a real Apache Kafka 4.4 broker wrote
(issue 15, point 2): records produced with Kafka's own perf tool (lz4,
transactions) and console producer (keys, headers) are copied into a
topicfs data directory and read back through the mount with cat, wc and
the `@group=` view: every record once, in order, with timestamps, keys,
headers and producer ids kept, the transaction markers left out, and a
Kafka consumer group's committed position translated to the same record.

Needs Kafka's jars (tests/e2e/kafka_tools.py); one broker for the class."""

import glob
import os
import re
import subprocess

import dump_log_segments
import kafka_tools
from mount_fixture import MountedTestCase, main, topicfs_bin

PERF = "org.apache.kafka.tools.ProducerPerformance"
GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
RECORDS = 20000
RECORD_SIZE = 100


class KafkaImportTest(MountedTestCase):

    def setUp(self):
        kafka_tools.jars_or_skip()
        super().setUp()
        self.broker = kafka_tools.KafkaBroker()
        self.addCleanup(self.broker.close)
        self.stop_daemon()  # the data directory is the import's; mounted again to read

    def perf(self, topic, *extra):
        self.broker.create_topic(topic)
        r = kafka_tools.run_main(PERF, [
            "--topic", topic, "--num-records", str(RECORDS), "--record-size", str(RECORD_SIZE),
            "--throughput", "-1", *extra, "--producer-props", f"bootstrap.servers={self.broker.bootstrap}",
            "compression.type=lz4", "linger.ms=5"], timeout=300)
        self.assertIn(f"{RECORDS} records sent", r.stdout)

    def committed(self, group, topic):
        r = kafka_tools.run_main(GROUPS, ["--bootstrap-server", self.broker.bootstrap, "--describe",
                                          "--group", group], timeout=120)
        for line in r.stdout.splitlines():
            fields = line.split()
            if len(fields) > 3 and fields[0] == group and fields[1] == topic:
                return int(fields[3])
        self.fail(f"no committed position of {group} in {topic}:\n{r.stdout}")

    def import_partition(self, partition_dir, *args):
        r = subprocess.run([topicfs_bin(), "import", *args, os.path.join(self.broker.log_dir, partition_dir),
                            self.data], capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, f"topicfs import:\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def test_perf_tool_records_lz4_and_transactions_and_a_group_position_come_over(self):
        self.broker.start()
        self.perf("perf")
        self.perf("tx", "--transactional-id", "import-test", "--transaction-duration-ms", "50")
        # What Kafka's consumer reads, and a group part way through.
        theirs = self.broker.consume("perf", RECORDS).stdout.splitlines()
        self.assertEqual(len(theirs), RECORDS)
        self.broker.consume("perf", 1234, extra_args=["--group", "g"])
        kafka_position = self.committed("g", "perf")
        self.assertGreater(kafka_position, 0)
        tx_theirs = self.broker.consume("tx", RECORDS, properties={}, extra_args=[
            "--command-property", "isolation.level=read_committed"]).stdout.splitlines()
        self.assertEqual(len(tx_theirs), RECORDS)
        self.broker.stop()

        out = self.import_partition("perf-0", f"--groups-from={self.broker.log_dir}")
        self.assertIn(f"perf-0: {RECORDS} records in ", out)
        self.assertIn(f"group g: committed at {kafka_position * (RECORD_SIZE + 1)}", out)
        out = self.import_partition("tx-0")
        self.assertIn(f"tx-0: {RECORDS} records in ", out)
        markers = int(re.search(r"not copied: (\d+) transaction markers", out).group(1))
        self.assertGreater(markers, 0, out)

        self.start_daemon()
        self.assertEqual(self.read("perf", "0").decode().splitlines(), theirs)
        self.assertEqual(self.read("tx", "0").decode().splitlines(), tx_theirs)
        self.assertEqual(self.sh("wc -l < perf/0").stdout.strip(), str(RECORDS).encode())
        # The group resumes at the record Kafka's consumer would read next.
        self.assertEqual(self.xattr("perf/0", "group.g"), str(kafka_position * (RECORD_SIZE + 1)))
        self.assertEqual(self.sh("head -n 1 perf/0@group=g").stdout.decode().strip(), theirs[kafka_position])
        self.stop_daemon()
        ours = sorted(glob.glob(os.path.join(self.data, "perf-0", "*.log")))
        dump = dump_log_segments.run(ours, "--deep-iteration", "--print-data-log")
        self.assertEqual({b.codec for path in ours for b in dump.logs[path]}, {"lz4"}, "the producer's codec kept")
        with open(os.path.join(self.data, "perf-0", "kafka-offsets.map")) as f:
            rows = [line.split() for line in f if not line.startswith("#")]
        self.assertEqual(int(rows[0][0]), 0)
        self.assertEqual(int(rows[-1][1]), RECORDS - 1)
        self.assertEqual(int(rows[-1][3]), RECORDS * (RECORD_SIZE + 1))

    def test_console_producer_keys_headers_and_timestamps_are_kept(self):
        self.broker.start()
        self.broker.create_topic("hdr")
        lines = "".join(f"trace:{i},zone:eu\tkey-{i % 7}\tvalue {i}\n" for i in range(300))
        kafka_tools.run_main(kafka_tools.CONSOLE_PRODUCER, [
            "--bootstrap-server", self.broker.bootstrap, "--topic", "hdr",
            "--reader-property", "parse.headers=true", "--reader-property", "parse.key=true",
            "--compression-codec", "zstd"], input=lines, timeout=120)
        theirs = self.broker.consume("hdr", 300, properties={
            "print.timestamp": "true", "print.headers": "true", "print.key": "true"}).stdout.splitlines()
        self.assertEqual(len(theirs), 300)
        self.broker.stop()
        source = sorted(f for f in os.listdir(os.path.join(self.broker.log_dir, "hdr-0")) if f.endswith(".log"))

        self.import_partition("hdr-0", "--topic=imported")
        self.start_daemon()
        # A Kafka record without topicfs's separator header presents its value.
        self.assertEqual(self.read("imported", "0").decode(), "".join(f"value {i}\n" for i in range(300)))
        self.assertEqual(self.sh("grep -c 'value 1' imported/0").stdout.strip(), b"111")
        self.stop_daemon()
        ours = sorted(os.path.join(self.data, "imported-0", f) for f in os.listdir(os.path.join(self.data, "imported-0"))
                      if f.endswith(".log"))
        dump = dump_log_segments.run(ours, "--deep-iteration", "--print-data-log")
        records = [r for path in ours for b in dump.logs[path] for r in b.records]
        self.assertEqual(len(records), 300)
        batches = [b for path in ours for b in dump.logs[path]]
        self.assertEqual({b.codec for b in batches}, {"zstd"})
        self.assertTrue(all(b.producer_id >= 0 for b in batches), "the console producer's producer id kept")
        for i, r in enumerate(records):
            self.assertEqual(r.header_keys, ["trace", "zone"])
            self.assertEqual(r.key, f"key-{i % 7}")
            self.assertEqual(r.value, f"value {i}")
            # CreateTime:<ts>\t<headers>\t<key>\t<value>, as Kafka's consumer printed it.
            ts = int(theirs[i].split("\t")[0].split(":")[1])
            self.assertEqual(r.timestamp, ts)
        self.assertTrue(source, "the broker wrote a segment")


if __name__ == "__main__":
    main()
