/**
 * A benchmark row of its own: what the score stage costs per line, in
 * process, against the real embedded store growing as it would (each batch
 * scored, then stored), with the built-in embedder and the checkpoint's
 * anomaly ledger. Only the stage's own time is counted (not embedding, not
 * storing).
 *
 * - `hdfs`: HDFS traffic (`hdfs-traffic.ts`): a few dozen shapes, so after a
 *   warm-up the shape cache answers nearly every line;
 * - `new`: the same traffic with a word no line had before added to each
 *   line, so every line is a shape of its own: each is one neighbour query
 *   (the embedded store's exact search scans the collection, so the cost per
 *   line grows with the store) plus the comparison with its batch.
 *
 * `qdrant` runs the same against a real Qdrant node (`scripts/qdrant.sh`, on
 * the same cores; its own CPU time is not in the row's, and is given apart).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { firstValueFrom, of } from 'rxjs'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { hdfsTraffic, prng } from './hdfs-traffic.ts'
import { parseRecord } from '../operators/parse.ts'
import type { EmbeddedBatch, ParsedEntry } from '../operators/contracts.ts'
import { deduped } from '../operators/dedup.ts'
import { score } from '../operators/score.ts'
import { pointsOf } from '../operators/sink.ts'
import { ShapeCache } from '../operators/shape-cache.ts'
import { AnomalyTracker } from '../operators/anomaly-tracker.ts'
import { createPipelineMetrics } from '../operators/metrics.ts'
import { batchIdFor } from '../operators/batch-id.ts'
import { checkpointPath, openCheckpointStore } from '../checkpoints/sqlite-store.ts'
import { createBuiltinEmbedder } from '../src/adapters/builtin-embedder.ts'
import { createSqliteVectorStore } from '../src/adapters/sqlite-vector-store.ts'
import { createQdrantStore } from '../src/adapters/qdrant-store.ts'
import type { VectorStore } from '../operators/contracts.ts'
import type { RowResult } from './worker.ts'

const DIM = 384
const BATCH = 1000

/** A word of random letters, so the masking keeps it and the line's shape is its own. */
function word(random: () => number): string {
  return Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('')
}

/** A real Qdrant node of the row's own, from scripts/qdrant.sh: its URL, its CPU seconds so far, and a stop. */
function startQdrant(dir: string): { url: string; cpuSeconds: () => number; stop: () => void } {
  const script = join(process.cwd(), 'scripts/qdrant.sh')
  const env = { ...process.env, LOGSTREAM_QDRANT_RUN: join(dir, 'qdrant') }
  execFileSync('bash', [script, 'fetch'], { stdio: 'ignore' })
  const url = execFileSync('bash', [script, 'start'], { env, encoding: 'utf8' }).trim().split('\n').at(-1)!
  const pid = readFileSync(join(dir, 'qdrant', 'pid'), 'utf8').trim()
  // User and system time in clock ticks (100 a second), fields 14 and 15 of /proc/PID/stat.
  const cpuSeconds = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  }
  return { url, cpuSeconds, stop: () => execFileSync('bash', [script, 'stop'], { env, stdio: 'ignore' }) }
}

export async function scoringRow(traffic: 'hdfs' | 'new', count: number, sink: 'embedded' | 'qdrant' = 'embedded'): Promise<RowResult & { queried: number; cached: number; storeCpuSeconds?: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'logstream-bench-scoring-'))
  const random = prng(5)
  const qdrant = sink === 'qdrant' ? startQdrant(dir) : null
  const store: VectorStore = qdrant ? createQdrantStore({ url: qdrant.url, collection: 'bench', dim: DIM }) : createSqliteVectorStore({ path: join(dir, 'vectors.sqlite'), collection: 'bench', dim: DIM, distance: 'Cosine' })
  const checkpoints = openCheckpointStore({ path: checkpointPath(dir, 'bench'), identity: { job: 'bench', source: 'bench', sink: 'bench', dim: DIM } })
  try {
    await store.ensureCollection()
    const embedder = createBuiltinEmbedder({ dim: DIM })
    const ctx = { step: 'score', logger: pino({ level: 'silent' }), metrics: createPipelineMetrics(new Registry()), signal: new AbortController().signal }
    const stage = score(ctx, { store, threshold: 0.5, cache: new ShapeCache(10_000), tracker: new AnomalyTracker({ ledger: checkpoints.anomalies(), threshold: 0.5, quietMs: 3_600_000 }), job: 'bench', vectorPerShape: embedder.vectorPerShape })
    const entries: ParsedEntry[] = []
    let offset = 0
    // The sample from the working directory: the compiled build runs from dist/, which holds no data.
    const sample = readFileSync(join(process.cwd(), 'data/hdfs/HDFS_2k.log'), 'utf8').split('\n').filter(Boolean)
    for (const line of hdfsTraffic({ count, seed: 9, sample })) {
      const record = { partition: 'bench/0', offset, nextOffset: offset + 1, key: null, value: Buffer.from(line) }
      const out = parseRecord(record, { maxMessageBytes: 1 << 20 })
      offset++
      if (!('entry' in out)) continue
      entries.push({ kind: 'entry', id: out.id, record, entry: traffic === 'new' ? { ...out.entry, text: `${out.entry.text} ${word(random)}` } : out.entry })
    }
    let seconds = 0
    let cpuSeconds = 0
    let storeCpuSeconds = 0
    let queried = 0
    let cached = 0
    for (let i = 0; i < entries.length; i += BATCH) {
      const fresh = entries.slice(i, i + BATCH)
      const ranges = [{ partition: 'bench/0', from: fresh[0]!.record.offset, to: fresh.at(-1)!.record.nextOffset }]
      const seq = i / BATCH
      const batch: EmbeddedBatch = { ...deduped({ id: batchIdFor(ranges), seq, ranges, entries: fresh, deadLetters: [], openedAt: performance.now(), stageTimings: {} }, fresh, 0, 0), vectors: await embedder.embed(fresh.map((e) => e.entry.text)) }
      checkpoints.plan({ id: batch.id, seq, ranges })
      const cpu0 = process.cpuUsage()
      const store0 = qdrant?.cpuSeconds() ?? 0
      const t0 = performance.now()
      const out = await firstValueFrom(of(batch).pipe(stage))
      seconds += (performance.now() - t0) / 1000
      const cpu = process.cpuUsage(cpu0)
      storeCpuSeconds += (qdrant?.cpuSeconds() ?? 0) - store0
      cpuSeconds += (cpu.user + cpu.system) / 1e6
      queried += out.scoring!.queried
      cached += out.scoring!.cached
      await store.upsert(pointsOf(out, new Date().toISOString()))
      checkpoints.commit({ batchId: batch.id, positions: new Map([[ranges[0]!.partition, ranges[0]!.to]]), counts: { received: fresh.length, skippedExisting: 0, duplicatesInBatch: 0, stored: fresh.length, deadLettered: 0 }, timings: {}, deadLetters: [] })
    }
    return { messages: entries.length, seconds, cpuSeconds, peakRssMb: process.resourceUsage().maxRSS / 1024, queried, cached, ...(qdrant ? { storeCpuSeconds } : {}) }
  } finally {
    checkpoints.close()
    await store.close()
    qdrant?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
