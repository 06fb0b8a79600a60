/**
 * Outages and rebalances against a real broker: nothing lost, nothing stored twice.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, startCli, eventually, summaryOf } from '../helpers/cli.ts'
import { kcatProduce, ownBroker, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedIds } from '../helpers/store.ts'
import { hdfsMessage, hdfsMessages, kcatLine, type HdfsMessage } from '../helpers/hdfs-messages.ts'

const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean).map(hdfsMessage)
const ids = (ms: readonly HdfsMessage[]) => new Set(ms.map((m) => m.id))
const isCommit = (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.startsWith('Processing batch')

test('the broker stopped for 20 s mid-stream: the job recovers by itself, nothing lost or stored twice', async (t) => {
  const broker = await ownBroker(t)
  const topic = topicName()
  await broker.createTopic(topic, 3)
  const dir = tempDir(t)
  const first = lines.slice(0, 1000)
  const second = lines.slice(1000)
  await kcatProduce(broker.bootstrap, topic, first.map((m) => m.value))
  const job = startCli(['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-2`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '300ms', '--batch-size', '200'])
  t.after(() => job.child.kill('SIGKILL'))
  await eventually(async () => (await storedIds(dir)).length === first.length, 60_000)

  await broker.stop()
  await new Promise((r) => setTimeout(r, 20_000))
  await broker.restart()
  await kcatProduce(broker.bootstrap, topic, second.map((m) => m.value))
  await eventually(async () => (await storedIds(dir)).length >= lines.length, 120_000)
  job.child.kill('SIGTERM')
  const result = await job.done
  assert.equal(result.code, 0, result.stderr)
  const stored = await storedIds(dir)
  assert.equal(stored.length, lines.length, 'nothing stored twice')
  assert.deepEqual(new Set(stored), ids(lines), 'nothing lost')
  assert.ok(result.logs.some((l) => l.msg === 'Kafka unreachable; librdkafka keeps reconnecting' || String(l.msg).includes('Kafka')), 'the outage is reported')
})

test('a cooperative rebalance in the middle of an open batch window loses nothing', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  await broker.createTopic(topic, 6)
  const dir = tempDir(t)
  const group = `g-${topic}`
  const common = ['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--group-id', group, '--data-dir', join(dir, 'data')]
  await kcatProduce(broker.bootstrap, topic, lines.map(kcatLine), { keyed: true })
  // Member A reads everything into one batch window that only its size closes (no timer: nothing here depends on how
  // long anything takes to start); then B joins and takes partitions from it while the window is open.
  const extra = hdfsMessages(500, 5)
  const a = startCli([...common, '--checkpoint-dir', join(dir, 'a'), '--trigger', '1h', '--batch-size', String(lines.length + extra.length), '--metrics-port', '0'])
  t.after(() => a.child.kill('SIGKILL'))
  const metrics = `${String((await a.waitFor((l) => /metrics and status on/.test(String(l.msg)))).url)}/metrics`
  await eventually(async () => /logstream_messages_received_total 2000\b/.test(await (await fetch(metrics)).text()))
  const b = startCli([...common, '--checkpoint-dir', join(dir, 'b'), '--trigger', '300ms', '--no-http'])
  t.after(() => b.child.kill('SIGKILL'))
  const assigned = await b.waitFor((l) => l.msg === 'partitions assigned' && (l.partitions as string[]).length > 0, 120_000)
  await a.waitFor((l) => String(l.msg).startsWith('partitions revoked'), 120_000)
  assert.equal(await Promise.race([a.done.then(() => 'exited'), Promise.resolve('running')]), 'running')
  // Fill A's open window to its size through a partition A kept: it closes, and commits records of the partitions it lost too.
  const bPartitions = new Set((assigned.partitions as string[]).map((p) => Number(p.split('/').at(-1))))
  const kept = [0, 1, 2, 3, 4, 5].find((p) => !bPartitions.has(p))!
  await kcatProduce(broker.bootstrap, topic, extra.map(kcatLine), { keyed: true, partition: kept })
  const all = new Set([...ids(lines), ...ids(extra)])
  await eventually(async () => (await storedIds(dir)).length >= all.size, 120_000)
  // B reads its partitions from their start (A never committed them to the group): wait until it has committed what it read.
  await b.waitFor(isCommit, 120_000)
  a.child.kill('SIGTERM')
  b.child.kill('SIGTERM')
  const [ra, rb] = await Promise.all([a.done, b.done])
  assert.equal(ra.code, 0, ra.stderr)
  assert.equal(rb.code, 0, rb.stderr)
  const stored = await storedIds(dir)
  assert.equal(stored.length, all.size)
  assert.deepEqual(new Set(stored), all)
  assert.ok(summaryOf(rb).received > 0, 'the second member took over partitions')
})
