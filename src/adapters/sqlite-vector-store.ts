/**
 * The embedded vector store: one SQLite file (better-sqlite3 + sqlite-vec),
 * several collections in it. Points live in a strict table (collection key, id
 * as 16 bytes, payload JSON, indexed filter columns, vector blob; the layout and
 * the move of older files in `sqlite-store-layout.ts`); nearest-neighbour search runs in
 * sqlite-vec over the rows the filters leave (`vec_distance_cosine`), exact
 * rather than approximate, which at the sizes an embedded store holds is both
 * correct and fast enough. WAL: an acknowledged upsert survives a crash of
 * the process and of the machine. Upserts run on a writer thread of their
 * own (`sqlite-point-writer.ts`): they commit with synchronous=NORMAL and then
 * fsync the WAL before they resolve (what FULL does at the commit), while the
 * main thread goes on with the next batches; other writes are fsynced as they
 * commit. Dedup's id look-ups run on a reader thread (`sqlite-thread.ts`) with
 * a connection of its own; the tools' reads stay on the main thread.
 */
import { mkdirSync } from 'node:fs'
import { randomUUID } from 'node:crypto'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import * as sqliteVec from 'sqlite-vec'
import type { CollectionInfo, Neighbour, Point, PointPayload, ScoredPoint, SearchFilter, VectorStore } from '../../operators/contracts.ts'
import { LogstreamError } from '../../core/errors.ts'
import { syncWal, useWal } from '../../core/sqlite-wal.ts'
import { startPointWriter, type PointWriter } from './sqlite-point-writer.ts'
import { SqliteThreadError, startSqliteThread, type SqliteThread } from './sqlite-thread.ts'
import { ADD_VECTOR_SQL, FIND_VECTOR_SQL, isUuid, openLayout, uuidText, type LayoutOpened } from './sqlite-store-layout.ts'
import { shareVectors, type Shared } from './sqlite-share-vectors.ts'

export interface SqliteVectorStoreOptions {
  readonly path: string
  readonly collection: string
  readonly dim: number
  readonly distance: 'Cosine'
  /** SQLite page cache in MiB (default 16). */
  readonly cacheMb?: number
  /** Told when opening moved a layout 1 file's points to the current layout. */
  readonly onMigrated?: (migrated: NonNullable<LayoutOpened['migrated']>) => void
  /** Told when opening gave a layout 2 file the current layout's table of shared vectors, in place. */
  readonly onLayout2Moved?: () => void
}

/** Extra operations the collection tools use; the Qdrant store has them too, but for `shareVectors`. */
export interface CollectionAdmin {
  listCollections(): Promise<CollectionInfo[]>
  collectionInfo(name: string): Promise<CollectionInfo | null>
  deleteCollection(name: string): Promise<boolean>
  /** Embedded store: the vectors that rows of a collection hold alike, kept once (`sqlite-share-vectors.ts`); null when there is no such collection. */
  shareVectors?(name: string, opts?: { chunk?: number }): Promise<Shared | null>
}

/**
 * SQLite's errors as typed ones: a full disk and I/O failures stop the job
 * (nothing a retry of the batch can fix; a restart resumes once it is
 * mended), a lock held too long is waited out like any unavailable store.
 */
function storageErrors<T>(what: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    throw storageError(what, err)
  }
}

/** A SQLite error as its typed one (see `storageErrors`); any other error as it is. */
function storageError(what: string, err: unknown): unknown {
  const code = String((err as { code?: unknown }).code ?? '')
  if (code === 'SQLITE_FULL') return new LogstreamError('STORAGE_FULL', `the disk of the embedded store is full during ${what}: ${(err as Error).message}`, { cause: err })
  if (/^SQLITE_(IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|PERM)/.test(code)) return new LogstreamError('STORAGE_FAILED', `the embedded store failed during ${what} (${code}): ${(err as Error).message}`, { cause: err })
  if (/^SQLITE_(BUSY|LOCKED)/.test(code)) return new LogstreamError('STORE_UNAVAILABLE', `the embedded store is locked by another writer during ${what}`, { retryable: true, cause: err })
  return err
}

/** A failed request of the writer or reader thread as its typed error: SQLite's, the fsync's, or the thread's own. */
function threadError(what: string, err: unknown): unknown {
  if (!(err instanceof SqliteThreadError)) return err
  if (err.stage === 'sync') return syncFailed(what, err)
  if (err.code === 'COLLECTION_LOST') return new LogstreamError('COLLECTION_LOST', `${err.message} (deleted while the job ran?); a restart says what to do`, { cause: err })
  if (err.stage === 'worker') return new LogstreamError('STORAGE_FAILED', `the embedded store failed during ${what}: ${err.message}`, { cause: err })
  return storageError(what, err)
}

