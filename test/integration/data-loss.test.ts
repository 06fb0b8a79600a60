/**
 * Nothing is lost silently. A checkpoint past the end of its partition (the
 * topic recreated) or below its start (retention deleted unread records), a
 * store file emptied, a store that lost its latest writes, a collection
 * deleted: each stops the job with an error that says what happened and what
 * to run, changing nothing; `--on-data-loss warn` (for the source) and
 * `run --rebuild` (for the store) each end with the store of one clean run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { truncateSync, rmSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, eventually, runCli, summaryOf } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName, type Broker } from '../helpers/kafka-broker.ts'
import { storedIds, storedPayloads } from '../helpers/store.ts'
import { suiteQdrant, suiteQdrantKind } from '../helpers/qdrant.ts'
import { hdfsMessages, kcatLine } from '../helpers/hdfs-messages.ts'

/** `count` messages of HDFS traffic as keyed lines, and their ids. */
function traffic(count: number, seed: number): { messages: string[]; ids: Set<string> } {
  const messages = hdfsMessages(count, seed)
  return { messages: messages.map(kcatLine), ids: new Set(messages.map((m) => m.id)) }
}

function kafkaJob(broker: Broker, topic: string, dir: string): string[] {
  return ['run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '300ms', '--stop-when-idle', '2s']
}

const union = (...sets: Array<Set<string>>) => new Set(sets.flatMap((s) => [...s]))

test('a checkpoint past the end of its partition (the topic was recreated) stops the job; --on-data-loss warn reads the new log from its start', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('recreated')
  await broker.createTopic(topic, 1)
  const before = traffic(300, 1)
  await kcatProduce(broker.bootstrap, topic, before.messages, { keyed: true })
  const dir = tempDir(t)
  const first = await runCli(kafkaJob(broker, topic, dir))
  assert.equal(first.code, 0, first.stderr)

  await broker.deleteTopic(topic)
  // Deletion finishes in the background: create again until the broker takes it.
  await eventually(async () => broker.createTopic(topic, 1).then(() => true, () => false), 60_000, 1000)
  const after = traffic(120, 2)
  await kcatProduce(broker.bootstrap, topic, after.messages, { keyed: true })

  const refused = await runCli(kafkaJob(broker, topic, dir))
  assert.equal(refused.code, 3, refused.stderr)
  assert.match(refused.stderr, new RegExp(`DATA_LOSS.*partition ${topic}/0: the checkpoint resumes at offset 300, but its log holds offsets 0 to 120; that is past its end`))
  assert.match(refused.stderr, /checkpoint reset --to/)
  assert.deepEqual(new Set(await storedIds(dir)), before.ids, 'nothing was changed')

  const warned = await runCli([...kafkaJob(broker, topic, dir), '--on-data-loss', 'warn'])
  assert.equal(warned.code, 0, warned.stderr)
  assert.ok(warned.logs.some((l) => /resuming at offset 0 \(--on-data-loss warn\)/.test(String(l.msg))))
  assert.equal(summaryOf(warned).stored, [...after.ids].filter((id) => !before.ids.has(id)).length)
  assert.deepEqual(new Set(await storedIds(dir)), union(before.ids, after.ids), 'the store of one clean run over both logs')
})

test('a checkpoint below the start of its partition (retention deleted records never read) stops the job; --on-data-loss warn goes on from the start', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('retention')
  // Segments roll on the first append 200 ms after a segment began, so retention can delete all but the newest.
  await broker.createTopic(topic, 1, { 'segment.ms': '200' })
  const first = traffic(300, 3)
  await kcatProduce(broker.bootstrap, topic, first.messages, { keyed: true })
  const dir = tempDir(t)
  assert.equal((await runCli(kafkaJob(broker, topic, dir))).code, 0)
  await kcatProduce(broker.bootstrap, topic, traffic(200, 4).messages, { keyed: true })

  // Real retention (the broker checks every 500 ms, see scripts/kafka.sh): with retention.ms at 1 every segment goes
  // (the newest is rolled first); appending a line now and then rolls segments, until offsets from 300 on are gone unread.
  await broker.alterTopic(topic, { 'retention.ms': '1' })
  let end = 500
  let start = 0
  for (let tail = 0; start <= 300; tail++) {
    assert.ok(tail < 200, `retention left the log start at ${start}`)
    await kcatProduce(broker.bootstrap, topic, traffic(1, 100 + tail).messages, { keyed: true })
    end++
    await new Promise((r) => setTimeout(r, 250))
    start = await broker.logStart(topic, 0)
  }
  // Retention back to a week, then new lines the job has not read either: the log now holds only those.
  await broker.alterTopic(topic, { 'retention.ms': '604800000' })
  await eventually(async () => (await broker.topicConfig(topic))['retention.ms'] === '604800000')
  start = await broker.logStart(topic, 0)
  const later = traffic(50, 5)
  await kcatProduce(broker.bootstrap, topic, later.messages, { keyed: true })
  end += later.messages.length

  const refused = await runCli(kafkaJob(broker, topic, dir))
  assert.equal(refused.code, 3, refused.stderr)
  assert.match(refused.stderr, new RegExp(`partition ${topic}/0: the checkpoint resumes at offset 300, but its log holds offsets ${start} to ${end}; that is below its start: retention deleted offsets 300 to ${start - 1}`))

  const warned = await runCli([...kafkaJob(broker, topic, dir), '--on-data-loss', 'warn'])
  assert.equal(warned.code, 0, warned.stderr)
  assert.equal(summaryOf(warned).received, end - start)
  assert.ok(end - start >= later.messages.length)
  const clean = tempDir(t)
  assert.equal((await runCli(kafkaJob(broker, topic, clean))).code, 0)
  assert.deepEqual(new Set(await storedIds(dir)), union(first.ids, new Set(await storedIds(clean))), 'what the log still holds is stored, as a clean run stores it')
})

