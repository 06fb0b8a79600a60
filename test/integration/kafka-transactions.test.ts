/**
 * Topics written in transactions (Kafka Streams, Connect and Flink with
 * exactly-once on): the job reads only committed records, as librdkafka does
 * by default, and `--stop-when-idle` still finds the end of a log that ends
 * with a transaction marker no consumer receives as a record, and the lag it
 * reports reaches 0 there.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Kafka from '@confluentinc/kafka-javascript'
import { hdfsMessages, type HdfsMessage } from '../helpers/hdfs-messages.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { eventually, runCli, startCli, summaryOf } from '../helpers/cli.ts'
import { sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedIds } from '../helpers/store.ts'

/** `count` messages of HDFS traffic, and their ids. */
function traffic(count: number, seed: number): { messages: HdfsMessage[]; ids: string[] } {
  const messages = hdfsMessages(count, seed)
  return { messages, ids: messages.map((m) => m.id) }
}

const call = (f: (done: (err: unknown) => void) => void) => new Promise<void>((resolve, reject) => f((err) => (err ? reject(err) : resolve())))

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
      if (group.commit) await call((done) => producer.commitTransaction(30_000, done))
      else await call((done) => producer.abortTransaction(30_000, done))
    }
  } finally {
    await new Promise<void>((resolve) => producer.disconnect(() => resolve()))
  }
}

test('a topic written in transactions: committed records are stored, aborted ones never, and --stop-when-idle stops at the final marker', async (t) => {
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
  const job = ['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-1`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s']

  // Before the fix the job read on for ever: its last record's next offset stayed one below the log's end.
  const run = await runCli(job, { timeoutMs: 90_000 })
  assert.equal(run.code, 0, run.stderr)
  assert.ok(run.logs.some((l) => l.msg === 'every partition read to its end and nothing in flight: stopping'), 'stopped at the end of the log')
  assert.equal(summaryOf(run).stored, first.ids.length + last.ids.length)
  const stored = new Set(await storedIds(dir))
  assert.deepEqual(stored, new Set([...first.ids, ...last.ids]), 'the committed records, and none of the aborted transaction')

  // A restart resumes at the checkpoint, finds nothing new past the markers, and stops again.
  const again = await runCli(job, { timeoutMs: 90_000 })
  assert.equal(again.code, 0, again.stderr)
  assert.equal(summaryOf(again).stored, 0)
})

test('on a topic written in transactions the reported consumer lag reaches 0 at the end of each partition, past the final markers', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('transactions-lag')
  await broker.createTopic(topic, 2)
  const committed = traffic(50, 21)
  await produceInTransactions(broker.bootstrap, topic, [
    { messages: committed.messages, commit: true },
    { messages: traffic(10, 22).messages, commit: false },
  ])
  const dir = tempDir(t)
  const job = startCli(['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-1`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--trigger', '300ms', '--metrics-host', '127.0.0.1', '--metrics-port', '0'])
  t.after(() => job.child.kill('SIGKILL'))
  const url = String((await job.waitFor((l) => typeof l.url === 'string' && String(l.msg).startsWith('metrics and status'))).url)
  const lags = async () => {
    const text = await (await fetch(`${url}/metrics`)).text()
    return [0, 1].map((p) => Number(new RegExp(`^logstream_consumer_lag\\{partition="${topic}/${p}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN))
  }
  // Before the fix each partition's lag stayed at 1 or more: the marker (and the aborted records) past its last record.
  await eventually(async () => (await lags()).every((lag) => lag === 0), 60_000, 500)
  job.child.kill('SIGTERM')
  const done = await job.done
  assert.equal(done.code, 0, done.stderr)
  assert.deepEqual(new Set(await storedIds(dir)), new Set(committed.ids))
})
