/**
 * `npm run bench -- store`: the embedded store alone, on the machine's disk
 * and, where there is one, on tmpfs (/dev/shm), in the same run.
 *
 * The engine row spends most of its time in the store's upserts; this says
 * how much of that is the durable write (WAL + fsync per batch, which the
 * checkpoint protocol relies on) and how much is SQLite's CPU work: the
 * tmpfs/disk ratio is the share the disk costs.
 *
 * Sizes: BENCH_STORE_POINTS (100000) in batches of 1,000, 384 dimensions.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteVectorStore } from '../src/adapters/sqlite-vector-store.ts'
import { parseRecord } from '../operators/parse.ts'
import { pointsOf } from '../operators/sink.ts'
import type { ParsedEntry, Point } from '../operators/contracts.ts'
import { hdfsTraffic, prng } from './hdfs-traffic.ts'

const POINTS = Number(process.env.BENCH_STORE_POINTS ?? 100_000)
const DIM = 384
const BATCH = 1000

/** Points as the sink writes them (`pointsOf`), from generated HDFS traffic. */
function makePoints(): Point[] {
  const random = prng(7)
  const fresh: ParsedEntry[] = []
  let offset = 0
  for (const line of hdfsTraffic({ count: POINTS, duplicateShare: 0, seed: 3 })) {
    const record = { partition: 'bench/0', offset, nextOffset: offset + 1, key: null, value: Buffer.from(line) }
    offset++
    const parsed = parseRecord(record, { maxMessageBytes: 1 << 20 })
    if ('entry' in parsed) fresh.push({ kind: 'entry', id: parsed.id, entry: parsed.entry, record })
  }
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

const points = makePoints()
const rows = [await measure(`disk (${tmpdir()})`, tmpdir(), points)]
if (existsSync('/dev/shm')) rows.push(await measure('tmpfs (/dev/shm)', '/dev/shm', points))
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(`embedded store alone: ${points.length.toLocaleString('en-US')} points of ${DIM} dimensions in ${BATCH}-point batches, each batch durable (WAL, fsync) before it is acknowledged`)
console.log('| where | upserts/s | look-ups/s | upserts vs disk |')
console.log('| --- | --- | --- | --- |')
for (const r of rows) console.log(`| ${r.where} | ${fmt(r.upsertsPerS)} | ${fmt(r.lookupsPerS)} | ${(r.upsertsPerS / rows[0]!.upsertsPerS).toFixed(2)}x |`)
