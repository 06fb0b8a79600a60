/**
 * What the stored embeddings are for, measured on the HDFS sample (the LogHub
 * structured CSV gives each line's event template):
 * - search: the nearest other line of a line is of the same template;
 * - anomaly scores: lines of rare templates (seen fewer than 25 times: 29
 *   lines) rank above lines of common ones (ROC AUC).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { pointId } from '../../operators/point-id.ts'
import { createBuiltinEmbedder } from '../../src/adapters/builtin-embedder.ts'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { scoreEntries } from '../../src/scoring/anomaly.ts'
import type { LogEntry } from '../../operators/contracts.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const DATA = new URL('../../data/hdfs/', import.meta.url)

/** Event template of each sample line, in file order, from the structured CSV (EventId is its second to last column). */
function templates(): string[] {
  return readFileSync(new URL('HDFS_2k.log_structured.csv', DATA), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((row) => /,(E\d+),[^,]*$/.exec(row.replace(/"[^"]*"/g, (q) => q.replace(/,/g, ';')))![1]!)
}

/** Area under the ROC curve: the chance that a random positive scores above a random negative (ties count half). */
export function rocAuc(scores: readonly number[], positive: readonly boolean[]): number {
  const pos = scores.filter((_, i) => positive[i])
  const neg = scores.filter((_, i) => !positive[i])
  let wins = 0
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0
  return wins / (pos.length * neg.length)
}

async function storedSample(t: { after(fn: () => unknown): void }) {
  const lines = readFileSync(new URL('HDFS_2k.log', DATA), 'utf8').split('\n').filter(Boolean)
  const entries = lines.map((l) => parseHdfsLine(l)!) as LogEntry[]
  const events = templates()
  assert.equal(events.length, entries.length)
  const embedder = createBuiltinEmbedder({ dim: 384 })
  const store = createSqliteVectorStore({ path: join(tempDir(t), 'v.sqlite'), collection: 'sample', dim: 384, distance: 'Cosine' })
  t.after(() => store.close())
  await store.ensureCollection()
  const vectors = await embedder.embed(entries.map((e) => e.text))
  await store.upsert(entries.map((e, i) => ({ id: pointId(e.text, e.timestamp), vector: vectors[i]!, payload: { ...e, event: events[i], source_position: `sample@${i}`, ingested_at: '' } })))
  return { entries, events, vectors, store, embedder }
}

test('a search for a line returns lines of its template first, for most templates', async (t) => {
  const { entries, events, vectors, store } = await storedSample(t)
  const perTemplate = new Map<string, { right: number; all: number }>()
  for (let i = 0; i < entries.length; i++) {
    const self = pointId(entries[i]!.text, entries[i]!.timestamp)
    const nearest = (await store.search(vectors[i]!, { k: 2 })).find((h) => h.id !== self)!
    const tally = perTemplate.get(events[i]!) ?? { right: 0, all: 0 }
    tally.all++
    if (nearest.payload.event === events[i]) tally.right++
    perTemplate.set(events[i]!, tally)
  }
  // A template seen once has no other line to find: it is left out.
  const judged = [...perTemplate].filter(([, v]) => v.all > 1)
  const templatesRight = judged.filter(([, v]) => v.right / v.all > 0.5).length
  const linesRight = judged.reduce((s, [, v]) => s + v.right, 0) / judged.reduce((s, [, v]) => s + v.all, 0)
  console.log(`search: nearest other line of the same template for ${templatesRight} of ${judged.length} templates; ${(linesRight * 100).toFixed(1)}% of lines`)
  // Floor: every template with at least two lines, and 99% of lines. Lines of one template differ only in numbers,
  // which the built-in embedder folds, so anything lower would mean the embedder stopped seeing templates.
  assert.equal(templatesRight, judged.length)
  assert.ok(linesRight >= 0.99, `share of lines ${linesRight}`)
})

test('scoring each line against the others ranks lines of rare templates above common ones', async (t) => {
  const { entries, events, store, embedder } = await storedSample(t)
  const counts = new Map<string, number>()
  for (const e of events) counts.set(e, (counts.get(e) ?? 0) + 1)
  const rare = events.map((e) => counts.get(e)! < 25)
  assert.equal(rare.filter(Boolean).length, 29)
  const aucs: Record<number, number> = {}
  for (const k of [10, 25]) {
    const scores = (await scoreEntries(entries, { store, embedder }, { k, threshold: 0.5 })).map((s) => s.score)
    aucs[k] = rocAuc(scores, rare)
  }
  console.log(`anomaly score ROC AUC, rare (<25 lines) vs common templates: k=10 ${aucs[10]!.toFixed(3)}, k=25 ${aucs[25]!.toFixed(3)}`)
  // Floors: with k at the rarity cut (25, the service default), a line of a rare template cannot find k lines like
  // it while every common one can: near-perfect separation (0.95). With k=10 the 20 lines of E14 ("Verification
  // succeeded", seen 20 times) look common, so only a third of the rare lines stand out: 0.6.
  assert.ok(aucs[25]! >= 0.95, `AUC k=25 ${aucs[25]}`)
  assert.ok(aucs[10]! >= 0.6, `AUC k=10 ${aucs[10]}`)
  assert.equal(rocAuc([0.9, 0.1], [true, false]), 1)
  assert.equal(rocAuc([0.5, 0.5], [true, false]), 0.5)
})
