/**
 * The checkpoint store: where a job records how far it got, so a restart
 * continues exactly where it stopped.
 *
 * The protocol mirrors Spark's offset log and commit log. Before a batch is
 * processed its id and source ranges are written as *planned*; once the sink has
 * acknowledged its points the batch is marked *committed* and the source
 * positions advance, in one transaction, together with its dead letters. On
 * start the committed positions are restored and a planned batch that never
 * committed is replayed over the same ranges with the same id.
 */

/** What a checkpoint belongs to; a store written for another identity refuses to open. */
export interface JobIdentity {
  readonly job: string
  /** `file:/path` or `kafka:topic1,topic2`. */
  readonly source: string
  /** `embedded:collection` or `qdrant:collection`. */
  readonly sink: string
  readonly dim: number
}

export interface RangeRecord {
  readonly partition: string
  readonly from: number
  readonly to: number
}

export type BatchState = 'planned' | 'committed'

export interface BatchCounts {
  readonly received: number
  readonly skippedExisting: number
  readonly duplicatesInBatch: number
  readonly stored: number
  readonly deadLettered: number
}

export interface BatchRecord {
  readonly id: string
  readonly seq: number
  readonly state: BatchState
  readonly ranges: readonly RangeRecord[]
  readonly plannedAt: number
  readonly committedAt: number | null
  readonly counts: BatchCounts | null
  /** Seconds per stage, as measured when the batch committed. */
  readonly timings: Readonly<Record<string, number>> | null
}

export interface DeadLetterRecord {
  readonly partition: string
  readonly offset: number
  readonly reason: string
  readonly detail: string
  readonly key: string | null
  readonly value: Buffer
  readonly headers: Readonly<Record<string, string>> | null
  /** The record's own time (Kafka's timestamp), null when it had none: replays send it again, so the id stays. */
  readonly timestampMs: number | null
  readonly batchId: string
  readonly createdAt: number
  readonly replayedAt: number | null
}

/** Dead letters dropped (by a commit, or at start), oldest first, to keep them within their room: how many, their bytes, the first and last position. */
export interface DroppedDeadLetters {
  readonly count: number
  readonly bytes: number
  readonly first: string
  readonly last: string
}

export interface CommitOutcome {
  readonly droppedDeadLetters: DroppedDeadLetters | null
}

export interface CommitRecord {
  readonly batchId: string
  /** Next offset to read per partition after this batch. */
  readonly positions: ReadonlyMap<string, number>
  readonly counts: BatchCounts
  readonly timings: Readonly<Record<string, number>>
  /** A sample of the ids of the points this batch stored (see `StoreState`). */
  readonly storedIds?: readonly string[]
  readonly deadLetters: readonly Omit<DeadLetterRecord, 'batchId' | 'createdAt' | 'replayedAt'>[]
}

/**
 * What the checkpoint knows of the store it was written against: the marker of
 * the collection (written when the collection was created, so a recreated one
 * differs) and how many points it has acknowledged. Null marker: not yet known
 * (a new checkpoint, or positions moved by hand).
 */
export interface StoreState {
  readonly marker: string | null
  readonly acknowledged: number
}

/**
 * A shape announced as a new pattern: when it was first seen and last
 * announced (its quiet period runs from there), how many lines of it were
 * counted since, and the line that announced it.
 */
export interface PatternRecord {
  /** A short id of the shape (the first 16 hex digits of its SHA-256). */
  readonly shapeId: string
  readonly shape: string
  readonly firstSeenAt: number
  readonly announcedAt: number
  /** How many times it was announced (again after each quiet period in which it stayed rare). */
  readonly announcements: number
  /** Lines of the shape counted since it was first announced, batches not yet committed included. */
  readonly lines: number
  readonly lastSeenAt: number
  /** The score of the line that last announced it, its level, point id, whole line and source position. */
  readonly score: number
  readonly level: string
  readonly pointId: string
  readonly example: string
  readonly sourcePosition: string
}

