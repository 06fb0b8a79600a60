/**
 * The types that flow between the stages of the pipeline, and the interfaces of
 * the services the stages reach (source, embedder, vector store, checkpoints).
 *
 *   source → parse → micro-batch → dedup → embed → sink → commit
 *
 * Operators depend on these contracts only; adapters under `src/` implement them.
 */
import type { Observable, SchedulerLike } from 'rxjs'
import type { Logger } from 'pino'
import type { CheckpointStore } from '../checkpoints/store.ts'
import type { PipelineMetrics } from './metrics.ts'
import type { FlowControl } from './flow-control.ts'

// ---------------------------------------------------------------------------
// Records

/**
 * One message as a source delivered it, before parsing.
 * `partition` names a unit of ordering and resume: `topic/3` for Kafka,
 * `file:/abs/path` for a file. `offset` is the record's own position in it;
 * the position to resume from after it is `nextOffset`.
 */
export interface SourceRecord {
  readonly partition: string
  readonly offset: number
  /** Where reading resumes once this record is committed (offset + 1 for Kafka, byte after the line for files). */
  readonly nextOffset: number
  readonly key: string | null
  readonly value: Buffer
  /** Producer or broker timestamp in ms since the epoch, when the source knows one. */
  readonly timestampMs?: number | undefined
  /**
   * For a line of a file: the file's modification time when the line was read, which the line is not newer than. Dates
   * without a year are placed before it, so a file's lines keep their years, and their point ids, whenever it is read.
   */
  readonly fileTimeMs?: number | undefined
  readonly headers?: Readonly<Record<string, string>> | undefined
}

/** The message format of the job logstream replaces; every field a payload field of the stored point. */
export interface LogEntry {
  text: string
  original_text: string
  log_level: string
  source: string
  timestamp: string
  node_type: string
  label: string | null
  /** HDFS block id (`blk_-123…`), a signed 64-bit number kept as a string; null when the line names none. */
  block_id: string | null
  /** Logger or class that wrote the line, when known (`dfs.DataNode$PacketResponder`). */
  component: string | null
  /** Host or node that wrote the line, where its format names one. */
  host?: string
  /** Process id, where the line's format has one (kept as written). */
  pid?: string
  /** Further header fields of the line's format (thread, request id, client…). */
  fields?: Record<string, string>
  /**
   * The line's rarity score against the history stored before it (see `rarity.ts`), set at ingest by the
   * score stage; null when the line could not be scored, absent when scoring is off.
   */
  anomaly_score?: number | null
}

/** A source record that parsed into an entry, with its deterministic point id. */
export interface ParsedEntry {
  readonly kind: 'entry'
  readonly id: string
  readonly entry: LogEntry
  readonly record: SourceRecord
}

/**
 * A source record that cannot become a stored point: it did not parse, or a
 * later stage could not embed or store it. Kept with its position and a reason.
 */
export interface DeadLetter {
  readonly kind: 'dead-letter'
  readonly reason: DeadLetterReason
  readonly detail: string
  readonly record: SourceRecord
  /** The point id, when the record parsed and a later stage refused it. */
  readonly id?: string | undefined
}

export type DeadLetterReason =
  | 'invalid-utf8'
  | 'oversized'
  | 'empty'
  | 'binary'
  | 'bad-json'
  | 'not-an-object'
  | 'missing-text'
  | 'wrong-type'
  | 'unrecognised-line'
  | 'too-deep'
  | 'too-many-fields'
  | 'invalid-unicode'
  | 'number-out-of-range'
  | 'embedding-failed'
  | 'store-rejected'

export type ParsedItem = ParsedEntry | DeadLetter

// ---------------------------------------------------------------------------
// Batches

/** Source positions a batch covers in one partition: `[from, to)`; `to` is where reading resumes after it. */
export interface PartitionRange {
  readonly partition: string
  readonly from: number
  readonly to: number
}

/** What a batch is at every stage: where it is in the source, its dead letters, its times. */
export interface BatchBase {
  /** Deterministic from the ranges it covers (see `batchIdFor`). */
  readonly id: string
  /** Sequence number of the batch in this job, for people ("Processing batch 7..."). */
  readonly seq: number
  readonly ranges: readonly PartitionRange[]
  readonly deadLetters: readonly DeadLetter[]
  /** Monotonic time (ms, `performance.now()`) the batch opened, for its duration. */
  readonly openedAt: number
  /** Seconds spent in each stage, filled in as the batch moves on. */
  readonly stageTimings: StageTimings
}