function fileJob(dir: string, extra: string[] = []): string[] {
  return ['run', '--source', `file:${SAMPLE}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--batch-size', '200', '--trigger', '200ms', ...extra]
}

test('an embedded store file emptied stops the job (the collection is gone); run --rebuild stores the source again, equal to one clean run', async (t) => {
  const clean = tempDir(t)
  assert.equal((await runCli(fileJob(clean))).code, 0)
  const reference = await storedPayloads(clean)

  const dir = tempDir(t)
  assert.equal((await runCli(fileJob(dir))).code, 0)
  const file = join(dir, 'data', 'vectors.sqlite')
  truncateSync(file, 0)
  for (const extra of ['-wal', '-shm']) if (existsSync(file + extra)) rmSync(file + extra)

  const refused = await runCli(fileJob(dir))
  assert.equal(refused.code, 3, refused.stderr)
  assert.match(refused.stderr, /COLLECTION_LOST.*collection logs_embeddings is missing from the embedded store; the checkpoint acknowledged \d+ points stored there\. Nothing was changed\. To store the source again: logstream run --rebuild/)

  const rebuilt = await runCli(fileJob(dir, ['--rebuild']))
  assert.equal(rebuilt.code, 0, rebuilt.stderr)
  assert.deepEqual(await storedPayloads(dir), reference)
  const again = await runCli(fileJob(dir))
  assert.equal(again.code, 0, again.stderr)
  assert.equal(summaryOf(again).received, 0, 'the rebuilt checkpoint is at the end of the file')
})

test('a store that lost its latest writes (a damaged file) stops the job; deletions of old points do not', async (t) => {
  const dir = tempDir(t)
  assert.equal((await runCli(fileJob(dir))).code, 0)
  const file = join(dir, 'data', 'vectors.sqlite')
  // Retention: the oldest points go. The job starts as usual.
  let db = new Database(file)
  db.prepare('DELETE FROM points WHERE seq IN (SELECT seq FROM points ORDER BY seq LIMIT 300)').run()
  db.close()
  const afterRetention = await runCli(fileJob(dir))
  assert.equal(afterRetention.code, 0, afterRetention.stderr)
  // A damaged file: the newest writes are gone.
  db = new Database(file)
  db.prepare('DELETE FROM points WHERE seq IN (SELECT seq FROM points ORDER BY seq DESC LIMIT 150)').run()
  db.close()
  const refused = await runCli(fileJob(dir))
  assert.equal(refused.code, 3, refused.stderr)
  assert.match(refused.stderr, /DATA_LOSS.*the embedded store lacks \d+ of the \d+ points the job's last batches stored/)
  const rebuilt = await runCli(fileJob(dir, ['--rebuild']))
  assert.equal(rebuilt.code, 0, rebuilt.stderr)
  assert.ok(summaryOf(rebuilt).stored >= 150, 'the lost points are stored again')
})

test(`a collection deleted behind the job (embedded store, and ${suiteQdrantKind() === 'real' ? 'real Qdrant' : 'the Qdrant stand-in'}) stops it; run --rebuild stores the source again`, async (t) => {
  const dir = tempDir(t)
  assert.equal((await runCli(fileJob(dir))).code, 0)
  const reference = await storedPayloads(dir)
  const deleted = await runCli(['collections', 'delete', 'logs_embeddings', '--yes', '--data-dir', join(dir, 'data')])
  assert.equal(deleted.code, 0, deleted.stderr)
  const refused = await runCli(fileJob(dir))
  assert.equal(refused.code, 3, refused.stderr)
  assert.match(refused.stderr, /COLLECTION_LOST/)
  assert.equal((await runCli(fileJob(dir, ['--rebuild']))).code, 0)
  assert.deepEqual(await storedPayloads(dir), reference)

  const qdrant = await suiteQdrant(t)
  const collection = `deleted_${randomBytes(4).toString('hex')}`
  const qdir = tempDir(t)
  const qjob = (extra: string[] = []) => fileJob(qdir, ['--sink', 'qdrant', '--qdrant-url', qdrant.url, '--collection', collection, ...extra])
  t.after(() => fetch(`${qdrant.url}/collections/${collection}`, { method: 'DELETE' }).catch(() => undefined))
  assert.equal((await runCli(qjob())).code, 0)
  const points = await qdrant.pointCount(collection)
  assert.equal((await fetch(`${qdrant.url}/collections/${collection}`, { method: 'DELETE' })).status, 200)
  // Created again behind the job's back, empty: another collection with the same name.
  const recreated = await runCli(['collections', 'create', '--sink', 'qdrant', '--qdrant-url', qdrant.url, '--collection', collection])
  assert.equal(recreated.code, 0, recreated.stderr)
  const refusedQ = await runCli(qjob())
  assert.equal(refusedQ.code, 3, refusedQ.stderr)
  assert.match(refusedQ.stderr, /COLLECTION_LOST.*is not the one this checkpoint was written against/)
  assert.equal(await qdrant.pointCount(collection), 0, 'nothing was changed')
  assert.equal((await runCli(qjob(['--rebuild']))).code, 0)
  assert.equal(await qdrant.pointCount(collection), points)
})