/** An fsync that failed, as the typed error SQLite's own would have given. */
function syncFailed(what: string, err: unknown): LogstreamError {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ENOSPC' || code === 'EDQUOT') return new LogstreamError('STORAGE_FULL', `the disk of the embedded store is full during ${what}: ${(err as Error).message}`, { cause: err })
  return new LogstreamError('STORAGE_FAILED', `the embedded store failed to sync its file during ${what} (${code ?? 'error'}): ${(err as Error).message}`, { cause: err })
}

/** The key of a collection by its name; every statement finds its collection through it (the writer thread once a transaction). */
const KEY_SQL = 'SELECT key FROM collections WHERE name = ?'
const KEY = `(${KEY_SQL})`

/** Which of the ids (a JSON array) a collection holds, as their positions in the array: nothing is formatted back from bytes or copied back as text. */
const EXISTING_SQL = `SELECT j.key FROM json_each(?) j WHERE EXISTS (SELECT 1 FROM points WHERE collection = ${KEY} AND id = unhex(j.value, '-'))`

/**
 * A collection's ids stored last, packed into one blob oldest first: rowids grow as points are first stored (an upsert
 * of a stored id keeps its row). From the id index alone, no row read; SQLite keeps only the newest `limit` while it
 * scans, and one blob comes back rather than an object an id (a Buffer an id took 100 MB more at the peak for 180,000).
 */
const RECENT_IDS_SQL = `SELECT unhex(group_concat(hex(id), '' ORDER BY rowid)) FROM
  (SELECT rowid, id FROM points INDEXED BY points_id WHERE collection = ${KEY} ORDER BY rowid DESC LIMIT ?)`

/** The reader thread: dedup's id look-ups, off the main thread (a tenth or more of its time in a first load or a replay). */
const LOOKUP_SCRIPT = `
const existing = db.prepare(workerData.existingSql).pluck()
function handle(m) {
  return existing.all(m.ids, m.collection)
}
`

/** Inserts a point (its collection's key, its id as a UUID's text, its own vector or a shared one's key), or replaces the one with its id. */
const UPSERT_SQL = `INSERT INTO points (collection, id, vector, shared, payload, log_level, node_type, source, timestamp) VALUES (?, unhex(?, '-'), ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (collection, id) DO UPDATE SET vector = excluded.vector, shared = excluded.shared, payload = excluded.payload, log_level = excluded.log_level,
    node_type = excluded.node_type, source = excluded.source, timestamp = excluded.timestamp`

/** A point's vector, in a statement over `points`: its own, or the shared one it refers to. */
const VECTOR = '(CASE WHEN shared IS NULL THEN vector ELSE (SELECT v.vector FROM vectors v WHERE v.key = shared) END)'

/**
 * The nearest points to a vector, ids and similarities: the query's bytes and the collection's name twice each, then
 * the filter's values and the limit. A shared vector's distance is computed once (`d`) and joined to the points that
 * refer to it; a point that holds its own vector gets its own. The default job's collections hold a few hundred
 * vectors for hundreds of thousands of points: a third of the time of a distance a point (48 against 150 ms a query
 * at 200,000 points, measured). Still a scan of the collection's rows, so its time grows with them.
 */
function nearestSql(filter: string): string {
  return `WITH d AS MATERIALIZED (SELECT key, 1 - vec_distance_cosine(vector, ?) AS score FROM vectors WHERE collection = ${KEY})
    SELECT p.id, CASE WHEN p.shared IS NULL THEN 1 - vec_distance_cosine(p.vector, ?) ELSE d.score END AS score
    FROM points p LEFT JOIN d ON d.key = p.shared WHERE p.collection = ${KEY}${filter} ORDER BY score DESC, p.id LIMIT ?`
}

function toBlob(v: Float32Array | readonly number[]): Buffer {
  const f = v instanceof Float32Array ? v : Float32Array.from(v)
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength)
}

function fromBlob(b: Buffer): number[] {
  return Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)))
}

