// KafkaJS, a test client of the Kafka listener (test_kafkajs.py): one
// command per run, the broker address first, results on stdout.
//
//   node kafkajs_client.js BROKER create TOPIC PARTITIONS
//   node kafkajs_client.js BROKER produce TOPIC PARTITION none|gzip VALUE...
//       prints the produce response as JSON
//   node kafkajs_client.js BROKER consume GROUP TOPIC COUNT
//       a group member from the beginning (or the group's position):
//       prints "partition offset value" per record, then leaves the group,
//       committing what it consumed
//
// KafkaJS comes from the test cache (kafka_listener_fixture.kafkajs_dir);
// NODE_PATH points there. Exits nonzero with the error on stderr.
'use strict';

const { Kafka, logLevel, CompressionTypes } = require('kafkajs');

const [broker, command, ...args] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'topicfs-test', brokers: [broker], logLevel: logLevel.ERROR });

async function create(topic, partitions) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: Number(partitions) }], waitForLeaders: true });
    console.log((await admin.listTopics()).sort().join('\n'));
  } finally {
    await admin.disconnect();
  }
}

async function produce(topic, partition, codec, values) {
  const producer = kafka.producer();
  await producer.connect();
  try {
    const result = await producer.send({
      topic,
      compression: codec === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      messages: values.map((value) => ({ value, partition: Number(partition) })),
    });
    console.log(JSON.stringify(result));
  } finally {
    await producer.disconnect();
  }
}

async function consume(group, topic, count) {
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  const got = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ partition, message }) => {
            if (got.length < Number(count)) got.push(`${partition} ${message.offset} ${message.value}`);
            if (got.length >= Number(count)) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();  // commits the consumed offsets, leaves the group
  }
  console.log(got.join('\n'));
}

const commands = { create, produce: (t, p, c, ...v) => produce(t, p, c, v), consume };
if (!commands[command]) {
  console.error(`unknown command ${command}`);
  process.exit(2);
}
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
commands[command](...args).catch((e) => {
  console.error(`kafkajs ${command} failed: ${e.stack || e}`);
  process.exit(1);
});
