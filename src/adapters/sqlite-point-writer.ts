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
 * buffer of its distinct vectors, so nothing is copied twice. A vector that
 * several points share (one object: the built-in embedder's lines of one
 * shape) goes once, and is stored once (layout 3, `sqlite-store-layout.ts`).
 *
 * The thread also reads the ids stored last (the census the recent-id cache
 * starts with), on its own connection, so that every write can tell whether
 * any other connection has written to the file since: SQLite's
 * `data_version` changes with other connections' commits and never with the
 * connection's own.
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
  /** The statements that find a shared vector's key by its collection's key and hash, and add one. */
  readonly findVectorSql: string
  readonly addVectorSql: string
  /** The statement that reads a collection's ids stored last, packed, oldest first (its collection's name and a limit). */
  readonly recentIdsSql: string
}

export interface PointWriter {
  /**
   * Inserts or replaces `points` of `collection` in one transaction, then syncs the WAL. Resolves whether the file may
   * have been written by another connection since the last `census`: true when there was none, or when SQLite's
   * `data_version` has moved since.
   */
  write(collection: string, points: readonly Point[]): Promise<boolean>
  /** The newest `limit` ids of `collection`, 16 bytes each, packed, oldest first; the point from which `write` tells of others' writes. */
  census(collection: string, limit: number): Promise<Uint8Array>
  /** Finishes the writes in flight and stops the worker. */
  close(): Promise<void>
}

// The thread loads no TypeScript: `core/sqlite-wal.ts`'s syncWal goes in as its source text, beside the node:fs functions it calls.
const SCRIPT = `
const { openSync, fsyncSync, closeSync } = require('node:fs')
const { createHash } = require('node:crypto')
${syncWal.toString()}
const upsert = db.prepare(workerData.upsertSql)
const keyOf = db.prepare(workerData.keySql).pluck()
const findVector = db.prepare(workerData.findVectorSql).pluck()
const addVector = db.prepare(workerData.addVectorSql)
const dataVersion = db.prepare('PRAGMA data_version').pluck()
// Prepared when first asked: a statement that cannot be prepared fails the census, not the writes.
let recentIds
const NONE = Buffer.alloc(0)
// data_version as of the census's snapshot (another connection's commit moves it, this connection's own commits never
// do); undefined when no census was read, or once a write has seen another connection's commit since.
let census
const readCensus = db.transaction((m) => {
  recentIds ??= db.prepare(workerData.recentIdsSql).pluck()
  // The read first: it opens the snapshot that data_version then describes.
  const packed = recentIds.get(m.collection, m.census)
  census = dataVersion.get()
  if (!packed) return new Uint8Array(0)
  // The answer's buffer is moved to the main thread: a blob that is not the whole of its buffer is copied first.
  return packed.byteLength === packed.buffer.byteLength ? new Uint8Array(packed.buffer) : Uint8Array.from(packed)
})
const write = db.transaction((m) => {
  // Anyone else's commit since the census, seen under the write lock: from then on, every write says so.
  if (census !== undefined && dataVersion.get() !== census) census = undefined
  // Inside the write transaction: the collection cannot go while its points go in.
  const key = keyOf.get(m.collection)
  if (key === undefined) throw Object.assign(new Error('the embedded store has no collection ' + m.collection), { code: 'COLLECTION_LOST' })
  const bytes = Buffer.from(m.vectors)
  const size = m.dim * 4
  // A shared vector's key: found by its bytes' hash, or added (the write lock is held, so no other job adds it meanwhile).
  const shared = new Array(m.shared.length)
  for (let j = 0; j < m.shared.length; j++) {
    if (!m.shared[j]) continue
    const vector = bytes.subarray(j * size, (j + 1) * size)
    const hash = createHash('sha256').update(vector).digest()
    shared[j] = findVector.get(key, hash) ?? addVector.run(key, hash, vector).lastInsertRowid
  }
  for (let i = 0; i < m.ids.length; i++) {
    const j = m.slots[i]
    const own = shared[j] === undefined
    upsert.run(key, m.ids[i], own ? bytes.subarray(j * size, (j + 1) * size) : NONE, own ? null : shared[j], m.payloads[i], m.levels[i], m.nodeTypes[i], m.sources[i], m.timestamps[i])
  }
})
function handle(m) {
  if (m.census !== undefined) return readCensus(m)
  // IMMEDIATE: the write lock before the first read. A transaction that reads first and then writes, after another job
  // sharing the file committed, fails at once with SQLITE_BUSY (its snapshot is stale, so the busy handler cannot help).
  write.immediate(m)
  try { syncWal(workerData.path) } catch (err) { err.stage = 'sync'; throw err }
  return census === undefined
}
`

const nullable = (v: unknown): string | null => (typeof v === 'string' ? v : v === undefined || v === null ? null : String(v))

/**
 * @example
 * const writer = startPointWriter({ path: '.logstream/vectors.sqlite', cacheMb: 16, upsertSql, keySql, findVectorSql, addVectorSql, recentIdsSql })
 * await writer.write('logs_embeddings', points)
 */
export function startPointWriter(opts: PointWriterOptions): PointWriter {
  const { path, cacheMb, ...statements } = opts
  const thread = startSqliteThread({ role: 'writer', path, cacheMb, script: SCRIPT, data: statements })
  // Vectors sent as shared: one seen again in a later batch, even by one point, goes to its stored copy rather than into a row.
  const sentShared = new WeakSet<object>()
  return {
    write(collection, points) {
      // Nothing written, nothing seen.
      if (points.length === 0) return Promise.resolve(false)
      const dim = points[0]!.vector.length
      // Each distinct vector once (by object: the points of one shape hold one), and which of them several points share.
      const slots = new Int32Array(points.length)
      const slotOf = new Map<object, number>()
      const distinct: Array<Point['vector']> = []
      const uses: number[] = []
      for (let i = 0; i < points.length; i++) {
        const v = points[i]!.vector
        let j = slotOf.get(v)
        if (j === undefined) {
          j = distinct.length
          slotOf.set(v, j)
          distinct.push(v)
          uses.push(0)
        }
        uses[j]!++
        slots[i] = j
      }
      const vectors = new Float32Array(distinct.length * dim)
      const shared = new Uint8Array(distinct.length)
      for (let j = 0; j < distinct.length; j++) {
        const v = distinct[j]!
        vectors.set(v, j * dim)
        if (uses[j]! > 1 || sentShared.has(v)) {
          shared[j] = 1
          sentShared.add(v)
        }
      }
      const ids: string[] = new Array(points.length)
      const payloads: string[] = new Array(points.length)
      const levels: Array<string | null> = new Array(points.length)
      const nodeTypes: Array<string | null> = new Array(points.length)
      const sources: Array<string | null> = new Array(points.length)
      const timestamps: Array<string | null> = new Array(points.length)
      for (let i = 0; i < points.length; i++) {
        const p = points[i]!
        const q = p.payload
        ids[i] = p.id
        payloads[i] = JSON.stringify(q)
        levels[i] = nullable(q.log_level)
        nodeTypes[i] = nullable(q.node_type)
        sources[i] = nullable(q.source)
        timestamps[i] = nullable(q.timestamp)
      }
      return thread.request<boolean>({ collection, dim, ids, payloads, levels, nodeTypes, sources, timestamps, vectors: vectors.buffer, slots, shared }, [vectors.buffer, slots.buffer, shared.buffer])
    },
    census: (collection, limit) => thread.request<Uint8Array>({ collection, census: limit }),
    close: () => thread.close(),
  }
}
