/**
 * Topics written in transactions (Kafka Streams, Connect and Flink with
 * exactly-once on): the job reads only committed records, as librdkafka does
 * by default, and `--stop-when-idle` still finds the end of a log that ends
 * with a transaction marker no consumer receives as a record, and the lag it
 * reports, and the offsets it commits to Kafka, reach the end there.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Kafka from '@confluentinc/kafka-javascript'
import { hdfsMessages, type HdfsMessage } from '../helpers/hdfs-messages.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { eventually, metricsUrl, runCli, startCli, summaryOf } from '../helpers/cli.ts'
import { sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedIds } from '../helpers/store.ts'
import { consumerLags } from '../helpers/metrics.ts'

/** `count` messages of HDFS traffic, and their ids. */
function traffic(count: number, seed: number): { messages: HdfsMessage[]; ids: string[] } {
  const messages = hdfsMessages(count, seed)
  return { messages, ids: messages.map((m) => m.id) }
}

const call = (f: (done: (err: unknown) => void) => void) => new Promise<void>((resolve, reject) => f((err) => (err ? reject(err) : resolve())))

/** Each partition's end (high watermark) and the offset `group` committed there (-1001: none), as Kafka's own tools read them. */
async function kafkaView(bootstrap: string, group: string, topic: string, partitions: number): Promise<{ ends: number[]; committed: number[] }> {
  const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': false }, {})
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())))
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }))
    const ends = await Promise.all(
      tps.map((tp) => new Promise<number>((resolve, reject) => consumer.queryWatermarkOffsets(topic, tp.partition, 10_000, (err, w) => (err ? reject(err) : resolve(w.highOffset))))),
    )
    const committed = await new Promise<number[]>((resolve, reject) =>
      consumer.committed(tps, 10_000, (err, list) => (err ? reject(err) : resolve(tps.map((tp) => list.find((c) => c.partition === tp.partition)?.offset ?? -1001)))),
    )
    return { ends, committed }
  } finally {
    await new Promise<void>((resolve) => consumer.disconnect(() => resolve()))
  }
}

/** A new 2-partition topic holding `committed` in a committed transaction, then 10 more records in an aborted one. */
async function topicWithAbort(name: string, committed: { messages: readonly HdfsMessage[] }, abortedSeed: number): Promise<{ bootstrap: string; topic: string }> {
  const broker = await sharedBroker()
  const topic = topicName(name)
  await broker.createTopic(topic, 2)
  await produceInTransactions(broker.bootstrap, topic, [
    { messages: committed.messages, commit: true },
    { messages: traffic(10, abortedSeed).messages, commit: false },
  ])
  return { bootstrap: broker.bootstrap, topic }
}

/** Produces each group of messages in a transaction of its own, committed or aborted as the group says. */
async function produceInTransactions(bootstrap: string, topic: string, groups: ReadonlyArray<{ messages: readonly HdfsMessage[]; commit: boolean }>): Promise<void> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap, 'transactional.id': `${topic}-writer` })
  await new Promise<void>((resolve, reject) => {
    producer.once('ready', () => resolve())
    producer.connect({}, (err) => err && reject(err))
  })
  try {
    await call((done) => producer.initTransactions(30_000, done))
    for (const group of groups) {
      await call((done) => producer.beginTransaction(done))
      for (const m of group.messages) producer.produce(topic, null, Buffer.from(m.value), m.key)
      // Written to the log before the transaction ends, as a real writer's are: an abort then leaves its records in the log
      // for readers to skip (an abort at once would drop them unsent, and can race the registration of the partitions).
      await call((done) => producer.flush(30_000, done))
      if (group.commit) await call((done) => producer.commitTransaction(30_000, done))
      else await call((done) => producer.abortTransaction(30_000, done))
    }
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()))
  }
}

