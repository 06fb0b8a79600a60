/** The score service over the stored HDFS sample, in the embedded store and in Qdrant (the real server wherever it can run, else the stand-in). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { readFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createBuiltinEmbedder } from '../../src/adapters/builtin-embedder.ts'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { createQdrantStore } from '../../src/adapters/qdrant-store.ts'
import { startScoreService } from '../../src/services/score-service.ts'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { pointId } from '../../operators/point-id.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE } from '../helpers/cli.ts'
import { suiteQdrant, suiteQdrantKind } from '../helpers/qdrant.ts'

type StoreKind = 'embedded' | 'qdrant'
const STORES: ReadonlyArray<readonly [StoreKind, string]> = [
  ['embedded', 'the embedded store'],
  ['qdrant', `Qdrant (${suiteQdrantKind()})`],
]

async function openStore(t: { after(fn: () => unknown): void }, kind: StoreKind) {
  if (kind === 'embedded') return createSqliteVectorStore({ path: join(tempDir(t), 'v.sqlite'), collection: 'c', dim: 384, distance: 'Cosine' })
  const qdrant = await suiteQdrant(t)
  const collection = `score_${randomBytes(4).toString('hex')}`
  const store = createQdrantStore({ url: qdrant.url, collection, dim: 384, retry: { maxAttempts: 3 } })
  t.after(() => store.deleteCollection(collection).catch(() => undefined))
  return store
}

async function service(t: { after(fn: () => unknown): void }, kind: StoreKind = 'embedded') {
  const store = await openStore(t, kind)
  t.after(() => store.close())
  await store.ensureCollection()
  const embedder = createBuiltinEmbedder({ dim: 384 })
  const entries = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean).map((l) => parseHdfsLine(l)!)
  const vectors = await embedder.embed(entries.map((e) => e.text))
  await store.upsert(entries.map((e, i) => ({ id: pointId(e.text, e.timestamp), vector: vectors[i]!, payload: { ...e, source_position: '', ingested_at: '' } })))
  const s = await startScoreService({ host: '127.0.0.1', port: 0, store, embedder, neighbours: 5, threshold: 0.5, maxBytes: 20_000, maxLines: 10 })
  t.after(() => s.close())
  return s.url
}

const post = (url: string, body: unknown, type = 'application/json') => fetch(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) })

for (const [kind, name] of STORES) {
  test(`${name}: POST /score answers a single line in milliseconds: a common line scores low, an unseen kind of line high`, async (t) => {
    const url = await service(t, kind)
    const common = '081111 101010 10 INFO dfs.DataNode$PacketResponder: PacketResponder 2 for block blk_123 terminating'
    const started = performance.now()
    const res = await post(`${url}/score`, { lines: [common] })
    const elapsed = performance.now() - started
    assert.equal(res.status, 200)
    const body = (await res.json()) as { results: Array<{ score: number; anomalous: boolean; neighbours: Array<{ text: string }> }> }
    assert.equal(body.results.length, 1)
    assert.ok(body.results[0]!.score < 0.1)
    assert.equal(body.results[0]!.anomalous, false)
    assert.match(body.results[0]!.neighbours[0]!.text, /^PacketResponder \d for block blk_-?\d+ terminating$/)
    console.log(`single-line /score: ${elapsed.toFixed(1)} ms`)
    const odd = (await (await post(`${url}/score`, { lines: [{ text: 'Kernel panic: unable to mount root fs on unknown-block', log_level: 'FATAL' }] })).json()) as { results: Array<{ score: number; anomalous: boolean }> }
    assert.ok(odd.results[0]!.anomalous, `score ${odd.results[0]!.score}`)
  })

  test(`${name}: POST /similar returns nearest lines with filters`, async (t) => {
    const url = await service(t, kind)
    const res = (await (await post(`${url}/similar`, { text: 'Got exception while serving block', k: 3, level: 'WARN' })).json()) as { results: Array<{ log_level: string; text: string }> }
    assert.equal(res.results.length, 3)
    assert.ok(res.results.every((r) => r.log_level === 'WARN' && r.text.includes('Got exception while serving')))
  })
}

test('oversized or malformed requests get clear 4xx answers', async (t) => {
  const url = await service(t)
  const cases: Array<[unknown, number, string, string?]> = [
    ['{not json', 400, 'BAD_JSON'],
    [{ lines: [] }, 400, 'BAD_REQUEST'],
    [{ lines: ['{"text": 5}'] }, 400, 'BAD_LINE'],
    [{ lines: Array(11).fill('x') }, 413, 'TOO_MANY_LINES'],
    [{ lines: ['x'.repeat(30_000)] }, 413, 'TOO_LARGE'],
    [{ lines: ['ok'], k: 0 }, 400, 'BAD_REQUEST'],
    ['lines', 415, 'UNSUPPORTED_MEDIA_TYPE', 'text/plain'],
  ]
  for (const [body, status, code, type] of cases) {
    const res = await post(`${url}/score`, body, type)
    assert.equal(res.status, status, JSON.stringify(body).slice(0, 60))
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, code)
  }
  assert.equal((await fetch(`${url}/score`)).status, 405)
  assert.equal((await fetch(`${url}/healthz`)).status, 200)
  assert.match(await (await fetch(`${url}/metrics`)).text(), /logstream_score_requests_total\{path="\/score",status="413"\} 2/)
})
