/**
 * The checkpoint store in one SQLite file per job (WAL, strict tables, ordered
 * migrations). Every write is one transaction, so a batch is either planned,
 * or committed with its positions and dead letters, even after `kill -9` or
 * power loss: with synchronous=FULL each write is fsynced as it commits; a
 * running job opens its store with `deferSync` (synchronous=NORMAL, durable
 * against a crash of the process at once) and awaits `flush`, an fsync of the
 * WAL on libuv's thread pool, before a plan lets work start and before a
 * commit lets offsets move — the same durability, without the main thread
 * waiting on the disk twice a batch.
 */
import { mkdirSync, existsSync } from 'node:fs'
import { syncWal, syncWalAsync } from '../core/sqlite-wal.ts'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { DEAD_LETTER_BYTES, MIGRATIONS } from './migrations.ts'
import { createAnomalyLedger } from './anomaly-ledger.ts'
import { CheckpointError } from '../core/errors.ts'
import type {
  AnomalyLedger,
  BatchCounts,
  BatchRecord,
  CheckpointStore,
  CommitOutcome,
  CommitRecord,
  DeadLetterRecord,
  DroppedDeadLetters,
  JobIdentity,
  RangeRecord,
  StoreState,
} from './store.ts'

/** The checkpoint file of a job inside a checkpoint directory. */
export function checkpointPath(dir: string, job: string): string {
  return join(dir, `${job}.checkpoint.sqlite`)
}

export interface OpenOptions {
  readonly path: string
  readonly identity: JobIdentity
  /** Open an existing file only, never create one (for `checkpoint show`). */
  readonly mustExist?: boolean
  readonly readonly?: boolean
  /** Committed batch rows kept for `checkpoint show` and the status page; older ones are dropped. */
  readonly retainBatches?: number
  /** Plans and commits are fsynced by `flush`, off the main thread (a running job); other writes as they commit. */
  readonly deferSync?: boolean
  /** Room the dead letters may take (`DEAD_LETTER_BYTES`); a commit past it drops the oldest. Unlimited when absent. */
  readonly deadLetterRoomBytes?: number
}

interface BatchRow {
  id: string
  seq: number
  state: 'planned' | 'committed'
  ranges: string
  planned_at: number
  committed_at: number | null
  counts: string | null
  timings: string | null
  stored_ids: string | null
}

interface DeadLetterRow {
  partition: string
  offset: number
  reason: string
  detail: string
  key: string | null
  value: Buffer
  headers: string | null
  batch_id: string
  created_at: number
  replayed_at: number | null
  /** Absent in a file an older version wrote, looked at read-only. */
  timestamp_ms?: number | null
}

const IDENTITY_KEYS = ['job', 'source', 'sink', 'dim'] as const

/**
 * Opens (or creates) a job's checkpoint file; refuses a corrupt file or one
 * written for another source, sink or dimension.
 */