/** A closed micro-batch: every record between its ranges, parsed or dead-lettered. */
export interface Batch extends BatchBase {
  readonly entries: readonly ParsedEntry[]
}

/** Seconds spent per stage on one batch. */
export type StageTimings = Partial<Record<StageName, number>>
export type StageName = 'dedup' | 'embed' | 'score' | 'sink' | 'publish' | 'commit'

/**
 * A batch after dedup holds its fresh entries only. The others (duplicates,
 * entries already stored: all of a replay's) are let go there, so they die
 * young instead of living in V8's heap until their batch commits; of them the
 * commit needs only their count and their source times.
 *
 * A stage that cannot embed or store some entries moves them from `fresh` to
 * `deadLetters`; `received` stays what it was.
 */
export interface DedupedBatch extends BatchBase {
  /** Records the batch covers, entries and dead letters: what its commit counts as received and gives back to flow control. */
  readonly received: number
  /** The source times (ms) of the batch's entries, NaN where a record has none: the end-to-end latency at its commit. */
  readonly sourceTimesMs: Float64Array
  /** Entries to embed and store: first of their id in the batch and not yet stored. */
  readonly fresh: readonly ParsedEntry[]
  /** Entries whose id the store (or the recent-id cache) already holds. */
  readonly skippedExisting: number
  /** Entries dropped because an earlier entry of the same batch had their id. */
  readonly duplicatesInBatch: number
}

export interface EmbeddedBatch extends DedupedBatch {
  /** One vector per `fresh` entry, in order. */
  readonly vectors: readonly Float32Array[]
  /** What the score stage did with the batch, when scoring is on (the batch report shows it). */
  readonly scoring?: BatchScoring | undefined
}

/** The score stage's account of one batch. */
export interface BatchScoring {
  /** Fresh entries given a score. */
  readonly scored: number
  /** Fresh entries stored without a score: the store could not answer their neighbour query. */
  readonly unscored: number
  /** Scored entries at or above the threshold. */
  readonly anomalous: number
  readonly threshold: number
  /** The highest score of the batch (0 when nothing was scored). */
  readonly max: number
  /** Distinct shapes the store was asked about (one batched request), and entries whose shape the cache answered. */
  readonly queried: number
  readonly cached: number
  /** Shapes announced as new patterns by this batch (their masked shapes). */
  readonly announced: readonly string[]
}

export interface StoredBatch extends EmbeddedBatch {
  readonly stored: number
}

export interface CommittedBatch extends StoredBatch {
  readonly committedAt: number
}

// ---------------------------------------------------------------------------
// Services

/** Next offset to read per partition, as committed in the checkpoint store. */
export type Positions = ReadonlyMap<string, number>

/**
 * A resume position outside its partition's log, which holds offsets
 * `[low, high)`: past the end (the topic was recreated, or the checkpoint is
 * from another cluster) or below the start (retention deleted records the job
 * never read).
 */
export interface PositionOutOfRange {
  readonly partition: string
  readonly position: number
  readonly low: number
  readonly high: number
}

/**
 * Where records come from. A source emits chunks of records in partition order,
 * starting at the positions `resumeFrom` returns, and waits on `flow` before it
 * reads more, so a fast source never outruns the pipeline. A bounded source
 * (a file not followed) completes at its end.
 */
export interface Source {
  /** `file` or `kafka`: the first part of a checkpoint identity. */
  readonly kind: string
  /** What the source reads (topics or a path), for the checkpoint identity and the status page. */
  readonly describe: string
  open(ctx: SourceContext): Observable<readonly SourceRecord[]>
  /** Compares resume positions with what the logs hold (Kafka: each partition's start and end offsets), before `open`. */
  checkPositions?(positions: Positions): Promise<PositionOutOfRange[]>
  /** Called after a batch's positions are durable in the checkpoint store (Kafka commits offsets here). */
  commit(positions: Positions): Promise<void>
  close(): Promise<void>
}

