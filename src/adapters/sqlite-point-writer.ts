/**
 * The embedded store's upserts on a worker thread of their own: the SQLite
 * inserts of a batch (the engine row's largest cost, a third or more of the
 * main thread) and the fsync that makes them durable run beside the main
 * thread, which meanwhile parses and deduplicates the next batches. A write
 * resolves only once its transaction is committed and the WAL synced, as the
 * store's upsert did on the main thread; the store's reads see it from then
 * on (WAL: one writer, readers beside it).
 *
 * The worker is plain JavaScript evaluated from a string, with better-sqlite3
 * loaded from the path the main thread resolved: it runs the same from the
 * TypeScript sources (tsx registered in the main thread only) and from the
 * compiled build. The main thread packs a batch into arrays of strings and one
 * transferred buffer of vectors, so nothing is copied twice.
 */
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { Point } from '../../operators/contracts.ts'

/** A failed write: `stage` says whether SQLite (`write`, a SQLite error code) or the fsync (`sync`, an errno code) failed. */
export class PointWriteError extends Error {
  override readonly name = 'PointWriteError'
  constructor(
    message: string,
    readonly stage: 'write' | 'sync' | 'worker',
    readonly code: string | undefined,
  ) {
    super(message)
  }
}

export interface PointWriterOptions {
  readonly path: string
  /** The worker connection's page cache, MiB. */
  readonly cacheMb: number
  /** The upsert statement, its collection's key first (the store's schema is the store's). */
  readonly upsertSql: string
  /** The statement that finds a collection's key by its name. */
  readonly keySql: string
}

export interface PointWriter {
  /** Inserts or replaces `points` of `collection` in one transaction, then syncs the WAL. */
  write(collection: string, points: readonly Point[]): Promise<void>
  /** Finishes the writes in flight and stops the worker. */
  close(): Promise<void>
}

interface Answer {
  readonly seq: number
  readonly ok?: true
  readonly stage?: 'write' | 'sync'
  readonly code?: string
  readonly message?: string
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const { openSync, fsyncSync, closeSync } = require('node:fs')
const Database = require(workerData.betterSqlite3)
const db = new Database(workerData.path)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL')
db.pragma('busy_timeout = 30000')
db.pragma('cache_size = -' + workerData.cacheKib)
db.pragma('wal_autocheckpoint = 10000')
const upsert = db.prepare(workerData.upsertSql)
const keyOf = db.prepare(workerData.keySql).pluck()
const write = db.transaction((m) => {
  // Inside the write transaction: the collection cannot go while its points go in.
  const key = keyOf.get(m.collection)
  if (key === undefined) throw Object.assign(new Error('the embedded store has no collection ' + m.collection), { code: 'COLLECTION_LOST' })
  const bytes = Buffer.from(m.vectors)
  const size = m.dim * 4
  for (let i = 0; i < m.ids.length; i++) {
    upsert.run(key, m.ids[i], bytes.subarray(i * size, (i + 1) * size), m.payloads[i], m.levels[i], m.nodeTypes[i], m.sources[i], m.timestamps[i])
  }
})
function syncWal() {
  let fd
  try { fd = openSync(workerData.path + '-wal', 'r') } catch (err) { if (err.code === 'ENOENT') return; throw err }
  try { fsyncSync(fd) } finally { closeSync(fd) }
}
parentPort.on('message', (m) => {
  if (m.close) { db.close(); parentPort.postMessage({ seq: m.seq, ok: true }); return }
  try { write(m) } catch (err) { parentPort.postMessage({ seq: m.seq, stage: 'write', code: err.code, message: err.message }); return }
  try { syncWal() } catch (err) { parentPort.postMessage({ seq: m.seq, stage: 'sync', code: err.code, message: err.message }); return }
  parentPort.postMessage({ seq: m.seq, ok: true })
})
`

const nullable = (v: unknown): string | null => (typeof v === 'string' ? v : v === undefined || v === null ? null : String(v))

/**
 * @example
 * const writer = startPointWriter({ path: '.logstream/vectors.sqlite', cacheMb: 16, upsertSql })
 * await writer.write('logs_embeddings', points)
 */
export function startPointWriter(opts: PointWriterOptions): PointWriter {
  const require = createRequire(import.meta.url)
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { path: opts.path, cacheKib: opts.cacheMb * 1024, upsertSql: opts.upsertSql, keySql: opts.keySql, betterSqlite3: require.resolve('better-sqlite3') },
  })
  const pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>()
  let seq = 0
  let dead: Error | undefined
  // The worker keeps the process alive only while a write is in flight.
  worker.unref()

  const settle = (n: number, err?: Error) => {
    const p = pending.get(n)
    if (!p) return
    pending.delete(n)
    if (pending.size === 0) worker.unref()
    if (err) p.reject(err)
    else p.resolve()
  }
  const fail = (err: Error) => {
    dead ??= err
    for (const n of [...pending.keys()]) settle(n, err)
  }
  worker.on('message', (a: Answer) => settle(a.seq, a.ok ? undefined : new PointWriteError(a.message ?? 'write failed', a.stage ?? 'write', a.code)))
  worker.on('error', (err) => fail(new PointWriteError(`the embedded store's writer thread failed: ${err.message}`, 'worker', (err as NodeJS.ErrnoException).code)))
  worker.on('exit', (code) => fail(new PointWriteError(`the embedded store's writer thread exited (${code})`, 'worker', undefined)))

  const send = (message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<void> =>
    new Promise((resolve, reject) => {
      if (dead) return reject(dead)
      const n = ++seq
      if (pending.size === 0) worker.ref()
      pending.set(n, { resolve, reject })
      worker.postMessage({ ...message, seq: n }, transfer)
    })

  return {
    write(collection, points) {
      if (points.length === 0) return Promise.resolve()
      const dim = points[0]!.vector.length
      const vectors = new Float32Array(points.length * dim)
      const ids: string[] = new Array(points.length)
      const payloads: string[] = new Array(points.length)
      const levels: Array<string | null> = new Array(points.length)
      const nodeTypes: Array<string | null> = new Array(points.length)
      const sources: Array<string | null> = new Array(points.length)
      const timestamps: Array<string | null> = new Array(points.length)
      for (let i = 0; i < points.length; i++) {
        const p = points[i]!
        const q = p.payload
        vectors.set(p.vector, i * dim)
        ids[i] = p.id
        payloads[i] = JSON.stringify(q)
        levels[i] = nullable(q.log_level)
        nodeTypes[i] = nullable(q.node_type)
        sources[i] = nullable(q.source)
        timestamps[i] = nullable(q.timestamp)
      }
      return send({ collection, dim, ids, payloads, levels, nodeTypes, sources, timestamps, vectors: vectors.buffer }, [vectors.buffer])
    },
    async close() {
      if (!dead) await send({ close: true }).catch(() => undefined)
      await worker.terminate()
    },
  }
}
