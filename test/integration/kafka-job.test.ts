/**
 * The job against a real Kafka broker: the producer, the consumer modes, the
 * dead-letter store and exactly-once storage.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.ts'
import { jobIdentity } from '../../src/adapters/factory.ts'
import { createBuiltinEmbedder } from '../../src/adapters/builtin-embedder.ts'
import { runJob } from '../../src/main.ts'
import type { Embedder } from '../../operators/contracts.ts'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { pointId } from '../../operators/point-id.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli, summaryOf } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedIds, toFlags } from '../helpers/store.ts'

const sampleLines = () => readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean)
const idOfLine = (l: string) => {
  const e = parseHdfsLine(l)!
  return pointId(e.text, e.timestamp)
}

function kafkaArgs(bootstrap: string, topic: string, dir: string, extra: string[] = []): string[] {
  return ['--source', 'kafka', '--brokers', bootstrap, '--topics', topic, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '500ms', '--stop-when-idle', '3s', ...extra]
}

test('produce the sample to a 3-partition topic, run from Kafka: one point per distinct id; producing it again adds nothing and embeds nothing', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  await broker.createTopic(topic, 3)
  const dir = tempDir(t)
  const produced = await runCli(['produce', SAMPLE, '--brokers', broker.bootstrap, '--topic', topic])
  assert.equal(produced.code, 0, produced.stderr)
  assert.ok(produced.logs.some((l) => l.delivered === 2000))

  const run = await runCli(['run', ...kafkaArgs(broker.bootstrap, topic, dir, ['--group-id', `g-${topic}`])])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(summaryOf(run).received, 2000)
  const expected = new Set(sampleLines().map(idOfLine))
  const ids = await storedIds(dir)
  assert.equal(ids.length, expected.size)
  assert.deepEqual(new Set(ids), expected)

  assert.equal((await runCli(['produce', SAMPLE, '--brokers', broker.bootstrap, '--topic', topic])).code, 0)
  const asked: string[] = []
  const builtin = createBuiltinEmbedder({ dim: 384 })
  const counting: Embedder = { name: 'counting', dim: 384, embed: async (texts) => (asked.push(...texts), builtin.embed(texts)) }
  const config = loadConfig({ flags: new Map(Object.entries(toFlags(kafkaArgs(broker.bootstrap, topic, dir, ['--group-id', `g-${topic}`])))) })
  const again = await runJob(config, { logger: pino({ level: 'silent' }), services: { embedder: counting } })
  assert.equal(again.received, 2000, 'the second copy is read')
  assert.equal(again.stored, 0)
  assert.equal(again.skippedExisting, 2000)
  assert.equal(asked.length, 0, 'no embedding call')
  assert.equal((await storedIds(dir)).length, expected.size)
})

test('messages from an independent client (kcat) are consumed; malformed ones are dead-lettered with topic, partition and offset', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  await broker.createTopic(topic, 1)
  const dir = tempDir(t)
  const good = [
    { text: 'Receiving block blk_1 src: /10.0.0.1:1 dest: /10.0.0.2:2', original_text: 'raw 1', log_level: 'INFO', source: 'hdfs_datanode', timestamp: '2025-09-27T10:30:45.123', node_type: 'datanode', label: null },
    { text: 'Exception in receiveBlock for block blk_2', log_level: 'ERROR', timestamp: '2025-09-27T10:30:46.000' },
  ]
  await kcatProduce(broker.bootstrap, topic, [JSON.stringify(good[0]), '{"text": broken', JSON.stringify(good[1]), '{"level":"INFO"}'], { partition: 0 })
  const run = await runCli(['run', ...kafkaArgs(broker.bootstrap, topic, dir, ['--group-id', `g-${topic}`])])
  assert.equal(run.code, 0, run.stderr)
  const s = summaryOf(run)
  assert.equal(s.stored, 2)
  assert.equal(s.deadLettered, 2)
  const ids = await storedIds(dir)
  assert.deepEqual(new Set(ids), new Set(good.map((g) => pointId(g.text, g.timestamp))))
  const config = loadConfig({ flags: new Map(Object.entries(toFlags(kafkaArgs(broker.bootstrap, topic, dir)))) })
  const checkpoints = openCheckpointStore({ path: checkpointPath(join(dir, 'checkpoints'), 'logs'), identity: jobIdentity(config) })
  const dead = checkpoints.deadLetters()
  checkpoints.close()
  assert.deepEqual(dead.map((d) => [d.partition, d.offset, d.reason]), [[`${topic}/0`, 1, 'bad-json'], [`${topic}/0`, 3, 'missing-text']])
})

test('two instances in partition-group mode with disjoint partitions, and two in one consumer group, store every message once', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  await broker.createTopic(topic, 4)
  assert.equal((await runCli(['produce', SAMPLE, '--brokers', broker.bootstrap, '--topic', topic])).code, 0)
  const expected = new Set(sampleLines().map(idOfLine))

  // Partition groups: two checkpoint directories, one shared store.
  const dir = tempDir(t)
  const shared = ['--data-dir', join(dir, 'data')]
  const [a, b] = await Promise.all([
    runCli(['run', ...kafkaArgs(broker.bootstrap, topic, join(dir, 'a'), ['--partitions', `${topic}:0-1`, ...shared])]),
    runCli(['run', ...kafkaArgs(broker.bootstrap, topic, join(dir, 'b'), ['--partitions', `${topic}:2-3`, ...shared])]),
  ])
  assert.equal(a.code, 0, a.stderr)
  assert.equal(b.code, 0, b.stderr)
  assert.equal(summaryOf(a).received + summaryOf(b).received, 2000)
  assert.ok(summaryOf(a).received > 0 && summaryOf(b).received > 0)
  assert.equal(summaryOf(a).stored + summaryOf(b).stored, expected.size)
  assert.deepEqual(new Set(await storedIds(dir)), expected)

  // One consumer group: two members share the partitions.
  const dir2 = tempDir(t)
  const group = ['--group-id', `g-${topic}`, '--data-dir', join(dir2, 'data'), '--stop-when-idle', '6s']
  const [c, d] = await Promise.all([
    runCli(['run', ...kafkaArgs(broker.bootstrap, topic, join(dir2, 'c'), group)]),
    runCli(['run', ...kafkaArgs(broker.bootstrap, topic, join(dir2, 'd'), group)]),
  ])
  assert.equal(c.code, 0, c.stderr)
  assert.equal(d.code, 0, d.stderr)
  const ids = await storedIds(dir2)
  assert.equal(ids.length, expected.size, 'every message stored once')
  assert.deepEqual(new Set(ids), expected)
  assert.ok(summaryOf(c).received + summaryOf(d).received >= 2000)
})


test('--stop-when-idle in partition-group mode goes by where this job reads, not by offsets another job committed for the group', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName()
  await broker.createTopic(topic, 1)
  const lines = sampleLines().map((text, i) => JSON.stringify({ text, timestamp: `2025-09-27T10:30:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0')}` }))
  await kcatProduce(broker.bootstrap, topic, lines.slice(0, 300), { partition: 0 })
  const first = await runCli(['run', ...kafkaArgs(broker.bootstrap, topic, tempDir(t), ['--partitions', `${topic}:0`])])
  assert.equal(first.code, 0, first.stderr)
  assert.equal(summaryOf(first).received, 300)
  // The group's committed offset is now 300 of 500; a new job starting at the end has nothing to read and stops.
  await kcatProduce(broker.bootstrap, topic, lines.slice(300, 500), { partition: 0 })
  const latest = await runCli(['run', ...kafkaArgs(broker.bootstrap, topic, tempDir(t), ['--partitions', `${topic}:0`, '--starting-offsets', 'latest'])], { timeoutMs: 90_000 })
  assert.equal(latest.code, 0, latest.stderr)
  assert.equal(summaryOf(latest).received, 0)
})
