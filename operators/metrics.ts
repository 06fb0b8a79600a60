/**
 * The pipeline's Prometheus metrics, defined once and registered on a registry
 * the caller owns (no global default registry, so tests and two pipelines in one
 * process never collide). Labels are bounded: step names, dependency names,
 * dead-letter reasons, and the partitions this instance owns.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface PipelineMetrics {
  readonly registry: Registry
  readonly messagesReceived: Counter
  readonly entriesSkippedExisting: Counter
  readonly duplicatesInBatch: Counter
  readonly entriesNew: Counter
  readonly embeddingsGenerated: Counter
  readonly embeddingTextsShared: Counter
  readonly pointsInserted: Counter
  readonly messagesMalformed: Counter<'reason'>
  readonly deadLettered: Counter<'destination'>
  readonly deadLettersDropped: Counter
  readonly dependencyRetries: Counter<'dependency'>
  readonly batchRetries: Counter<'step'>
  readonly batchSplits: Counter<'step'>
  readonly dataLoss: Counter<'kind'>
  readonly batchesCommitted: Counter
  readonly batchDuration: Histogram
  readonly stageDuration: Histogram<'step'>
  readonly endToEndLatency: Histogram
  readonly consumerLag: Gauge<'partition'>
  readonly lastCommitTimestamp: Gauge
  readonly recordsInFlight: Gauge
  readonly sourcePaused: Gauge
  readonly dependencyUp: Gauge<'dependency'>
  readonly anomalies: Counter<'level'>
  readonly linesUnscored: Counter
  readonly shapeLookups: Counter<'answer'>
  readonly announcements: Counter<'outcome'>
  /** Where `logstream_new_patterns_last_hour` reads from: how many announced shapes were first seen since a time (ms). */
  readonly newPatterns: { source: ((since: number) => number) | null }
}

const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
const LATENCY_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300]

/**
 * Registers the pipeline metrics on `registry`.
 *
 * @example
 * const registry = new Registry()
 * const metrics = createPipelineMetrics(registry)
 * metrics.messagesReceived.inc(10)
 */
export function createPipelineMetrics(registry: Registry): PipelineMetrics {
  const registers = [registry]
  const counter = <L extends string = never>(name: string, help: string, labelNames: L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers })
  const lastCommitTimestamp = new Gauge({
    name: 'logstream_last_commit_timestamp_seconds',
    help: 'Unix time of the last committed checkpoint (0 before the first)',
    registers,
  })
  new Gauge({
    name: 'logstream_checkpoint_age_seconds',
    help: 'Seconds since the last committed checkpoint (since start before the first)',
    registers,
    async collect() {
      const last = (await lastCommitTimestamp.get()).values[0]?.value ?? 0
      this.set(Date.now() / 1000 - (last > 0 ? last : startedAt))
    },
  })
  const startedAt = Date.now() / 1000
  const newPatterns: PipelineMetrics['newPatterns'] = { source: null }
  new Gauge({
    name: 'logstream_new_patterns_last_hour',
    help: 'Shapes announced as new patterns whose first line arrived in the last hour',
    registers,
    collect() {
      this.set(newPatterns.source?.(Date.now() - 3_600_000) ?? 0)
    },
  })
  return {
    registry,
    messagesReceived: counter('logstream_messages_received_total', 'Messages read from the source'),
    entriesSkippedExisting: counter('logstream_entries_skipped_existing_total', 'Entries skipped because their id is already stored'),
    duplicatesInBatch: counter('logstream_duplicates_in_batch_total', 'Entries dropped as duplicates of an earlier entry of the same batch'),
    entriesNew: counter('logstream_entries_new_total', 'Entries found new and sent on to embedding'),
    embeddingsGenerated: counter('logstream_embeddings_generated_total', 'Vectors returned by the embedder'),
    embeddingTextsShared: counter(
      'logstream_embedding_texts_shared_total',
      'Lines given the vector of their shape without sending it (--embedding-text masked): another line of the request had the shape, or it was asked recently',
    ),
    pointsInserted: counter('logstream_points_inserted_total', 'Points acknowledged by the vector store'),
    messagesMalformed: counter('logstream_messages_malformed_total', 'Messages that could not be parsed, embedded or stored, by reason (each is dead-lettered)', ['reason']),
    deadLettered: counter('logstream_dead_lettered_total', 'Malformed messages written to a dead-letter destination', ['destination']),
    deadLettersDropped: counter('logstream_dead_letters_dropped_total', 'Dead letters dropped from the checkpoint, oldest first, to keep them within --dead-letters-kept-mb'),
    dependencyRetries: counter('logstream_dependency_retries_total', 'Retried calls to a dependency', ['dependency']),
    batchRetries: counter('logstream_batch_retries_total', 'Batches a dependency refused and that were tried again, by step', ['step']),
    batchSplits: counter('logstream_batch_splits_total', 'Batches split to find the records a dependency refuses, by step', ['step']),
    dataLoss: counter(
      'logstream_data_loss_total',
      'Data the job could not read or keep, found and reported (with --on-data-loss warn): partitions whose checkpoint was below the log start or past its end, stores missing acknowledged points',
      ['kind'],
    ),
    batchesCommitted: counter('logstream_batches_committed_total', 'Batches whose positions were committed'),
    batchDuration: new Histogram({
      name: 'logstream_batch_duration_seconds',
      help: 'Time from a batch closing to its checkpoint commit',
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    stageDuration: new Histogram<'step'>({
      name: 'logstream_stage_duration_seconds',
      help: 'Time one batch spent in one stage',
      labelNames: ['step'],
      buckets: SECONDS_BUCKETS,
      registers,
    }),
    endToEndLatency: new Histogram({
      name: 'logstream_end_to_end_latency_seconds',
      help: 'Time from the source timestamp of a message to the acknowledgement of its batch by the sink',
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    consumerLag: new Gauge<'partition'>({
      name: 'logstream_consumer_lag',
      help: 'Messages between the committed position and the end of a partition this instance owns',
      labelNames: ['partition'],
      registers,
    }),
    lastCommitTimestamp,
    recordsInFlight: new Gauge({ name: 'logstream_records_in_flight', help: 'Records read and not yet committed', registers }),
    sourcePaused: new Gauge({ name: 'logstream_source_paused', help: '1 while the source waits for the pipeline to drain', registers }),
    dependencyUp: new Gauge<'dependency'>({
      name: 'logstream_dependency_up',
      help: '1 when the last call to a dependency succeeded, 0 while it is failing',
      labelNames: ['dependency'],
      registers,
    }),
    anomalies: counter('logstream_anomalies_total', 'Lines scored at or above the anomaly threshold at ingest, by log level', ['level']),
    linesUnscored: counter('logstream_lines_unscored_total', 'Lines stored without an anomaly score: the store could not answer their neighbour query'),
    shapeLookups: counter('logstream_anomaly_shape_lookups_total', "Shapes of fresh lines the score stage looked up, by who answered: 'cache' (known to score 0) or 'store' (a neighbour query)", ['answer']),
    announcements: counter('logstream_anomaly_announcements_total', "New-pattern announcements, by outcome: 'published', 'failed' (kept and tried again after the next batch), 'dropped' (the line's point was refused by the store)", ['outcome']),
    newPatterns,
  }
}