/** One batch's anomaly work, recorded once per batch id. */
export interface AnomalyBatchRecord {
  readonly batchId: string
  readonly seq: number
  readonly at: number
  /** Lines of the batch per announced shape id (shapes announced by this batch included). */
  readonly lines: ReadonlyMap<string, number>
  /** Shapes this batch announces: their new state and the message to publish once the batch is stored. */
  readonly announcements: ReadonlyArray<{ readonly pattern: Omit<PatternRecord, 'lines'>; readonly message: string }>
}

/** An announcement waiting to be published. */
export interface PendingAnnouncement {
  readonly batchId: string
  readonly shapeId: string
  readonly pointId: string
  /** The message, as JSON. */
  readonly message: string
}

/**
 * What the score stage keeps in the checkpoint file: announced shapes with
 * their quiet periods and counts (so a restart does not announce them again),
 * and an outbox of announcements to publish once their batch is stored.
 */
export interface AnomalyLedger {
  /** Announced shapes, most recently announced first; `since` keeps those announced at or after it (ms). */
  patterns(opts?: { since?: number; limit?: number }): PatternRecord[]
  pattern(shapeId: string): PatternRecord | null
  /**
   * Records a batch's lines and announcements in one transaction. A batch id already recorded (a replay
   * of a batch whose first run got this far) adds nothing. Returns the touched shapes as they now are.
   */
  record(batch: AnomalyBatchRecord): PatternRecord[]
  /** Announcements of batches up to `seq` not yet published, oldest first. */
  pending(uptoSeq: number): PendingAnnouncement[]
  /** Marks announcements published. */
  markPublished(keys: ReadonlyArray<{ batchId: string; shapeId: string }>, at?: number): void
}

export interface CheckpointStore {
  readonly path: string
  /** The identity the store was created for; `open` refuses another. */
  readonly identity: JobIdentity
  /** Committed next offset per partition. */
  positions(): Map<string, number>
  /** Batches planned and never committed, oldest first (at most one after a clean run). */
  pendingBatches(): BatchRecord[]
  /** Sequence number the next new batch gets. */
  nextSeq(): number
  /** Records a batch as planned before any of its work is done; idempotent for the same id. */
  plan(batch: { id: string; seq: number; ranges: readonly RangeRecord[] }): void
  /**
   * Marks a planned batch committed, advances positions and stores its dead letters, in one transaction; past the
   * dead letters' room, the oldest are dropped in it too.
   */
  commit(record: CommitRecord): CommitOutcome
  /**
   * Drops the oldest dead letters past their room now, durably: a room made smaller takes effect when the job starts,
   * not at its next dead letter (an operator shrinks it because the checkpoint's disk is filling).
   */
  trimDeadLetters(): DroppedDeadLetters | null
  /**
   * Resolves once every write before it is durable against power loss too.
   * A store opened with `deferSync` writes durably against a crash of the
   * process at once and leaves the fsync to this call, which runs off the
   * main thread; otherwise every write is durable when it returns.
   */
  flush(): Promise<void>
  /** Most recent batches, newest first. */
  recentBatches(limit: number): BatchRecord[]
  /**
   * Moves positions by hand (`checkpoint reset`, `run --rebuild`); drops pending
   * batches and forgets the store it was written against (the next start
   * adopts the collection it finds).
   */
  resetPositions(positions: ReadonlyMap<string, number | null>): void
  /**
   * Moves one partition's position back to where its log really starts or ends
   * (data loss handled with `warn`); drops the pending batches that cover it.
   */
  rewindPartition(partition: string, next: number): void
  storeState(): StoreState
  /** Records the marker of the collection the job writes to. */
  adoptStore(marker: string): void
  /** Ids the most recent committed batches stored (their samples), newest first. */
  recentStoredIds(batches: number): string[]
  deadLetters(opts?: { limit?: number; afterOffset?: { partition: string; offset: number }; includeReplayed?: boolean }): DeadLetterRecord[]
  markDeadLettersReplayed(keys: readonly { partition: string; offset: number }[]): void
  /** The anomaly state kept in the same file (see `AnomalyLedger`). */
  anomalies(): AnomalyLedger
  close(): void
}
