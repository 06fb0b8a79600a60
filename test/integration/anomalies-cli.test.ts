/**
 * `logstream anomalies` after a file job: the announced shapes from the job's
 * checkpoint, as a table or JSON, filtered by --since; the JSON-lines file of
 * announcements beside the checkpoint; and what the command refuses.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { AnomalyMessage } from '../../operators/contracts.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli, summaryOf } from '../helpers/cli.ts'
import { storedIds } from '../helpers/store.ts'
import { pino } from 'pino'
import { loadConfig } from '../../src/config.ts'
import { createVectorStore } from '../../src/adapters/factory.ts'

const NEW_LINE = (n: number) => `081111 10000${n} 31 ERROR dfs.DataNode: Disk failure on /mnt/hadoop/dfs/data: volume sdb is read-only after an I/O error`
const NEW_SHAPE = 'Disk failure on <path>: volume sdb is read-only after an I/O error'

test('a file job announces each new kind of line once in a JSON-lines file; logstream anomalies lists them with their counts, as a table or JSON, since a time', async (t) => {
  const dir = tempDir(t)
  const input = join(dir, 'in.log')
  copyFileSync(SAMPLE, input)
  const args = ['--source', `file:${input}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints')]
  const first = await runCli(['run', ...args, '--no-http'])
  assert.equal(first.code, 0, first.stderr)
  assert.ok(first.logs.some((l) => /^Scoring new lines against the stored history; new patterns \(score ≥ 0.5\) go to file .*logs\.anomalies\.jsonl$/.test(String(l.msg))))
  const file = join(dir, 'checkpoints', 'logs.anomalies.jsonl')
  const firstRun = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AnomalyMessage)
  assert.equal(new Set(firstRun.map((m) => m.shape)).size, firstRun.length, 'each shape once')
  const ids = new Set(await storedIds(dir))
  assert.ok(firstRun.every((m) => ids.has(m.point_id) && m.source_position === `file:${input}@${m.offset}`))
  const before = new Date().toISOString()
  await new Promise((r) => setTimeout(r, 20))

  // Three lines of a new kind: one announcement with a count of 3, only it listed since `before`.
  appendFileSync(input, [0, 1, 2].map(NEW_LINE).join('\n') + '\n')
  const second = await runCli(['run', ...args, '--no-http'])
  assert.equal(second.code, 0, second.stderr)
  assert.equal(summaryOf(second).received, 3)
  const added = readFileSync(file, 'utf8').trim().split('\n').slice(firstRun.length).map((l) => JSON.parse(l) as AnomalyMessage)
  assert.deepEqual(added.map((m) => [m.shape, m.count, m.score, m.log_level]), [[NEW_SHAPE, 3, 1, 'ERROR']])

  const json = await runCli(['anomalies', '--json', '--since', before, ...args])
  assert.equal(json.code, 0, json.stderr)
  const listed = JSON.parse(json.stdout) as Array<{ shape: string; lines: number; score: number; example: string; point_id: string; first_seen: string }>
  assert.deepEqual(listed.map((p) => [p.shape, p.lines, p.score, p.example, p.point_id]), [[NEW_SHAPE, 3, 1, NEW_LINE(0), added[0]!.point_id]])
  assert.ok(listed[0]!.first_seen > before)
  const all = JSON.parse((await runCli(['anomalies', '--json', ...args])).stdout) as unknown[]
  assert.equal(all.length, firstRun.length + 1)
  const table = await runCli(['anomalies', '--limit', '1', ...args])
  assert.equal(table.code, 0)
  assert.match(table.stdout, /^1 new pattern\(s\) of job logs\n/)
  assert.match(table.stdout, /\s3 lines {2}score 1\.00 {2}ERROR {2}Disk failure on <path>/)
  assert.ok(table.stdout.includes(`first line: ${NEW_LINE(0)}`))

  // From the vector store: the same shapes, grouped from the stored lines scoring at or above the threshold.
  const fromStore = JSON.parse((await runCli(['anomalies', '--json', '--from', 'store', ...args])).stdout) as Array<{ shape_id: string; shape: string; lines: number; score: number; example: string; point_id: string; announcements: null }>
  assert.deepEqual(new Set(fromStore.map((p) => p.shape_id)), new Set((all as Array<{ shape_id: string }>).map((p) => p.shape_id)))
  assert.ok(fromStore.every((p) => p.announcements === null && p.score >= 0.5))
  const config = loadConfig({ flags: new Map([['data-dir', [join(dir, 'data')]]]) })
  const vectors = await createVectorStore(config, { logger: pino({ level: 'silent' }) })
  t.after(() => vectors.close())
  const newLines = (await vectors.scroll({ limit: 5000 })).points.filter((p) => p.payload.text?.startsWith('Disk failure on'))
  assert.equal(newLines.length, 3)
  const storeNew = JSON.parse((await runCli(['anomalies', '--json', '--from', 'store', '--since', before, ...args])).stdout) as typeof fromStore
  assert.deepEqual(storeNew.map((p) => [p.shape, p.lines, p.score, p.example, p.point_id]), [
    [NEW_SHAPE, newLines.filter((p) => (p.payload.anomaly_score ?? 0) >= 0.5).length, 1, NEW_LINE(0), added[0]!.point_id],
  ])
  // 'auto' reads the store when the job has no checkpoint there.
  const auto = await runCli(['anomalies', '--limit', '1', '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'nowhere')])
  assert.equal(auto.code, 0, auto.stderr)
  assert.match(auto.stdout, /^1 new pattern\(s\) in collection logs_embeddings \(stored lines scoring ≥ 0\.5\)\n/)
  assert.ok(auto.stdout.includes(`first line: ${NEW_LINE(0)}`))

  // Refused: a bad --since or --from (exit 2), a job without a checkpoint (exit 2), no store (exit 2).
  assert.equal((await runCli(['anomalies', '--since', 'yesterday', ...args])).code, 2)
  const badFrom = await runCli(['anomalies', '--from', 'kafka', ...args])
  assert.equal(badFrom.code, 2)
  assert.match(badFrom.stderr, /--from/)
  const none = await runCli(['anomalies', '--from', 'checkpoint', '--checkpoint-dir', join(dir, 'nowhere')])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /has no checkpoint/)
  const noStore = await runCli(['anomalies', '--data-dir', join(dir, 'empty'), '--checkpoint-dir', join(dir, 'nowhere')])
  assert.equal(noStore.code, 2)
  assert.match(noStore.stderr, /dataDir/)
})

test('--anomaly-scoring off: no score in the payloads, no announcements; --embedder none leaves it off by default', async (t) => {
  const dir = tempDir(t)
  const run = await runCli(['run', '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--anomaly-scoring', 'off'])
  assert.equal(run.code, 0, run.stderr)
  assert.ok(!run.logs.some((l) => /^Scoring new lines/.test(String(l.msg))))
  const listed = await runCli(['anomalies', '--json', '--checkpoint-dir', join(dir, 'checkpoints')])
  assert.deepEqual(JSON.parse(listed.stdout), [])
  const config = loadConfig({ flags: new Map([['data-dir', [join(dir, 'data')]]]) })
  const store = await createVectorStore(config, { logger: pino({ level: 'silent' }) })
  t.after(() => store.close())
  const page = await store.scroll({ limit: 50 })
  assert.ok(page.points.length === 50 && page.points.every((p) => !('anomaly_score' in p.payload)))
  const none = await runCli(['run', '--data-dir', join(dir, 'data2'), '--checkpoint-dir', join(dir, 'checkpoints2'), '--no-http', '--embedder', 'none'])
  assert.equal(none.code, 0, none.stderr)
  assert.ok(!none.logs.some((l) => /^Scoring new lines/.test(String(l.msg))))
})

test('against Qdrant: a job scores with the batch query and announces; the ingest scores match the embedded store\'s', async (t) => {
  const { suiteQdrant, dropCollection } = await import('../helpers/qdrant.ts')
  const qdrant = await suiteQdrant(t)
  const collection = `anomalies_${Date.now().toString(36)}`
  t.after(() => dropCollection(qdrant.url, collection))
  const dir = tempDir(t)
  const run = (sink: string[], sub: string) => runCli(['run', '--data-dir', join(dir, sub, 'data'), '--checkpoint-dir', join(dir, sub, 'checkpoints'), '--no-http', '--batch-size', '500', ...sink])
  const viaQdrant = await run(['--sink', 'qdrant', '--qdrant-url', qdrant.url, '--collection', collection], 'q')
  assert.equal(viaQdrant.code, 0, viaQdrant.stderr)
  const embedded = await run([], 'e')
  assert.equal(embedded.code, 0, embedded.stderr)
  const { createQdrantStore } = await import('../../src/adapters/qdrant-store.ts')
  const q = createQdrantStore({ url: qdrant.url, collection, dim: 384 })
  const e = await createVectorStore(loadConfig({ flags: new Map([['data-dir', [join(dir, 'e', 'data')]]]) }), { logger: pino({ level: 'silent' }) })
  t.after(() => e.close())
  const scores = async (store: typeof e) => {
    const out = new Map<string, unknown>()
    for (let after: string | undefined; ; ) {
      const page = await store.scroll({ limit: 500, after })
      for (const p of page.points) out.set(p.id, p.payload.anomaly_score)
      if (!page.next) return out
      after = page.next
    }
  }
  const [fromQdrant, fromEmbedded] = [await scores(q), await scores(e)]
  assert.equal(fromQdrant.size, 2000)
  let differ = 0
  for (const [id, s] of fromEmbedded) if (Math.abs((fromQdrant.get(id) as number) - (s as number)) > 1e-4) differ++
  assert.equal(differ, 0, 'the same score for every line, whichever store answered')
  const announced = (dir2: string) => readFileSync(join(dir, dir2, 'checkpoints', 'logs.anomalies.jsonl'), 'utf8').trim().split('\n').length
  assert.equal(announced('q'), announced('e'))
  // Listed from Qdrant (its range filter on anomaly_score), the same patterns as from the embedded store.
  const listed = async (store: string[]) => {
    const r = await runCli(['anomalies', '--json', '--from', 'store', '--limit', '1000', ...store])
    assert.equal(r.code, 0, r.stderr)
    return (JSON.parse(r.stdout) as Array<{ shape_id: string; lines: number; point_id: string }>).map((p) => [p.shape_id, p.lines, p.point_id]).sort()
  }
  const fromQdrantList = await listed(['--sink', 'qdrant', '--qdrant-url', qdrant.url, '--collection', collection])
  assert.equal(fromQdrantList.length, announced('q'))
  assert.deepEqual(fromQdrantList, await listed(['--data-dir', join(dir, 'e', 'data')]))
})
