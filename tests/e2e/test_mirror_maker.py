#!/usr/bin/env python3
"""Kafka's own MirrorMaker 2 replicating between topicfs (through its Kafka
listener) and a real Apache Kafka 4.4 broker, both ways (issue 15, point
3): what the shell appended arrives in Kafka, what a Kafka producer wrote
arrives in the partition file cat reads, each record once.

Needs Kafka's jars and MirrorMaker 2's (tests/e2e/kafka_tools.py)."""

import os
import time

import kafka_tools
from kafka_listener_fixture import KafkaListenerTestCase
from mount_fixture import main


class MirrorMakerTestCase(KafkaListenerTestCase):

    def setUp(self):
        kafka_tools.jars_or_skip()
        kafka_tools.ensure_mirror_maker_jars()
        super().setUp()
        self.kafka = kafka_tools.KafkaBroker()
        self.addCleanup(self.kafka.close)
        self.kafka.start()
        self.mm2 = None
        self.addCleanup(lambda: self.mm2 and self.mm2.stop())

    def start_mirror_maker(self, flows, topics, extra=None):
        self.mm2 = kafka_tools.MirrorMaker(self.broker, self.kafka.bootstrap, flows, topics,
                                           os.path.join(self.tmp, "mm2.log"), extra)

    def mm2_log_tail(self, chars=6000):
        return self.mm2.log_tail(chars)


RECORDS = 100_000
PERF = "org.apache.kafka.tools.ProducerPerformance"
GROUPS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
CONFIGS = "org.apache.kafka.tools.ConfigCommand"


class TopicfsToKafkaTest(MirrorMakerTestCase):

    def consume_until(self, topic, count, deadline_s=180):
        """Kafka's console consumer over the target topic until it has
        `count` records (or the deadline): its lines."""
        deadline = time.time() + deadline_s
        got = []
        while time.time() < deadline:
            got = self.kafka.consume(topic, count, timeout_ms=10000).stdout.splitlines()
            if len(got) >= count:
                break
        return got

    def test_appended_lines_arrive_in_kafka_once_across_a_kill_9_of_the_daemon(self):
        self.mkdir("orders")
        self.sh("setfattr -n user.topicfs.retention.ms -v 3600000 orders")
        lines = [f"order {i:06d}" for i in range(RECORDS)]
        half = RECORDS // 2
        self.append("orders/0", "".join(line + "\n" for line in lines[:half]))
        # A group part way, committed through the mount, for the checkpoints.
        position = 1234 * len("order 000000\n")
        self.sh(f"setfattr -n user.topicfs.group.billing -v {position} orders/0")
        self.start_mirror_maker(["topicfs->kafka"], "orders", {"offset.lag.max": "10"})
        # Mid-replication: the daemon dies and comes back on the same
        # listener; MirrorMaker 2 reconnects.
        deadline = time.time() + 120
        while time.time() < deadline and not self.kafka.consume("topicfs.orders", 1, timeout_ms=2000).stdout:
            time.sleep(0.5)
        self.crash_and_remount()
        self.append("orders/0", "".join(line + "\n" for line in lines[half:]))
        got = self.consume_until("topicfs.orders", RECORDS)
        self.assertEqual(len(got), RECORDS, f"MirrorMaker 2's log:\n{self.mm2_log_tail()}")
        self.assertEqual(got, lines, "every line once, in order")
        # The topic's config, carried over.
        r = kafka_tools.run_main(CONFIGS, ["--bootstrap-server", self.kafka.bootstrap, "--describe",
                                           "--entity-type", "topics", "--entity-name", "topicfs.orders"])
        self.assertIn("retention.ms=3600000", r.stdout)
        # Every API MirrorMaker 2 asked for was served (its topic ACL sync's
        # DescribeAcls among them, answered with no ACLs).
        self.assertNotIn("UnsupportedVersionException", self.mm2_log_tail(10**7))

        # The group's checkpoint: translated through MirrorMaker 2's offset
        # syncs, never past the record the group was at (its guarantee is
        # at least once).
        translated = None
        deadline = time.time() + 120
        while time.time() < deadline and translated is None:
            r = kafka_tools.run_main(GROUPS, ["--bootstrap-server", self.kafka.bootstrap, "--describe",
                                              "--group", "billing"], timeout=120, check=False)
            for line in r.stdout.splitlines():
                f = line.split()
                if len(f) > 3 and f[0] == "billing" and f[1] == "topicfs.orders" and f[3].isdigit():
                    translated = int(f[3])
            time.sleep(1)
        self.assertIsNotNone(translated, f"no checkpoint of billing in Kafka:\n{self.mm2_log_tail()}")
        self.assertLessEqual(translated, 1234)