function filterSql(filter: SearchFilter | undefined): { sql: string; params: unknown[] } {
  const parts: string[] = []
  const params: unknown[] = []
  if (!filter) return { sql: '', params }
  const add = (sql: string, value: unknown) => {
    parts.push(sql)
    params.push(value)
  }
  if (filter.logLevel !== undefined) add('log_level = ?', filter.logLevel)
  if (filter.nodeType !== undefined) add('node_type = ?', filter.nodeType)
  if (filter.source !== undefined) add('source = ?', filter.source)
  if (filter.since !== undefined) add('timestamp >= ?', filter.since)
  if (filter.until !== undefined) add('timestamp <= ?', filter.until)
  // Not a column of its own: only listings of anomalous lines ask for it, and those are few.
  if (filter.minAnomalyScore !== undefined) add("json_extract(payload, '$.anomaly_score') >= ?", filter.minAnomalyScore)
  return { sql: parts.map((p) => ` AND ${p}`).join(''), params }
}

/**
 * @example
 * const store = createSqliteVectorStore({ path: '.logstream/vectors.sqlite', collection: 'logs_embeddings', dim: 384, distance: 'Cosine' })
 * await store.ensureCollection()
 */
export function createSqliteVectorStore(opts: SqliteVectorStoreOptions): VectorStore & CollectionAdmin {
  mkdirSync(dirname(opts.path), { recursive: true })
  const db = new Database(opts.path)
  sqliteVec.load(db)
  // A point row is about 2 KB: 16 KiB pages write half a batch's WAL frames and headers of 4 KiB ones
  // (1.5x the upsert rate and 1.4x the look-up rate, measured). Takes effect on a new file only.
  db.pragma('page_size = 16384')
  useWal(db)
  db.pragma('synchronous = NORMAL')
  // Several jobs (partition groups on one machine) may share one store file: wait for the writer's lock rather than fail.
  db.pragma('busy_timeout = 30000')
  // The id index is hit at random; 16 MiB holds about 250,000 of its entries, the OS page cache the rest. 64 MiB drained a
  // 1,000,000-point backlog 4% faster for 60 MB more RSS (measured), so larger caches are opt-in.
  db.pragma(`cache_size = -${(opts.cacheMb ?? 16) * 1024}`)
  // Checkpoint the WAL in larger steps.
  db.pragma('wal_autocheckpoint = 10000')
  // Older files move to the current layout here (collections without a marker get one on first use).
  let opened: LayoutOpened
  try {
    opened = storageErrors('opening', () => openLayout(db, opts.path))
  } catch (err) {
    // A file refused (or a move that failed) leaves no connection open behind the error.
    db.close()
    throw err
  }
  if (opened.migrated || opened.fromLayout2) syncWal(opts.path)
  if (opened.migrated) opts.onMigrated?.(opened.migrated)
  if (opened.fromLayout2) opts.onLayout2Moved?.()
  const c = opts.collection

  const statements = {
    collection: db.prepare('SELECT key, name, dim, distance, marker, vectors FROM collections WHERE name = ?'),
    collections: db.prepare('SELECT name, dim, distance FROM collections ORDER BY name'),
    createCollection: db.prepare('INSERT OR IGNORE INTO collections (name, dim, distance, created_at, marker) VALUES (?, ?, ?, ?, ?)'),
    recordVectors: db.prepare('UPDATE collections SET vectors = ? WHERE name = ? AND vectors IS NULL'),
    replaceVectors: db.prepare('UPDATE collections SET vectors = ? WHERE name = ?'),
    markCollection: db.prepare('UPDATE collections SET marker = ? WHERE name = ? AND marker IS NULL'),
    deleteCollection: db.prepare('DELETE FROM collections WHERE name = ?'),
    deletePoints: db.prepare(`DELETE FROM points WHERE collection = ${KEY}`),
    deleteVectors: db.prepare(`DELETE FROM vectors WHERE collection = ${KEY}`),
    countAll: db.prepare('SELECT COUNT(*) AS n FROM points WHERE collection = ?'),
    get: db.prepare(`SELECT id, payload, ${VECTOR} AS vector FROM points WHERE collection = ${KEY} AND id IN (SELECT unhex(value, '-') FROM json_each(?))`),
  }
  // Upserts go to a writer thread of their own, started by the census or the first upsert (tools that only read never start it); look-ups to a reader thread.
  let writer: PointWriter | undefined
  let reader: SqliteThread | undefined
  const startReader = () => startSqliteThread({ role: 'reader', path: opts.path, cacheMb: opts.cacheMb ?? 16, script: LOOKUP_SCRIPT, data: { existingSql: EXISTING_SQL } })
  const startWriter = () =>
    startPointWriter({
      path: opts.path,
      cacheMb: opts.cacheMb ?? 16,
      upsertSql: UPSERT_SQL,
      keySql: KEY_SQL,
      findVectorSql: FIND_VECTOR_SQL,
      addVectorSql: ADD_VECTOR_SQL,
      recentIdsSql: RECENT_IDS_SQL,
    })
  // True from a census that named all the collection's ids until a write finds that another connection has written.
  let censusWhole = false
  const info = (name: string): CollectionInfo | null => {
    const row = statements.collection.get(name) as
      | { key: number; name: string; dim: number; distance: CollectionInfo['distance']; marker: string | null; vectors: string | null }
      | undefined
    if (!row) return null
    const { n } = statements.countAll.get(row.key) as { n: number }
    return { name: row.name, dim: row.dim, distance: row.distance, points: n, marker: row.marker ?? undefined, vectors: row.vectors ?? undefined, foreign: false }
  }
  const toScored = (row: { id: Buffer; payload: string; vector?: Buffer; score?: number }, withVector?: boolean): ScoredPoint => ({
    id: uuidText(row.id),
    score: row.score ?? 1,
    payload: JSON.parse(row.payload) as PointPayload,
    vector: withVector && row.vector ? fromBlob(row.vector) : undefined,
  })
  const checkVector = (v: Float32Array | readonly number[]) => {
    if (v.length !== opts.dim) throw new LogstreamError('STORE_REJECTED', `vector of ${v.length} numbers for a collection of dimension ${opts.dim}`)
  }

  return {
    name: 'embedded',
    async ensureCollection(o) {
      // Jobs sharing this file may create the collection at the same moment:
      // insert-if-absent, then check what is there, whoever created it.
      db.transaction(() => {
        if (statements.createCollection.run(c, opts.dim, opts.distance, Date.now(), randomUUID()).changes > 0 && o?.vectors) statements.recordVectors.run(o.vectors, c)
        statements.markCollection.run(randomUUID(), c)
      })()
      syncWal(opts.path)
      const existing = info(c)!
      if (existing.dim !== opts.dim || existing.distance !== opts.distance) {
        throw new LogstreamError(
          'COLLECTION_MISMATCH',
          `collection ${c} in ${opts.path} has dimension ${existing.dim} and ${existing.distance} distance; this job needs ${opts.dim} and ${opts.distance}`,
        )
      }
      return existing
    },
    async describeCollection() {
      return info(c)
    },
    async recordVectors(vectors, o) {
      storageErrors('recording what the vectors are of', () => (o?.replace ? statements.replaceVectors : statements.recordVectors).run(vectors, c))
      syncWal(opts.path)
      const now = info(c)
      if (!now) throw new LogstreamError('COLLECTION_LOST', `collection ${c} in ${opts.path} is gone (deleted while the job started?)`)
      return now.vectors ?? vectors
    },
    async existing(ids) {
      // One statement over the ids as a JSON array: 15% less time an id than chunks of 500 bound parameters (measured, 5,000 ids).
      reader ??= startReader()
      // The answer is positions, not ids: no id string is copied back across the threads, and the Set holds the asker's strings.
      const positions = await reader.request<number[]>({ ids: JSON.stringify(ids), collection: c }).catch((err: unknown) => {
        throw threadError('id look-up', err)
      })
      const found = new Set<string>()
      for (const i of positions) found.add(ids[i]!)
      return found
    },
    async recentIds(limit) {
      if (limit <= 0) return new Uint8Array(0)
      // On the writer's connection, whose writes then tell whether anyone else has written since (`knowsAllIds`).
      writer ??= startWriter()
      censusWhole = false
      const ids = await writer.census(c, limit).catch((err: unknown) => {
        throw threadError('reading the ids stored last', err)
      })
      censusWhole = ids.length / 16 < limit
      return ids
    },
    knowsAllIds: () => censusWhole,
    async upsert(points) {
      for (const p of points) {
        checkVector(p.vector)
        // Qdrant takes UUIDs (or integers, which the job never makes) as ids, and so does this store: it keeps their 16 bytes.
        if (!isUuid(p.id)) throw new LogstreamError('STORE_REJECTED', `point id ${JSON.stringify(p.id)} is not a UUID`)
      }
      writer ??= startWriter()
      // Acknowledged only once committed and durable (the writer syncs the WAL before it answers).
      const othersWrote = await writer.write(c, points).catch((err: unknown) => {
        throw threadError('upsert', err)
      })
      if (othersWrote) censusWhole = false
    },
    async probe() {
      // Takes (and gives back) the write lock: the file is there, writable, and not locked for ever.
      try {
        storageErrors('probe', () => db.exec('BEGIN IMMEDIATE; ROLLBACK'))
        return true
      } catch {
        return false
      }
    },
    async count(filter) {
      const f = filterSql(filter)
      return (db.prepare(`SELECT COUNT(*) FROM points WHERE collection = ${KEY}${f.sql}`).pluck().get(c, ...f.params) as number) ?? 0
    },
    async get(ids, o) {
      const rows = statements.get.all(c, JSON.stringify(ids)) as Array<{ id: Buffer; payload: string; vector: Buffer }>
      return rows.map((r) => toScored(r, o?.withVector))
    },
    async search(vector, o) {
      checkVector(vector)
      const f = filterSql(o.filter)
      const q = toBlob(vector)
      const nearest = db.prepare(nearestSql(f.sql))
      // Payloads (and vectors) of the nearest only, not carried through the scan; both read in one transaction, so they agree.
      return storageErrors('search', () =>
        db.transaction(() => {
          const hits = nearest.all(q, c, q, c, ...f.params, o.k) as Array<{ id: Buffer; score: number }>
          const ids = hits.map((h) => uuidText(h.id))
          const rows = statements.get.all(c, JSON.stringify(ids)) as Array<{ id: Buffer; payload: string; vector: Buffer }>
          const byId = new Map(rows.map((r) => [uuidText(r.id), r]))
          return hits.map((h, i) => toScored({ ...byId.get(ids[i]!)!, score: h.score }, o.withVector))
        })(),
      )
    },
    async searchMany(vectors, o) {
      for (const v of vectors) checkVector(v)
      const f = filterSql(o.filter)
      // Ids and similarities only: each query scans the collection, and carrying payloads through it would cost more than the distances.
      const nearest = db.prepare(nearestSql(f.sql))
      const answers: Neighbour[][] = []
      for (const v of vectors) {
        // A query scans the collection on this thread (a quarter of a second at 1,000,000 points): the event loop runs
        // between queries (metrics, signals, the source), so a batch of many new shapes does not hold it for all of them.
        if (answers.length > 0) {
          await new Promise(setImmediate)
          if (!db.open) throw new LogstreamError('ABORTED', 'the embedded store was closed during a neighbour search')
        }
        const q = toBlob(v)
        const rows = storageErrors('neighbour search', () => nearest.all(q, c, q, c, ...f.params, o.k) as Array<{ id: Buffer; score: number }>)
        answers.push(rows.map((r) => ({ id: uuidText(r.id), score: r.score })))
      }
      return answers
    },
    async scroll(o) {
      const f = filterSql(o.filter)
      // Ids sort as their bytes, which is the order of their lowercase text.
      const after = o.after === undefined ? '' : " AND id > unhex(?, '-')"
      const params = o.after === undefined ? f.params : [o.after, ...f.params]
      const rows = db
        .prepare(`SELECT id, payload, ${VECTOR} AS vector FROM points WHERE collection = ${KEY}${after}${f.sql} ORDER BY id LIMIT ?`)
        .all(c, ...params, o.limit + 1) as Array<{ id: Buffer; payload: string; vector: Buffer }>
      const page = rows.slice(0, o.limit).map((r) => toScored(r, o.withVector))
      return { points: page, next: rows.length > o.limit ? page.at(-1)!.id : null }
    },
    async listCollections() {
      const rows = statements.collections.all() as Array<{ name: string }>
      return rows.map((r) => info(r.name)!).filter(Boolean)
    },
    async collectionInfo(name) {
      return info(name)
    },
    async shareVectors(name, o) {
      const row = statements.collection.get(name) as { key: number } | undefined
      if (!row) return null
      return storageErrors('keeping shared vectors once', () => shareVectors(db, row.key, { chunk: o?.chunk, committed: () => syncWal(opts.path) }))
    },
    async deleteCollection(name) {
      const deleted = db.transaction(() => {
        statements.deletePoints.run(name)
        statements.deleteVectors.run(name)
        return statements.deleteCollection.run(name).changes > 0
      })()
      syncWal(opts.path)
      return deleted
    },
    async close() {
      await Promise.all([writer?.close(), reader?.close()])
      writer = undefined
      reader = undefined
      if (db.open) db.close()
    },
  }
}
