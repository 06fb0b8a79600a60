import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { anomalyScore, rarityScore, scoreEntries, RARITY_NEIGHBOURS } from '../../src/scoring/anomaly.ts'
import { createBuiltinEmbedder } from '../../src/adapters/builtin-embedder.ts'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { pointId } from '../../operators/point-id.ts'
import type { LogEntry, ScoredPoint } from '../../operators/contracts.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const alike = (n: number, similarity = 1) => Array<number>(n).fill(similarity)

test('the score falls as the history holds more lines like the line, on a log scale, from 1 (none) to 0 (100 or more)', () => {
  const scores = [0, 1, 2, 5, 10, 25, 49, 50, 99, 100].map((n) => rarityScore(alike(n)))
  for (let i = 1; i < scores.length; i++) assert.ok(scores[i]! < scores[i - 1]!, `more alike lines, lower score (${i})`)
  assert.equal(scores[0], 1)
  assert.equal(rarityScore(alike(100)), 0)
  assert.equal(rarityScore(alike(500)), 0, 'only the nearest 100 count')
  assert.ok(Math.abs(rarityScore(alike(10)) - (1 - Math.log(11) / Math.log(101))) < 1e-9, 'n near-identical lines: 1 − ln(1+n)/ln(101)')
})

test('lines less alike count less, and lines below 0.7 not at all; order does not matter', () => {
  assert.equal(rarityScore(alike(50, 0.69)), 1)
  const near = rarityScore(alike(20, 0.99))
  const fair = rarityScore(alike(20, 0.85))
  assert.ok(near < fair && fair < 1)
  assert.equal(rarityScore([0.9, 0.2, 1, 0.75]), rarityScore([1, 0.9, 0.75, 0.2]))
})

test('whatever the rarity cut, a rarer template scores higher: no k to match', () => {
  // Template sizes 1 … 120 (its other lines near-identical) on a background of unlike lines.
  for (let size = 1; size < 120; size++) {
    const rarer = rarityScore([...alike(size - 1), ...alike(30, 0.5)])
    const common = rarityScore([...alike(size), ...alike(30, 0.5)])
    if (size <= RARITY_NEIGHBOURS) assert.ok(rarer > common, `a template of ${size} lines scores above one of ${size + 1}`)
    else assert.equal(rarer, common, 'beyond the query size every template is common')
  }
})

test("a line's own point is left out of its neighbours", () => {
  const hit = (id: string, score: number) => ({ id, score, payload: {} }) as unknown as ScoredPoint
  assert.equal(anomalyScore([hit('self', 1)], 'self'), 1)
  assert.equal(anomalyScore([hit('self', 1), hit('other', 1)], 'self'), rarityScore([1]))
})

test('scoring against a store: a line of a common kind scores low, one of a kind never seen scores 1', async (t) => {
  const store = createSqliteVectorStore({ path: join(tempDir(t), 'v.sqlite'), collection: 'c', dim: 64, distance: 'Cosine' })
  t.after(() => store.close())
  await store.ensureCollection()
  const embedder = createBuiltinEmbedder({ dim: 64 })
  const entry = (text: string, i: number): LogEntry => ({ text, original_text: text, log_level: 'INFO', source: 's', timestamp: `2024-01-15T10:00:${String(i).padStart(2, '0')}.000`, node_type: 'unknown', label: null, block_id: null, component: null })
  const history = Array.from({ length: 40 }, (_, i) => entry(`Accepted password for root from 10.0.${i}.${i * 3} port ${4000 + i} ssh2`, i))
  const vectors = await embedder.embed(history.map((e) => e.text))
  await store.upsert(history.map((e, i) => ({ id: pointId(e.text, e.timestamp), vector: vectors[i]!, payload: { ...e, source_position: '', ingested_at: '' } })))
  const keyed = (e: LogEntry) => ({ id: pointId(e.text, e.timestamp), entry: e })
  const [common, odd] = await scoreEntries([keyed(entry('Accepted password for root from 10.9.9.9 port 22 ssh2', 59)), keyed(entry('Kernel panic: unable to mount root fs', 58))], { store, embedder }, { threshold: 0.5, neighbours: 3 })
  assert.ok(common!.score < 0.3 && !common!.anomalous, `common ${common!.score}`)
  assert.equal(common!.alike, 40)
  assert.equal(common!.neighbours.length, 3)
  assert.equal(odd!.score, 1)
  assert.ok(odd!.anomalous)
})