class KafkaToTopicfsTest(MirrorMakerTestCase):

    def test_records_a_kafka_producer_wrote_arrive_in_the_partition_file(self):
        self.kafka.create_topic("events", configs={"retention.ms": "7200000", "cleanup.policy": "delete"})
        kafka_tools.run_main(PERF, [
            "--topic", "events", "--num-records", str(RECORDS), "--record-size", "50", "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={self.kafka.bootstrap}", "compression.type=lz4"],
            timeout=300)
        theirs = self.kafka.consume("events", RECORDS).stdout.splitlines()
        self.assertEqual(len(theirs), RECORDS)
        self.kafka.consume("events", 1234, extra_args=["--group", "analytics"])
        self.kafka.consume("events", RECORDS, extra_args=["--group", "caught-up"])
        self.start_mirror_maker(["kafka->topicfs"], "events", {"offset.lag.max": "10"})
        target = "kafka.events"
        deadline = time.time() + 180
        ours = []
        while time.time() < deadline:
            if os.path.exists(self.path(target, "0")):
                ours = self.read(target, "0").decode().splitlines()
                if len(ours) >= RECORDS:
                    break
            time.sleep(1)
        self.assertEqual(len(ours), RECORDS, f"MirrorMaker 2's log:\n{self.mm2_log_tail()}\n"
                                             f"daemon log:\n{self.daemon.log()[-4000:]}")
        self.assertEqual(ours, theirs, "what cat prints is what Kafka's consumer read")
        self.assertEqual(self.xattr(target, "retention.ms"), "7200000", "the topic's config, carried over")
        # The groups, translated into topicfs through MirrorMaker 2's offset
        # syncs: never past the record the group would read next (its
        # guarantee is at least once), always at a record's start. A group
        # far behind the end may be translated much earlier (MirrorMaker 2
        # keeps few old syncs, and how few varies run to run: a caught-up
        # group has landed from 300 to 1,900 records before the end), so
        # only the order of the two is asserted beyond that.
        record_size = 51  # 50 bytes and the newline
        committed = {}
        for group in ("analytics", "caught-up"):
            committed[group] = self.wait_for_topicfs_commit(group, target)
            kafka_position = self.kafka_commit(group, "events")
            self.assertLessEqual(committed[group], kafka_position * record_size, group)
            self.assertEqual(committed[group] % record_size, 0, f"{group}: a record's start")
        self.assertGreaterEqual(committed["caught-up"], committed["analytics"])

    def test_a_kill_9_of_the_daemon_mid_replication_loses_nothing_and_doubles_nothing(self):
        self.kafka.create_topic("clicks")
        kafka_tools.run_main(PERF, [
            "--topic", "clicks", "--num-records", str(RECORDS), "--record-size", "50", "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={self.kafka.bootstrap}"], timeout=300)
        theirs = self.kafka.consume("clicks", RECORDS).stdout.splitlines()
        self.start_mirror_maker(["kafka->topicfs"], "clicks")
        target = "kafka.clicks"
        deadline = time.time() + 180
        while time.time() < deadline and not (os.path.exists(self.path(target, "0"))
                                              and os.path.getsize(self.path(target, "0")) > 0):
            time.sleep(0.2)
        # The target dies while MirrorMaker 2's producer (idempotent, acks
        # all) has produces in flight; it comes back on the same listener,
        # and the producer's retries are recognised as duplicates.
        at_kill = os.path.getsize(self.path(target, "0"))
        self.crash_and_remount()
        self.assertLess(at_kill, RECORDS * 51, "the kill came mid-replication")
        ours = []
        deadline = time.time() + 180
        while time.time() < deadline:
            ours = self.read(target, "0").decode().splitlines()
            if len(ours) >= RECORDS:
                break
            time.sleep(1)
        time.sleep(3)  # anything doubled would land by now
        ours = self.read(target, "0").decode().splitlines()
        self.assertEqual(len(ours), RECORDS, f"MirrorMaker 2's log:\n{self.mm2_log_tail()}")
        self.assertEqual(ours, theirs, "every record once, in order")

    def wait_for_topicfs_commit(self, group, topic):
        deadline = time.time() + 120
        while time.time() < deadline:
            r = self.sh(f"getfattr --only-values -n user.topicfs.group.{group} {topic}/0", check=False)
            if r.returncode == 0 and r.stdout.strip():
                return int(r.stdout)
            time.sleep(1)
        self.fail(f"no checkpoint of {group} in topicfs:\n{self.mm2_log_tail()}")

    def kafka_commit(self, group, topic):
        r = kafka_tools.run_main(GROUPS, ["--bootstrap-server", self.kafka.bootstrap, "--describe", "--group", group],
                                 timeout=120)
        return int(next(line.split()[3] for line in r.stdout.splitlines() if line.split()[:2] == [group, topic]))


if __name__ == "__main__":
    main()
