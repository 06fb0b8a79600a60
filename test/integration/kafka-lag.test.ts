/**
 * The consumer-lag gauge of a job with no checkpoint yet counts from where it
 * starts reading, not from offset 0: a partition started at 'latest' that
 * stays idle reads 0, not its whole length, and in consumer-group mode a
 * partition the group has read to its end reads 0 too.
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { hdfsMessages, kcatLine, type HdfsMessage } from '../helpers/hdfs-messages.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { eventually, metricsUrl, runCli, startCli, summaryOf } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName, type Broker } from '../helpers/kafka-broker.ts'
import { storedIds } from '../helpers/store.ts'
import { consumerLags } from '../helpers/metrics.ts'

/** A job on `topic` with the metrics endpoint on, in `dir`; resolves once its endpoint answers. */
async function startJob(t: TestContext, dir: string, args: readonly string[]) {
  const job = startCli(['run', '--source', 'kafka', ...args, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--trigger', '300ms', '--metrics-host', '127.0.0.1', '--metrics-port', '0'])
  t.after(() => job.child.kill('SIGKILL'))
  const url = await metricsUrl(job)
  return { job, url }
}

/** With `job` reading `topic`: 0 lag while nothing new comes, then `later` produced, stored alone in `dir`, and the lag back at 0. */
async function idleThenLater(broker: Broker, topic: string, dir: string, running: Awaited<ReturnType<typeof startJob>>, later: readonly HdfsMessage[]) {
  const { job, url } = running
  // Before, each partition's gauge read its whole length (about 30) for as long as no batch committed there.
  await eventually(async () => (await consumerLags(url, topic, 2)).every((lag) => lag === 0), 60_000, 500)
  await kcatProduce(broker.bootstrap, topic, later.map(kcatLine), { keyed: true })
  await eventually(async () => (await storedIds(dir)).length === later.length, 60_000, 200)
  await eventually(async () => (await consumerLags(url, topic, 2)).every((lag) => lag === 0), 60_000, 500)
  job.child.kill('SIGTERM')
  const done = await job.done
  assert.equal(done.code, 0, done.stderr)
  assert.equal(summaryOf(done).received, later.length)
  assert.deepEqual(new Set(await storedIds(dir)), new Set(later.map((m) => m.id)))
}

test('started at latest on a topic with history, the job reports a lag of 0 while nothing new comes, then reads and stores only what comes after', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('lag-latest')
  await broker.createTopic(topic, 2)
  await kcatProduce(broker.bootstrap, topic, hdfsMessages(60, 41).map(kcatLine), { keyed: true })
  const dir = tempDir(t)
  const running = await startJob(t, dir, ['--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-1`, '--starting-offsets', 'latest'])
  await idleThenLater(broker, topic, dir, running, hdfsMessages(20, 42))
})

test('in consumer-group mode without a checkpoint, a partition the group has read to its end reports a lag of 0, and only what comes after is stored', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('lag-group')
  await broker.createTopic(topic, 2)
  const history = hdfsMessages(60, 43)
  await kcatProduce(broker.bootstrap, topic, history.map(kcatLine), { keyed: true })
  const group = ['--brokers', broker.bootstrap, '--topics', topic, '--group-id', topic]
  // A first job reads the history and commits the group at the partitions' ends; the second starts in the same group with
  // a checkpoint directory of its own (none yet), at the earliest offsets where the group has none.
  const first = tempDir(t)
  const read = await runCli(['run', '--source', 'kafka', ...group, '--data-dir', join(first, 'data'), '--checkpoint-dir', join(first, 'checkpoints'), '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s'])
  assert.equal(read.code, 0, read.stderr)
  assert.equal((await storedIds(first)).length, new Set(history.map((m) => m.id)).size)
  const dir = tempDir(t)
  const running = await startJob(t, dir, [...group, '--starting-offsets', 'earliest'])
  await idleThenLater(broker, topic, dir, running, hdfsMessages(20, 44))
})