test('a topic written in transactions: committed records are stored, aborted ones never, --stop-when-idle stops at the final marker, and Kafka sees the group at the end', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('transactions')
  await broker.createTopic(topic, 2)
  const first = traffic(60, 11)
  const aborted = traffic(25, 12)
  const last = traffic(40, 13)
  await produceInTransactions(broker.bootstrap, topic, [
    { messages: first.messages, commit: true },
    { messages: aborted.messages, commit: false },
    { messages: last.messages, commit: true },
  ])
  const dir = tempDir(t)
  const job = ['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-1`, '--group-id', topic, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s']

  // Before the fix the job read on for ever: its last record's next offset stayed one below the log's end.
  const run = await runCli(job, { timeoutMs: 90_000 })
  assert.equal(run.code, 0, run.stderr)
  assert.ok(run.logs.some((l) => l.msg === 'every partition read to its end and nothing in flight: stopping'), 'stopped at the end of the log')
  assert.equal(summaryOf(run).stored, first.ids.length + last.ids.length)
  const stored = new Set(await storedIds(dir))
  assert.deepEqual(stored, new Set([...first.ids, ...last.ids]), 'the committed records, and none of the aborted transaction')
  // Committed past each partition's final marker, as a Java consumer commits its position: before, Kafka's tools and lag
  // exporters showed every partition 1 behind for good.
  const view = await kafkaView(broker.bootstrap, topic, topic, 2)
  // Each transaction touched both partitions: its records, the aborted ones included, and a marker in each.
  assert.equal(view.ends[0]! + view.ends[1]!, first.ids.length + aborted.ids.length + last.ids.length + 3 * 2, 'the aborted records are in the log')
  assert.deepEqual(view.committed, view.ends, 'the group committed each partition to its end')

  // A restart resumes at the checkpoint, finds nothing new past the markers, and stops again.
  const again = await runCli(job, { timeoutMs: 90_000 })
  assert.equal(again.code, 0, again.stderr)
  assert.equal(summaryOf(again).stored, 0)
})

test('on a topic written in transactions the reported consumer lag reaches 0 at the end of each partition, past the final markers, and again after a restart', async (t) => {
  const committed = traffic(50, 21)
  const { bootstrap, topic } = await topicWithAbort('transactions-lag', committed, 22)
  const dir = tempDir(t)
  const args = ['run', '--source', 'kafka', '--brokers', bootstrap, '--topics', topic, '--partitions', `${topic}:0-1`, '--group-id', topic, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--trigger', '300ms', '--metrics-host', '127.0.0.1', '--metrics-port', '0']
  /** Runs the job until its gauge reads 0 on both partitions, then stops it with SIGTERM. */
  const runToZeroLag = async () => {
    const job = startCli(args)
    t.after(() => job.child.kill('SIGKILL'))
    const url = await metricsUrl(job)
    await eventually(async () => (await consumerLags(url, topic, 2)).every((lag) => lag === 0), 60_000, 500)
    job.child.kill('SIGTERM')
    const done = await job.done
    assert.equal(done.code, 0, done.stderr)
    return done
  }
  // Before the fix each partition's lag stayed at 1 or more: the marker (and the aborted records) past its last record.
  await runToZeroLag()
  assert.deepEqual(new Set(await storedIds(dir)), new Set(committed.ids))
  // A restart with nothing new: before, the gauge read each partition's whole length until a batch committed there.
  const again = await runToZeroLag()
  assert.equal(summaryOf(again).stored, 0)
  const view = await kafkaView(bootstrap, topic, topic, 2)
  assert.deepEqual(view.committed, view.ends, 'the group committed each partition to its end')
})

test('consumer-group mode on a topic written in transactions: the group is committed past the final markers, and a restart resumes there and stores nothing', async (t) => {
  const committed = traffic(40, 31)
  const { bootstrap, topic } = await topicWithAbort('transactions-group', committed, 32)
  const dir = tempDir(t)
  const job = ['run', '--source', 'kafka', '--brokers', bootstrap, '--topics', topic, '--group-id', topic, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s']
  const run = await runCli(job, { timeoutMs: 90_000 })
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(new Set(await storedIds(dir)), new Set(committed.ids))
  const view = await kafkaView(bootstrap, topic, topic, 2)
  assert.deepEqual(view.committed, view.ends, 'the group committed each partition to its end')

  // The checkpoint holds the offsets after the last records, the group the ends past the markers: the restart resumes at
  // the group's (and says so), reads nothing, stores nothing, and stops.
  const again = await runCli(job, { timeoutMs: 90_000 })
  assert.equal(again.code, 0, again.stderr)
  assert.equal(summaryOf(again).stored, 0)
  assert.equal(summaryOf(again).received, 0)
  assert.ok(again.logs.some((l) => String(l.msg).startsWith('the group committed further than the checkpoint')), 'the resume past the checkpoint is logged')
})
