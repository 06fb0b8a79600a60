/**
 * Keeps once the vectors that older point rows of the embedded store share:
 * rows written before layout 3 (and rare shapes stored while they were one
 * line in their batch) carry their own copy of a vector other rows also hold.
 * Jobs keep writing meanwhile: the rows move a chunk a transaction, each
 * chunk under the write lock and synced, so a crash leaves every row either
 * as it was or moved, and reads see one or the other.
 *
 * Two passes: the first counts each vector's hash over the rows that keep
 * their own, the second moves those whose vector two or more rows hold (or
 * that is stored once already). Then the stored vectors no row refers to any
 * more (their points upserted again with another vector) are deleted, in one
 * transaction that finds them again under the write lock: a job's writer
 * finds or adds a vector under that lock too, so none is deleted as a row
 * comes to refer to it. The room freed is reused by later writes; the file
 * does not shrink (`VACUUM`, with the jobs stopped, does).
 */
import { createHash } from 'node:crypto'
import type Database from 'better-sqlite3'
import { ADD_VECTOR_SQL, FIND_VECTOR_SQL } from './sqlite-store-layout.ts'

export interface ShareOptions {
  /** Rows a transaction (default 5,000): each holds the write lock for a few milliseconds, so jobs sharing the file go on. */
  readonly chunk?: number
  /** Called after each chunk's commit: makes it durable (the store syncs its WAL). */
  readonly committed?: () => void
}

export interface Shared {
  /** Rows that now refer to a stored vector instead of holding their own. */
  readonly points: number
  /** Vectors stored once by this run (others were stored already). */
  readonly vectors: number
  /** Bytes of vectors the rows no longer hold, and of the unused vectors deleted. */
  readonly bytes: number
  /** Stored vectors no row referred to, deleted. */
  readonly unused: number
}

const hashOf = (vector: Buffer) => createHash('sha256').update(vector).digest()

/**
 * @example
 * const moved = shareVectors(db, 1)  // { points: 180000, vectors: 16, bytes: 276480000, unused: 0 }
 */
export function shareVectors(db: Database.Database, collection: number, opts: ShareOptions = {}): Shared {
  const chunk = opts.chunk ?? 5000
  // A 12-byte prefix of the hash counts: a rare collision only moves a vector no other row holds, which reads back the same.
  const uses = new Map<string, number>()
  const own = db.prepare('SELECT vector FROM points WHERE collection = ? AND shared IS NULL').pluck()
  for (const vector of own.iterate(collection) as IterableIterator<Buffer>) {
    const key = hashOf(vector).toString('base64', 0, 12)
    uses.set(key, (uses.get(key) ?? 0) + 1)
  }
  const storedBefore = new Set((db.prepare('SELECT hash FROM vectors WHERE collection = ?').pluck().all(collection) as Buffer[]).map((h) => h.toString('base64', 0, 12)))
  const next = db.prepare('SELECT seq, vector FROM points WHERE collection = ? AND shared IS NULL AND seq > ? ORDER BY seq LIMIT ?')
  const find = db.prepare(FIND_VECTOR_SQL).pluck()
  const add = db.prepare(ADD_VECTOR_SQL)
  const refer = db.prepare("UPDATE points SET vector = x'', shared = ? WHERE seq = ? AND shared IS NULL")
  let points = 0
  let vectors = 0
  let bytes = 0
  // Each chunk reads its rows again under the write lock: a job may have replaced one since the first pass.
  const moveChunk = db.transaction((after: number): number | undefined => {
    const rows = next.all(collection, after, chunk) as Array<{ seq: number; vector: Buffer }>
    for (const row of rows) {
      const hash = hashOf(row.vector)
      const key = hash.toString('base64', 0, 12)
      if ((uses.get(key) ?? 0) < 2 && !storedBefore.has(key)) continue
      let stored = find.get(collection, hash) as number | bigint | undefined
      if (stored === undefined) {
        stored = add.run(collection, hash, row.vector).lastInsertRowid
        vectors++
      }
      points += refer.run(stored, row.seq).changes
      bytes += row.vector.length
    }
    return rows.at(-1)?.seq
  })
  for (let after: number | undefined = 0; after !== undefined; ) {
    after = moveChunk.immediate(after)
    opts.committed?.()
  }
  // Looked for without the lock first (a scan of the collection's rows), so a file with none keeps its writers going.
  const unusedSql = 'FROM vectors WHERE collection = ? AND key NOT IN (SELECT shared FROM points WHERE collection = ? AND shared IS NOT NULL)'
  let unused = 0
  if ((db.prepare(`SELECT COUNT(*) ${unusedSql}`).pluck().get(collection, collection) as number) > 0) {
    const dropped = db.transaction(() => db.prepare(`DELETE ${unusedSql} RETURNING length(vector)`).pluck().all(collection, collection) as number[]).immediate()
    unused = dropped.length
    for (const length of dropped) bytes += length
    opts.committed?.()
  }
  return { points, vectors, bytes, unused }
}
