/**
 * The whole job on embedded defaults: file source → built-in embedder →
 * embedded vector store, through the CLI as a user runs it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.ts'
import { createVectorStore } from '../../src/adapters/factory.ts'
import { runJob } from '../../src/main.ts'
import type { Embedder, ScoredPoint, VectorStore } from '../../operators/contracts.ts'
import { createBuiltinEmbedder } from '../../src/adapters/builtin-embedder.ts'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { pointId } from '../../operators/point-id.ts'
import { openCheckpointStore, checkpointPath } from '../../checkpoints/sqlite-store.ts'
import { jobIdentity } from '../../src/adapters/factory.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli, summaryOf } from '../helpers/cli.ts'

const sampleIds = () => new Set(readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean).map((l) => {
  const e = parseHdfsLine(l)!
  return pointId(e.text, e.timestamp)
}))

function jobArgs(dir: string, source: string, extra: string[] = []): string[] {
  return ['run', '--source', `file:${source}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '500ms', ...extra]
}

async function storedPoints(dir: string): Promise<Map<string, ScoredPoint>> {
  const config = loadConfig({ flags: new Map([['data-dir', [join(dir, 'data')]]]) })
  const store = await createVectorStore(config, { logger: pino({ level: 'silent' }) })
  const all = new Map<string, ScoredPoint>()
  let after: string | undefined
  for (;;) {
    const page = await store.scroll({ limit: 500, after })
    for (const p of page.points) all.set(p.id, p)
    if (!page.next) break
    after = page.next
  }
  await store.close()
  return all
}

/** Payloads without the ingest time, which differs between runs by design. */
const comparable = (points: Map<string, ScoredPoint>) =>
  [...points.values()].map((p) => ({ id: p.id, ...p.payload, ingested_at: undefined })).sort((a, b) => (a.id < b.id ? -1 : 1))

test('the sample is stored once per distinct id; a second pass stores nothing and embeds nothing', async (t) => {
  const dir = tempDir(t)
  const first = await runCli(jobArgs(dir, SAMPLE))
  assert.equal(first.code, 0, first.stderr)
  const s1 = summaryOf(first)
  const ids = sampleIds()
  assert.equal(s1.received, 2000)
  assert.equal(s1.stored, ids.size)
  assert.ok(first.logs.some((l) => String(l.msg).startsWith('Processing batch 0...\n  Batch size: 1000 messages')), 'the replaced job console block is printed')
  const points = await storedPoints(dir)
  assert.deepEqual(new Set(points.keys()), ids)

  // The same lines again, under other jobs (fresh checkpoints), with an embedder that counts its calls and a store that
  // counts its look-ups: the recent-id cache starts with the ids stored last, so none is looked up; without the cache, all;
  // and when the store cannot say which ids it stored last, the job runs on with the cache empty and looks them all up.
  for (const [job, recentIds, lookedUpExpected, seedFails] of [['again', '200000', 0, false], ['uncached', '0', ids.size, false], ['unseeded', '200000', ids.size, true]] as const) {
    const asked: string[] = []
    const builtin = createBuiltinEmbedder({ dim: 384 })
    const counting: Embedder = { name: 'counting', dim: 384, embed: async (texts) => (asked.push(...texts), builtin.embed(texts)) }
    const config = loadConfig({
      flags: new Map([['source', [`file:${SAMPLE}`]], ['job', [job]], ['data-dir', [join(dir, 'data')]], ['checkpoint-dir', [join(dir, 'checkpoints')]], ['trigger', ['500ms']], ['recent-ids', [recentIds]]]),
    })
    const inner = await createVectorStore(config, { logger: pino({ level: 'silent' }) })
    let lookedUp = 0
    const store: VectorStore = Object.assign(Object.create(inner) as VectorStore, {
      existing: (ids: readonly string[]) => ((lookedUp += ids.length), inner.existing(ids)),
      ...(seedFails ? { recentIds: () => Promise.reject(new Error('the ids stored last cannot be read')) } : {}),
    })
    const s2 = await runJob(config, { logger: pino({ level: 'silent' }), services: { embedder: counting, store } })
    assert.equal(s2.received, 2000, job)
    assert.equal(s2.stored, 0, job)
    assert.equal(s2.skippedExisting + s2.duplicatesInBatch, 2000, job)
    assert.equal(asked.length, 0, `${job}: no embedding asked for`)
    assert.equal(lookedUp, lookedUpExpected, `${job}: ids looked up in the store`)
  }
  assert.equal((await storedPoints(dir)).size, ids.size)

  // The same job again resumes at the end of the file: nothing to read.
  const third = await runCli(jobArgs(dir, SAMPLE))
  assert.equal(third.code, 0, third.stderr)
  assert.equal(summaryOf(third).received, 0)
})

