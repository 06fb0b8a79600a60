/**
 * The embedded store's upserts on a worker thread of their own: the SQLite
 * inserts of a batch (the engine row's largest cost, a third or more of the
 * main thread) and the fsync that makes them durable run beside the main
 * thread, which meanwhile parses and deduplicates the next batches. A write
 * resolves only once its transaction is committed and the WAL synced, as the
 * store's upsert did on the main thread; the store's reads see it from then
 * on (WAL: one writer, readers beside it).
 *
 * The main thread packs a batch into arrays of strings and one transferred
 * buffer of vectors, so nothing is copied twice.
 */
import type { Point } from '../../operators/contracts.ts'
import { syncWal } from '../../core/sqlite-wal.ts'
import { startSqliteThread } from './sqlite-thread.ts'

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

// The thread loads no TypeScript: `core/sqlite-wal.ts`'s syncWal goes in as its source text, beside the node:fs functions it calls.
const SCRIPT = `
const { openSync, fsyncSync, closeSync } = require('node:fs')
${syncWal.toString()}
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
function handle(m) {
  // IMMEDIATE: the write lock before the first read. A transaction that reads first and then writes, after another job
  // sharing the file committed, fails at once with SQLITE_BUSY (its snapshot is stale, so the busy handler cannot help).
  write.immediate(m)
  try { syncWal(workerData.path) } catch (err) { err.stage = 'sync'; throw err }
}
`

const nullable = (v: unknown): string | null => (typeof v === 'string' ? v : v === undefined || v === null ? null : String(v))

/**
 * @example
 * const writer = startPointWriter({ path: '.logstream/vectors.sqlite', cacheMb: 16, upsertSql, keySql })
 * await writer.write('logs_embeddings', points)
 */
export function startPointWriter(opts: PointWriterOptions): PointWriter {
  const thread = startSqliteThread({ role: 'writer', path: opts.path, cacheMb: opts.cacheMb, script: SCRIPT, data: { upsertSql: opts.upsertSql, keySql: opts.keySql } })
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
      return thread.request<void>({ collection, dim, ids, payloads, levels, nodeTypes, sources, timestamps, vectors: vectors.buffer }, [vectors.buffer])
    },
    close: () => thread.close(),
  }
}