export function openCheckpointStore(opts: OpenOptions): CheckpointStore {
  const exists = existsSync(opts.path)
  if (!exists && opts.mustExist) throw new CheckpointError('CHECKPOINT_MISMATCH', `no checkpoint at ${opts.path}`)
  if (!exists) mkdirSync(dirname(opts.path), { recursive: true })
  let db: Database.Database
  try {
    db = new Database(opts.path, { readonly: opts.readonly ?? false, fileMustExist: opts.mustExist ?? false })
    const check = db.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new Error(String(check))
  } catch (err) {
    throw new CheckpointError('CHECKPOINT_CORRUPT', `checkpoint file ${opts.path} is corrupt (${(err as Error).message}); move it away to start over, nothing was changed`, { cause: err })
  }
  const deferSync = !opts.readonly && (opts.deferSync ?? false)
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${deferSync ? 'NORMAL' : 'FULL'}`)
    migrate(db)
  }
  const identity = readOrWriteIdentity(db, opts.path, opts.identity, opts.readonly ?? false)
  const store = new SqliteCheckpointStore(db, opts.path, identity, opts.retainBatches ?? 1000, deferSync, opts.deadLetterRoomBytes ?? Infinity)
  if (deferSync) syncWal(opts.path)
  return store
}

function migrate(db: Database.Database): void {
  const applied = db.pragma('user_version', { simple: true }) as number
  if (applied > MIGRATIONS.length) {
    throw new CheckpointError('CHECKPOINT_MISMATCH', `checkpoint schema version ${applied} is newer than this logstream knows (${MIGRATIONS.length})`)
  }
  for (let i = applied; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[i]!)
      db.pragma(`user_version = ${i + 1}`)
    })()
  }
}

function readOrWriteIdentity(db: Database.Database, path: string, wanted: JobIdentity, readonly: boolean): JobIdentity {
  const rows = db.prepare('SELECT key, value FROM identity').all() as Array<{ key: string; value: string }>
  if (rows.length === 0) {
    if (readonly) throw new CheckpointError('CHECKPOINT_CORRUPT', `checkpoint file ${path} has no identity`)
    const insert = db.prepare('INSERT INTO identity (key, value) VALUES (?, ?)')
    db.transaction(() => {
      for (const key of IDENTITY_KEYS) insert.run(key, String(wanted[key]))
    })()
    return wanted
  }
  const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]))
  const found: JobIdentity = { job: stored.job ?? '', source: stored.source ?? '', sink: stored.sink ?? '', dim: Number(stored.dim) }
  if (readonly) return found
  const differences = IDENTITY_KEYS.filter((k) => String(found[k]) !== String(wanted[k]))
  if (differences.length > 0) {
    const what = differences.map((k) => `${k} is ${JSON.stringify(found[k])} there, ${JSON.stringify(wanted[k])} here`).join('; ')
    throw new CheckpointError(
      'CHECKPOINT_MISMATCH',
      `checkpoint ${path} was written for another job (${what}); use another job name or checkpoint directory, nothing was changed`,
    )
  }
  return found
}

class SqliteCheckpointStore implements CheckpointStore {
  readonly #db: Database.Database
  readonly #statements

  constructor(
    db: Database.Database,
    readonly path: string,
    readonly identity: JobIdentity,
    readonly retainBatches: number,
    readonly deferSync: boolean,
    readonly deadLetterRoomBytes: number,
  ) {
    this.#db = db
    // Prepared on first use: a read-only look at a file an older version wrote lacks the newer tables.
    const prepare = (sql: string) => {
      let statement: Database.Statement | undefined
      return () => (statement ??= db.prepare(sql))
    }
    this.#statements = {
      positions: prepare('SELECT partition, next_offset FROM positions'),
      pending: prepare("SELECT * FROM batches WHERE state = 'planned' ORDER BY seq"),
      maxSeq: prepare('SELECT MAX(seq) AS seq FROM batches'),
      plan: prepare("INSERT INTO batches (id, seq, state, ranges, planned_at) VALUES (?, ?, 'planned', ?, ?) ON CONFLICT (id) DO NOTHING"),
      getBatch: prepare('SELECT * FROM batches WHERE id = ?'),
      commitBatch: prepare("UPDATE batches SET state = 'committed', committed_at = ?, counts = ?, timings = ?, stored_ids = ? WHERE id = ?"),
      acknowledge: prepare('UPDATE store_state SET acknowledged = acknowledged + ? WHERE id = 1'),
      storeState: prepare('SELECT marker, acknowledged FROM store_state WHERE id = 1'),
      adoptStore: prepare('UPDATE store_state SET marker = ? WHERE id = 1'),
      forgetStore: prepare('UPDATE store_state SET marker = NULL, acknowledged = 0 WHERE id = 1'),
      recentStoredIds: prepare("SELECT stored_ids FROM batches WHERE state = 'committed' AND stored_ids IS NOT NULL ORDER BY seq DESC LIMIT ?"),
      setPosition: prepare('UPDATE positions SET next_offset = ?, updated_at = ? WHERE partition = ?'),
      pendingRows: prepare("SELECT id, ranges FROM batches WHERE state = 'planned'"),
      dropBatch: prepare('DELETE FROM batches WHERE id = ?'),
      dropOldCommitted: prepare("DELETE FROM batches WHERE state = 'committed' AND seq < ?"),
      dropOlderPending: prepare("DELETE FROM batches WHERE state = 'planned' AND seq <= ? AND id <> ?"),
      upsertPosition: prepare(
        'INSERT INTO positions (partition, next_offset, batch_id, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (partition) DO UPDATE SET next_offset = excluded.next_offset, batch_id = excluded.batch_id, updated_at = excluded.updated_at',
      ),
      // Commits only move positions forward; `resetPositions` is the one way back.
      advancePosition: prepare(
        'INSERT INTO positions (partition, next_offset, batch_id, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (partition) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset), batch_id = excluded.batch_id, updated_at = excluded.updated_at',
      ),
      deletePosition: prepare('DELETE FROM positions WHERE partition = ?'),
      dropPending: prepare("DELETE FROM batches WHERE state = 'planned'"),
      recent: prepare('SELECT * FROM batches ORDER BY seq DESC LIMIT ?'),
      insertDeadLetter: prepare(
        `INSERT INTO dead_letters (partition, offset, reason, detail, key, value, headers, timestamp_ms, batch_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (partition, offset) DO NOTHING RETURNING ${DEAD_LETTER_BYTES} AS bytes`,
      ),
      deadLetterRoom: prepare('SELECT bytes FROM dead_letter_room WHERE id = 1'),
      growDeadLetterRoom: prepare('UPDATE dead_letter_room SET bytes = bytes + ? WHERE id = 1'),
      oldestDeadLetters: prepare(`SELECT rowid, partition, offset, ${DEAD_LETTER_BYTES} AS bytes FROM dead_letters ORDER BY rowid`),
      dropDeadLettersThrough: prepare('DELETE FROM dead_letters WHERE rowid <= ?'),
      markReplayed: prepare('UPDATE dead_letters SET replayed_at = ? WHERE partition = ? AND offset = ?'),
    }
  }

  positions(): Map<string, number> {
    const rows = this.#statements.positions().all() as Array<{ partition: string; next_offset: number }>
    return new Map(rows.map((r) => [r.partition, r.next_offset]))
  }

  pendingBatches(): BatchRecord[] {
    return (this.#statements.pending().all() as BatchRow[]).map(toBatchRecord)
  }

  nextSeq(): number {
    const row = this.#statements.maxSeq().get() as { seq: number | null }
    return row.seq === null ? 0 : row.seq + 1
  }

  plan(batch: { id: string; seq: number; ranges: readonly RangeRecord[] }): void {
    this.#statements.plan().run(batch.id, batch.seq, JSON.stringify(batch.ranges), Date.now())
  }

  commit(record: CommitRecord): CommitOutcome {
    const s = this.#statements
    const now = Date.now()
    return this.#db.transaction((): CommitOutcome => {
      const row = s.getBatch().get(record.batchId) as BatchRow | undefined
      if (!row) throw new CheckpointError('CHECKPOINT_BATCH_UNKNOWN', `batch ${record.batchId} was never planned`)
      s.commitBatch().run(now, JSON.stringify(record.counts), JSON.stringify(record.timings), record.storedIds?.length ? JSON.stringify(record.storedIds) : null, record.batchId)
      s.acknowledge().run(record.counts.stored)
      // A planned batch that a later one replaced (its ranges could not be rebuilt) is done with.
      s.dropOlderPending().run(row.seq, record.batchId)
      s.dropOldCommitted().run(row.seq - this.retainBatches + 1)
      for (const [partition, next] of record.positions) s.advancePosition().run(partition, next, record.batchId, now)
      let added = 0
      for (const d of record.deadLetters) {
        const row = s.insertDeadLetter().get(d.partition, d.offset, d.reason, d.detail, d.key, d.value, d.headers ? JSON.stringify(d.headers) : null, d.timestampMs, record.batchId, now) as { bytes: number } | undefined
        added += row?.bytes ?? 0
      }
      if (added === 0) return { droppedDeadLetters: null }
      s.growDeadLetterRoom().run(added)
      return { droppedDeadLetters: this.#dropOldestDeadLetters() }
    })()
  }

  trimDeadLetters(): DroppedDeadLetters | null {
    const dropped = this.#db.transaction(() => this.#dropOldestDeadLetters())()
    if (dropped) this.#durable()
    return dropped
  }

  /** Drops the oldest dead letters, this commit's too, until what is left fits `deadLetterRoomBytes`. */
  #dropOldestDeadLetters(): DroppedDeadLetters | null {
    const s = this.#statements
    const room = s.deadLetterRoom().pluck().get() as number
    const excess = room - this.deadLetterRoomBytes
    if (excess <= 0) return null
    let count = 0
    let bytes = 0
    let first = ''
    let last: { rowid: number; partition: string; offset: number } | undefined
    for (const row of s.oldestDeadLetters().iterate() as Iterable<{ rowid: number; partition: string; offset: number; bytes: number }>) {
      if (count === 0) first = `${row.partition}@${row.offset}`
      count++
      bytes += row.bytes
      last = row
      if (bytes >= excess) break
    }
    if (!last) return null
    s.dropDeadLettersThrough().run(last.rowid)
    s.growDeadLetterRoom().run(-bytes)
    return { count, bytes, first, last: `${last.partition}@${last.offset}` }
  }

  #syncing: Promise<void> | null = null
  #nextSync: Promise<void> | null = null

  flush(): Promise<void> {
    if (!this.deferSync) return Promise.resolve()
    if (!this.#syncing) {
      this.#syncing = syncWalAsync(this.path).finally(() => (this.#syncing = null))
      return this.#syncing
    }
    // The fsync in flight may have begun before this call's writes: they wait for the next one, shared by every call made meanwhile.
    this.#nextSync ??= this.#syncing
      .catch(() => {})
      .then(() => {
        this.#nextSync = null
        return this.flush()
      })
    return this.#nextSync
  }

  /** Writes other than plans and commits are rare: durable as they return, whatever the mode. */
  #durable(): void {
    if (this.deferSync) syncWal(this.path)
  }

  recentBatches(limit: number): BatchRecord[] {
    return (this.#statements.recent().all(limit) as BatchRow[]).map(toBatchRecord)
  }

  resetPositions(positions: ReadonlyMap<string, number | null>): void {
    const s = this.#statements
    const now = Date.now()
    this.#db.transaction(() => {
      s.dropPending().run()
      s.forgetStore().run()
      for (const [partition, next] of positions) {
        if (next === null) s.deletePosition().run(partition)
        else s.upsertPosition().run(partition, next, null, now)
      }
    })()
    this.#durable()
  }

  rewindPartition(partition: string, next: number): void {
    const s = this.#statements
    this.#db.transaction(() => {
      s.setPosition().run(next, Date.now(), partition)
      for (const row of s.pendingRows().all() as Array<{ id: string; ranges: string }>) {
        if ((JSON.parse(row.ranges) as RangeRecord[]).some((r) => r.partition === partition)) s.dropBatch().run(row.id)
      }
    })()
    this.#durable()
  }

  storeState(): StoreState {
    return this.#statements.storeState().get() as StoreState
  }

  adoptStore(marker: string): void {
    this.#statements.adoptStore().run(marker)
    this.#durable()
  }

  recentStoredIds(batches: number): string[] {
    return (this.#statements.recentStoredIds().pluck().all(batches) as string[]).flatMap((json) => JSON.parse(json) as string[])
  }

  deadLetters(opts: { limit?: number; afterOffset?: { partition: string; offset: number }; includeReplayed?: boolean } = {}): DeadLetterRecord[] {
    const where: string[] = []
    const params: unknown[] = []
    if (!opts.includeReplayed) where.push('replayed_at IS NULL')
    if (opts.afterOffset) {
      where.push('(partition > ? OR (partition = ? AND offset > ?))')
      params.push(opts.afterOffset.partition, opts.afterOffset.partition, opts.afterOffset.offset)
    }
    const sql = `SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY partition, offset LIMIT ?`
    const rows = this.#db.prepare(sql).all(...params, opts.limit ?? 1000) as DeadLetterRow[]
    return rows.map((r) => ({
      partition: r.partition,
      offset: r.offset,
      reason: r.reason,
      detail: r.detail,
      key: r.key,
      value: r.value,
      headers: r.headers ? (JSON.parse(r.headers) as Record<string, string>) : null,
      timestampMs: r.timestamp_ms ?? null,
      batchId: r.batch_id,
      createdAt: r.created_at,
      replayedAt: r.replayed_at,
    }))
  }

  markDeadLettersReplayed(keys: readonly { partition: string; offset: number }[]): void {
    const now = Date.now()
    this.#db.transaction(() => {
      for (const k of keys) this.#statements.markReplayed().run(now, k.partition, k.offset)
    })()
    this.#durable()
  }

  #anomalies: AnomalyLedger | undefined

  anomalies(): AnomalyLedger {
    return (this.#anomalies ??= createAnomalyLedger(this.#db))
  }

  close(): void {
    if (this.#db.open) this.#db.close()
  }
}

function toBatchRecord(row: BatchRow): BatchRecord {
  return {
    id: row.id,
    seq: row.seq,
    state: row.state,
    ranges: JSON.parse(row.ranges) as RangeRecord[],
    plannedAt: row.planned_at,
    committedAt: row.committed_at,
    counts: row.counts ? (JSON.parse(row.counts) as BatchCounts) : null,
    timings: row.timings ? (JSON.parse(row.timings) as Record<string, number>) : null,
  }
}