test('killed mid-file and started again, the store is the same as after one uninterrupted run', async (t) => {
  const whole = tempDir(t)
  const crashed = tempDir(t)
  const args = ['--batch-size', '300']
  assert.equal((await runCli(jobArgs(whole, SAMPLE, args))).code, 0)

  const killed = await runCli(jobArgs(crashed, SAMPLE, args), { env: { LOGSTREAM_CRASH_AT: 'after-sink:3' } })
  assert.equal(killed.signal, 'SIGKILL')
  const restarted = await runCli(jobArgs(crashed, SAMPLE, args))
  assert.equal(restarted.code, 0, restarted.stderr)
  assert.ok(restarted.logs.some((l) => l.msg === 'replaying a batch that was planned and never committed'))
  const s = summaryOf(restarted)
  assert.equal(s.received, 2000 - 3 * 300, 'resumes after the last committed batch')
  assert.equal(s.skippedExisting, 300, 'the replayed batch was stored before the crash: nothing of it is embedded again')
  assert.deepEqual(comparable(await storedPoints(crashed)), comparable(await storedPoints(whole)))
})

test('malformed lines are dead-lettered with a reason; the good ones are stored; exit 0', async (t) => {
  const dir = tempDir(t)
  const input = join(dir, 'mixed.log')
  const good = readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 20)
  writeFileSync(input, '')
  const bad = [
    '{"text": "unterminated',
    '',
    Buffer.from([0x00, 0x01, 0x02, 0x41]).toString('latin1'),
    Buffer.from([0x66, 0xff, 0xfe, 0x41]).toString('latin1'),
    'x'.repeat(5 * 1024 * 1024),
    '{"log_level": "INFO"}',
    '{"text": 42}',
  ]
  const lines: string[] = []
  good.forEach((l, i) => {
    lines.push(l)
    if (i < bad.length) lines.push(bad[i]!)
  })
  appendFileSync(input, Buffer.from(lines.join('\n') + '\n', 'latin1'))
  const result = await runCli(jobArgs(dir, input))
  assert.equal(result.code, 0, result.stderr)
  const s = summaryOf(result)
  assert.equal(s.stored, 20)
  assert.equal(s.deadLettered, 7)
  const config = loadConfig({ flags: new Map([['source', [`file:${input}`]], ['checkpoint-dir', [join(dir, 'checkpoints')]]]) })
  const checkpoints = openCheckpointStore({ path: checkpointPath(join(dir, 'checkpoints'), 'logs'), identity: jobIdentity(config) })
  const dead = checkpoints.deadLetters()
  checkpoints.close()
  assert.deepEqual(dead.map((d) => d.reason).sort(), ['bad-json', 'binary', 'empty', 'invalid-utf8', 'missing-text', 'oversized', 'wrong-type'])
  assert.ok(dead.every((d) => d.partition === `file:${input}` && d.offset > 0 && d.detail.length > 0))
  const warned = result.logs.filter((l) => l.msg === 'malformed message sent to the dead-letter store')
  assert.equal(warned.length, 7, 'each bad line is logged once')
})


test('search prints the nearest stored lines, as a table or as JSON', async (t) => {
  const dir = tempDir(t)
  assert.equal((await runCli(jobArgs(dir, SAMPLE))).code, 0)
  const query = 'Got exception while serving block'
  const table = await runCli(['search', query, '-k', '3', '--data-dir', join(dir, 'data')])
  assert.equal(table.code, 0, table.stderr)
  assert.equal(table.stdout.split('\n').filter((l) => /^\s*\d+\. /.test(l)).length, 3)
  const json = await runCli(['search', query, '-k', '3', '--json', '--data-dir', join(dir, 'data')])
  const results = (JSON.parse(json.stdout) as { results: Array<{ score: number; text: string; log_level: string }> }).results
  assert.equal(results.length, 3)
  assert.ok(results.every((r) => r.text.includes('Got exception while serving')), 'the nearest lines are of the query template')
  assert.ok(results[0]!.score >= results[2]!.score)
  const bad = await runCli(['search', '--data-dir', join(dir, 'data')])
  assert.equal(bad.code, 2)
})
