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
  readonly batchId: string
  readonly createdAt: number
  readonly replayedAt: number | null
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
  /** Marks a planned batch committed, advances positions and stores its dead letters, in one transaction. */
  commit(record: CommitRecord): void
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
  close(): void
}
