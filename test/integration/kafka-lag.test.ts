/**
 * The consumer-lag gauge of a job with no checkpoint yet counts from where it
 * starts reading, not from offset 0: a partition started at 'latest' that
 * stays idle reads 0, not its whole length.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { hdfsMessages, kcatLine } from '../helpers/hdfs-messages.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { eventually, startCli, summaryOf } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedIds } from '../helpers/store.ts'
import { consumerLags } from '../helpers/metrics.ts'

test('started at latest on a topic with history, the job reports a lag of 0 while nothing new comes, then reads and stores only what comes after', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('lag-latest')
  await broker.createTopic(topic, 2)
  const history = hdfsMessages(60, 41)
  await kcatProduce(broker.bootstrap, topic, history.map(kcatLine), { keyed: true })
  const dir = tempDir(t)
  const job = startCli(['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-1`, '--starting-offsets', 'latest', '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--trigger', '300ms', '--metrics-host', '127.0.0.1', '--metrics-port', '0'])
  t.after(() => job.child.kill('SIGKILL'))
  const url = String((await job.waitFor((l) => typeof l.url === 'string' && String(l.msg).startsWith('metrics and status'))).url)
  // Before, each partition's gauge read its whole length (about 30) for as long as no batch committed there.
  await eventually(async () => (await consumerLags(url, topic, 2)).every((lag) => lag === 0), 60_000, 500)

  const later = hdfsMessages(20, 42)
  await kcatProduce(broker.bootstrap, topic, later.map(kcatLine), { keyed: true })
  await eventually(async () => (await storedIds(dir)).length === later.length, 60_000, 200)
  await eventually(async () => (await consumerLags(url, topic, 2)).every((lag) => lag === 0), 60_000, 500)
  job.child.kill('SIGTERM')
  const done = await job.done
  assert.equal(done.code, 0, done.stderr)
  assert.equal(summaryOf(done).received, later.length)
  assert.deepEqual(new Set(await storedIds(dir)), new Set(later.map((m) => m.id)))
})
