/**
 * Outages and rebalances against a real broker: nothing lost, nothing stored twice.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { pointId } from '../../operators/point-id.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, startCli, eventually, summaryOf } from '../helpers/cli.ts'
import { kcatProduce, ownBroker, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedIds } from '../helpers/store.ts'

const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean)
const ids = (ls: string[]) => new Set(ls.map((l) => {
  const e = parseHdfsLine(l)!
  return pointId(e.text, e.timestamp)
}))
const isCommit = (l: Record<string, unknown>) => typeof l.msg === 'string' && l.msg.startsWith('Processing batch')

test('the broker stopped for 20 s mid-stream: the job recovers by itself, nothing lost or stored twice', async (t) => {
  const broker = await ownBroker(t)
  const topic = topicName()
  await broker.createTopic(topic, 3)
  const dir = tempDir(t)
  const first = lines.slice(0, 1000)
  const second = lines.slice(1000)
  await kcatProduce(broker.bootstrap, topic, first.map((l) => JSON.stringify(parseHdfsLine(l))))
  const job = startCli(['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-2`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '300ms', '--batch-size', '200'])
  t.after(() => job.child.kill('SIGKILL'))
  await eventually(async () => (await storedIds(dir)).length === first.length, 60_000)

  await broker.stop()
  await new Promise((r) => setTimeout(r, 20_000))
  await broker.restart()
  await kcatProduce(broker.bootstrap, topic, second.map((l) => JSON.stringify(parseHdfsLine(l))))
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
  const common = ['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--group-id', group, '--data-dir', join(dir, 'data'), '--no-http']
  await kcatProduce(broker.bootstrap, topic, lines.map((l) => `${parseHdfsLine(l)!.block_id}\t${JSON.stringify(parseHdfsLine(l))}`), { keyed: true })
  // Member A reads everything into one long-open batch window, then B joins and takes partitions from it.
  const a = startCli([...common, '--checkpoint-dir', join(dir, 'a'), '--trigger', '8s', '--batch-size', '5000'])
  t.after(() => a.child.kill('SIGKILL'))
  await a.waitFor((l) => l.msg === 'partitions assigned')
  await new Promise((r) => setTimeout(r, 1500))
  const b = startCli([...common, '--checkpoint-dir', join(dir, 'b'), '--trigger', '500ms'])
  t.after(() => b.child.kill('SIGKILL'))
  await a.waitFor((l) => String(l.msg).startsWith('partitions revoked'), 30_000)
  await eventually(async () => (await storedIds(dir)).length >= lines.length, 60_000)
  a.child.kill('SIGTERM')
  b.child.kill('SIGTERM')
  const [ra, rb] = await Promise.all([a.done, b.done])
  assert.equal(ra.code, 0, ra.stderr)
  assert.equal(rb.code, 0, rb.stderr)
  const stored = await storedIds(dir)
  assert.equal(stored.length, lines.length)
  assert.deepEqual(new Set(stored), ids(lines))
  assert.ok(summaryOf(rb).received > 0, 'the second member took over partitions')
})