export interface SourceContext {
  readonly logger: Logger
  readonly flow: FlowControl
  readonly signal: AbortSignal
  /** Committed resume position of a partition, if the checkpoint store has one. */
  resumeFrom(partition: string): number | undefined
  /**
   * Batches planned before a crash and never committed, oldest first: the
   * source reads the partitions they cover first, so their rebuild never waits
   * behind records of later batches.
   */
  readonly replay?: ReadonlyArray<{ readonly ranges: readonly PartitionRange[] }> | undefined
  /**
   * Told of records the job can no longer read while it runs (retention deleted
   * them, the log was replaced); throws to stop the job, or returns to go on.
   */
  positionLost?(problem: PositionOutOfRange): void
}

/** Turns texts into vectors of `dim` numbers; one vector per text, in order. */
export interface Embedder {
  readonly name: string
  readonly dim: number
  /**
   * Lines of one shape get one vector object and lines of different shapes different ones (the built-in embedder, and
   * any with `--embedding-text masked`), so a stage may know a line's shape by its vector.
   */
  readonly vectorPerShape?: boolean
  embed(texts: readonly string[], opts?: { signal?: AbortSignal }): Promise<Float32Array[]>
  close?(): Promise<void>
}

/** What a stored point carries besides its id and vector. */
export interface PointPayload extends LogEntry {
  /** `partition@offset` of the record the entry came from. */
  source_position: string
  /** ISO time the point was stored. */
  ingested_at: string
  [key: string]: unknown
}

export interface Point {
  readonly id: string
  readonly vector: Float32Array | readonly number[]
  readonly payload: PointPayload
}

export interface ScoredPoint {
  readonly id: string
  /** Cosine similarity, higher is nearer (1 = same direction). */
  readonly score: number
  readonly payload: PointPayload
  readonly vector?: readonly number[] | undefined
}

/** A stored point near a vector: its id and cosine similarity, without payload or vector. */
export interface Neighbour {
  readonly id: string
  readonly score: number
}

/** Filters every store understands; the Qdrant adapter pushes them down as payload filters. */
export interface SearchFilter {
  readonly logLevel?: string | undefined
  readonly nodeType?: string | undefined
  readonly source?: string | undefined
  /** ISO timestamps, inclusive. */
  readonly since?: string | undefined
  readonly until?: string | undefined
  /** Only points whose payload's `anomaly_score` is at least this (points stored unscored never match). */
  readonly minAnomalyScore?: number | undefined
}

export interface CollectionInfo {
  readonly name: string
  readonly dim: number
  readonly distance: 'Cosine' | 'Dot' | 'Euclid' | 'Manhattan'
  readonly points: number
  /**
   * Written when the collection was created (unique per creation), so a job
   * can tell the collection its checkpoint was written against from one
   * deleted and created again. Absent for stores that do not keep one.
   */
  readonly marker?: string | undefined
  /**
   * What made the collection's vectors (`vectorsKind`: 'builtin', 'http/message'…), as the job that created it, or
   * first used it, recorded; absent where none did. Vectors of two kinds in one collection make its similarities
   * meaningless.
   */
  readonly vectors?: string | undefined
  /** True for a collection logstream did not create (the replaced job's, or one made by hand). */
  readonly foreign?: boolean | undefined
}

/**
 * Where points are stored: the embedded SQLite store or Qdrant. `upsert` resolves
 * only when the points are durable, so offsets may move after it.
 */
