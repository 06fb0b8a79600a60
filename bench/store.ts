/**
 * `npm run bench -- store`: the embedded store alone, on the machine's disk
 * and, where there is one, on tmpfs (/dev/shm), in the same run.
 *
 * The engine row spends most of its time in the store's upserts; this says
 * how much of that is the durable write (WAL + fsync per batch, which the
 * checkpoint protocol relies on) and how much is SQLite's CPU work: the
 * tmpfs/disk ratio is the share the disk costs.
 *
 * Then exact search on the disk, in a store as the default job fills it (the
 * built-in embedder: the lines of one shape share one vector, kept once):
 * the store's query against a distance a point, the query it had before
 * (kept here as the baseline), on the same file, query after query.
 *
 * Sizes: BENCH_STORE_POINTS (100000) in batches of 1,000, 384 dimensions.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import Database from 'better-sqlite3'
import * as sqliteVec from 'sqlite-vec'
import { createBuiltinEmbedder } from '../src/adapters/builtin-embedder.ts'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteVectorStore } from '../src/adapters/sqlite-vector-store.ts'
import { pointsOf } from '../operators/sink.ts'
import type { Point } from '../operators/contracts.ts'
import { freshEntries } from './fresh-entries.ts'
import { prng } from './hdfs-traffic.ts'

const POINTS = Number(process.env.BENCH_STORE_POINTS ?? 100_000)
const DIM = 384
const BATCH = 1000

/** Points as the sink writes them (`pointsOf`), from generated HDFS traffic. */
function makePoints(): Point[] {
  const random = prng(7)
  const fresh = freshEntries(POINTS)
  const vectors = fresh.map(() => Float32Array.from({ length: DIM }, () => random() - 0.5))
  return pointsOf({ fresh, vectors }, new Date().toISOString())
}

async function measure(where: string, root: string, points: Point[]): Promise<{ where: string; upsertsPerS: number; lookupsPerS: number }> {
  const dir = mkdtempSync(join(root, 'logstream-store-bench-'))
  try {
    const store = createSqliteVectorStore({ path: join(dir, 'vectors.sqlite'), collection: 'bench', dim: DIM, distance: 'Cosine' })
    await store.ensureCollection()
    const t0 = performance.now()
    for (let i = 0; i < points.length; i += BATCH) await store.upsert(points.slice(i, i + BATCH))
    const upsertSeconds = (performance.now() - t0) / 1000
    const ids = points.filter((_, i) => i % 5 === 0).map((p) => p.id)
    const t1 = performance.now()
    let found = 0
    for (let i = 0; i < ids.length; i += BATCH) found += (await store.existing(ids.slice(i, i + BATCH))).size
    const lookupSeconds = (performance.now() - t1) / 1000
    if (found !== new Set(ids).size) throw new Error(`look-up found ${found} of ${ids.length} stored ids`)
    await store.close()
    return { where, upsertsPerS: points.length / upsertSeconds, lookupsPerS: ids.length / lookupSeconds }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A distance a point, as exact search was before shared vectors were scored once: the baseline. */
const A_DISTANCE_A_POINT = `SELECT id, 1 - vec_distance_cosine(CASE WHEN shared IS NULL THEN vector ELSE (SELECT v.vector FROM vectors v WHERE v.key = shared) END, ?) AS score
  FROM points WHERE collection = (SELECT key FROM collections WHERE name = ?) ORDER BY score DESC, id LIMIT ?`

/** Milliseconds a query of the store's search and of the baseline, alternating, on one file the built-in embedder's vectors fill. */
async function measureSearch(root: string, points: Point[]): Promise<{ storeMs: number; baselineMs: number; vectors: number }> {
  const dir = mkdtempSync(join(root, 'logstream-search-bench-'))
  try {
    const path = join(dir, 'vectors.sqlite')
    const store = createSqliteVectorStore({ path, collection: 'bench', dim: DIM, distance: 'Cosine' })
    await store.ensureCollection()
    const embedder = createBuiltinEmbedder({ dim: DIM })
    for (let i = 0; i < points.length; i += BATCH) {
      const some = points.slice(i, i + BATCH)
      const vectors = await embedder.embed(some.map((p) => p.payload.text))
      await store.upsert(some.map((p, j) => ({ ...p, vector: vectors[j]! })))
    }
    const db = new Database(path, { readonly: true })
    sqliteVec.load(db)
    const baseline = db.prepare(A_DISTANCE_A_POINT)
    const vectors = db.prepare('SELECT COUNT(*) FROM vectors').pluck().get() as number
    const random = prng(11)
    let storeMs = 0
    let baselineMs = 0
    const queries = 10
    for (let q = 0; q < queries; q++) {
      const v = Float32Array.from({ length: DIM }, () => random() - 0.5)
      const t0 = performance.now()
      const [hits] = await store.searchMany!([v], { k: 11 })
      const t1 = performance.now()
      const before = baseline.all(Buffer.from(v.buffer), 'bench', 11) as Array<{ score: number }>
      const t2 = performance.now()
      // The same answer (ties may name other points of one shape): the same similarities, nearest first.
      if (hits!.some((h, i) => Math.abs(h.score - before[i]!.score) > 1e-6)) throw new Error('the store and the baseline disagree')
      storeMs += t1 - t0
      baselineMs += t2 - t1
    }
    db.close()
    await store.close()
    return { storeMs: storeMs / queries, baselineMs: baselineMs / queries, vectors }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const points = makePoints()
const rows = [await measure(`disk (${tmpdir()})`, tmpdir(), points)]
if (existsSync('/dev/shm')) rows.push(await measure('tmpfs (/dev/shm)', '/dev/shm', points))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(`embedded store alone: ${points.length.toLocaleString('en-US')} points of ${DIM} dimensions in ${BATCH}-point batches, each batch durable (WAL, fsync) before it is acknowledged`)
console.log('| where | upserts/s | look-ups/s | upserts vs disk |')
console.log('| --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.where} | ${fmt(r.upsertsPerS)} | ${fmt(r.lookupsPerS)} | ${(r.upsertsPerS / rows[0]!.upsertsPerS).toFixed(2)}x |`)

const search = await measureSearch(tmpdir(), points)
console.log('')
console.log(`exact search, k = 11, in the same ${points.length.toLocaleString('en-US')} points as the default job stores them (built-in embedder: ${search.vectors} shared vectors stored), 10 queries each:`)
console.log('| query | ms a query | vs a distance a point |')
console.log('| --- | --- | --- |')
console.log(`| a distance a point (baseline) | ${search.baselineMs.toFixed(1)} | 1.00x |`)
console.log(`| the store's: a distance a shared vector | ${search.storeMs.toFixed(1)} | ${(search.baselineMs / search.storeMs).toFixed(2)}x |`)