export interface VectorStore {
  readonly name: string
  /** Creates the collection if missing (recording what its vectors are of, `vectors`), checks its size and distance if present. */
  ensureCollection(opts?: { readonly vectors?: string }): Promise<CollectionInfo>
  /** Records what the collection's vectors are of, unless a record is there already (or `replace`); resolves to the record. */
  recordVectors?(vectors: string, opts?: { readonly replace?: boolean }): Promise<string>
  /** The configured collection as it is, without creating it; null when it does not exist. */
  describeCollection?(): Promise<CollectionInfo | null>
  /** The subset of `ids` already stored. */
  existing(ids: readonly string[]): Promise<Set<string>>
  /**
   * The ids of up to `limit` points stored last, 16 bytes each (a UUID's bytes), packed oldest first, where the store
   * keeps the order points came in (the embedded store; Qdrant keeps none). The job seeds its recent-id cache with
   * them at start, so reading again what was stored last (a restart's replay, a rebuild) costs no look-up.
   */
  recentIds?(limit: number): Promise<Uint8Array>
  /**
   * True while the collection holds no id but those `recentIds` last answered with, all of them (fewer than its
   * limit), and those upserted through this store since: no other writer has added one (the embedded store tells from
   * SQLite's `data_version` at every write). Dedup then takes an id its cache does not hold for new, with no look-up.
   */
  knowsAllIds?(): boolean
  upsert(points: readonly Point[]): Promise<void>
  /**
   * Resolves true when the store takes writes for ordinary points (server up,
   * collection there, credentials accepted); poison-pill isolation asks it to
   * tell a refused point from a refusing store.
   */
  probe?(): Promise<boolean>
  count(filter?: SearchFilter): Promise<number>
  get(ids: readonly string[], opts?: { withVector?: boolean }): Promise<ScoredPoint[]>
  search(vector: Float32Array | readonly number[], opts: { k: number; filter?: SearchFilter; withVector?: boolean }): Promise<ScoredPoint[]>
  /**
   * The `k` nearest stored points of each vector, ids and similarities only, in one batched request
   * where the store has one (Qdrant's batch query); one answer per vector, in order.
   */
  searchMany?(vectors: ReadonlyArray<Float32Array | readonly number[]>, opts: { k: number; filter?: SearchFilter }): Promise<Neighbour[][]>
  /** Pages through stored points in id order; `next` is an opaque cursor: pass it back as `after` for the following page. */
  scroll(opts: { limit: number; after?: string | undefined; filter?: SearchFilter; withVector?: boolean }): Promise<{ points: ScoredPoint[]; next: string | null }>
  close(): Promise<void>
}

// ---------------------------------------------------------------------------
// Step context

/** What every operator receives: its step name, and the services it may reach. */
export interface StepContext {
  /** Step name: the child logger's `step` and the metrics' `step` label. */
  readonly step: string
  readonly logger: Logger
  readonly metrics: PipelineMetrics
  readonly signal: AbortSignal
  /** Scheduler for timed operators; tests pass a `TestScheduler`. */
  readonly scheduler?: SchedulerLike | undefined
}

export interface PipelineServices {
  readonly source: Source
  readonly embedder: Embedder
  readonly store: VectorStore
  readonly checkpoints: CheckpointStore
  /** Optional place malformed messages are published to besides the checkpoint store (a Kafka DLQ topic). */
  readonly deadLetterSink?: DeadLetterSink | undefined
  /** Where new patterns are announced (a Kafka topic, a JSON-lines file), when scoring is on. */
  readonly anomalySink?: AnomalySink | undefined
}

/**
 * One new pattern, as published: the first line of a shape that scored at or above the threshold, with
 * what it is like. Published at least once: a consumer dedupes by `point_id`.
 */
export interface AnomalyMessage {
  /** The stored point of the line. */
  readonly point_id: string
  /** The line's masked shape (`maskVariables`), and a short id of it. */
  readonly shape: string
  readonly shape_id: string
  readonly score: number
  readonly threshold: number
  /** The whole line, and its message. */
  readonly line: string
  readonly text: string
  readonly log_level: string
  readonly timestamp: string
  readonly source: string
  /** `partition@offset` of the record, as in the point's payload, and its parts. */
  readonly source_position: string
  readonly partition: string
  readonly offset: number
  /** The nearest lines of the history before it, nearest first. */
  readonly neighbours: ReadonlyArray<{ readonly id: string; readonly text: string; readonly similarity: number }>
  /** Lines of the shape counted when it was announced (the announcing batch's, plus earlier ones after a quiet period). */
  readonly count: number
  /** 1 for the first announcement of the shape; more when it came back after a quiet period. */
  readonly announcement: number
  readonly first_seen: string
  readonly announced_at: string
  readonly job: string
}

/** Publishes announcements outside the checkpoint store; resolves once they are durable there. */
export interface AnomalySink {
  /** Where the messages go, for logs (`topic logs.anomalies`, `file /…/logs.anomalies.jsonl`). */
  readonly describe: string
  publish(messages: readonly AnomalyMessage[]): Promise<void>
  close(): Promise<void>
}

/** Publishes a batch's dead letters somewhere outside the checkpoint store; must be idempotent per position. */
export interface DeadLetterSink {
  publish(deadLetters: readonly DeadLetter[]): Promise<void>
  close(): Promise<void>
}
