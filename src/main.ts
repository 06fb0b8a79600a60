/**
 * The job: load configuration → open checkpoint, store, embedder, source →
 * build the graph → run until the source ends or a stop is asked → close.
 */
import { lastValueFrom, scan, defaultIfEmpty } from 'rxjs'
import type { Logger } from 'pino'
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { CommittedBatch, PipelineServices, PositionOutOfRange, VectorStore } from '../operators/contracts.ts'
import { createPipelineMetrics, type PipelineMetrics } from '../operators/metrics.ts'
import { checkpointPath, openCheckpointStore } from '../checkpoints/sqlite-store.ts'
import type { CheckpointStore } from '../checkpoints/store.ts'
import { reportDroppedDeadLetters } from '../operators/checkpoint.ts'
import type { Config } from './config.ts'
import { checkStore } from './store-check.ts'
import { lockCheckpoint } from '../checkpoints/lock.ts'
import { buildGraph, type GraphHooks } from './graph.ts'
import { resolveLineFormat } from '../operators/formats/index.ts'
import { checkCollectionVectors, vectorsKind } from './vectors-check.ts'
import { anomalyScoringOn, createAnomalySink, createDeadLetterSink, createEmbedder, createSource, createVectorStore, jobIdentity } from './adapters/factory.ts'
import { JobState } from './runtime/job-state.ts'
import { limitHeapGrowth } from './runtime/heap.ts'
import { LogstreamError } from '../core/errors.ts'

export interface RunSummary {
  batches: number
  received: number
  stored: number
  skippedExisting: number
  duplicatesInBatch: number
  deadLettered: number
}

export interface RunOptions {
  readonly logger: Logger
  /** Where metrics are registered; a fresh registry with the default process metrics when absent. */
  readonly registry?: Registry
  /** Stops reading; what was read completes and commits. */
  readonly stopSignal?: AbortSignal
  /** Aborts work in flight. */
  readonly abortSignal?: AbortSignal
  readonly hooks?: GraphHooks
  /** Services to use instead of those the configuration names (tests). */
  readonly services?: Partial<PipelineServices>
  /** Told of each state change and committed batch (the HTTP server reads it). */
  readonly state?: JobState
  /**
   * Moves the checkpoint back to the start of the source before anything is
   * read (`run --rebuild`): what was stored is skipped, what is missing is
   * stored again.
   */
  readonly rebuild?: ((checkpoints: CheckpointStore) => Promise<void>) | undefined
  /** Told at once when the job fails, before what it opened is closed (closing may take a while). */
  readonly onFailure?: ((err: unknown) => void) | undefined
}

export function createMetrics(registry?: Registry): PipelineMetrics {
  const reg = registry ?? new Registry()
  if (!registry) collectDefaultMetrics({ register: reg })
  return createPipelineMetrics(reg)
}

/**
 * Runs the job to its end (a bounded source read out, or a stop) and closes
 * what it opened.
 */
export async function runJob(config: Config, opts: RunOptions): Promise<RunSummary> {
  const log = opts.logger
  limitHeapGrowth(config.heapGrowingPercent)
  const metrics = createMetrics(opts.registry)
  const state = opts.state ?? new JobState()
  state.setConfig(config)
  state.attachMetrics(metrics)
  const stop = opts.stopSignal ?? new AbortController().signal
  const abort = opts.abortSignal ?? new AbortController().signal
  const adapterCtx = { logger: log, metrics }

  const opened: Array<() => Promise<void> | void> = []
  try {
    // One instance per checkpoint: a second one is refused before it reads or writes anything.
    if (!opts.services?.checkpoints) {
      const lock = lockCheckpoint(config.checkpointDir, config.job)
      opened.push(() => lock.release())
    }
    const checkpoints: CheckpointStore =
      opts.services?.checkpoints ??
      openCheckpointStore({
        path: checkpointPath(config.checkpointDir, config.job),
        identity: jobIdentity(config),
        deferSync: true,
        deadLetterRoomBytes: config.deadLettersKeptMb * 1024 * 1024,
      })
    opened.push(() => checkpoints.close())
    state.attachCheckpoints(checkpoints)
    const trimmed = checkpoints.trimDeadLetters()
    if (trimmed) reportDroppedDeadLetters(metrics, log, trimmed, { at: 'start' })
    const store = opts.services?.store ?? (await createVectorStore(config, adapterCtx))
    opened.push(() => store.close())
    if (opts.rebuild) {
      await opts.rebuild(checkpoints)
      log.warn({ positions: Object.fromEntries(checkpoints.positions()) }, 'rebuild: the source is read again from its start; what the store holds is skipped, the rest stored')
    }
    await checkStore(store, checkpoints, { collection: config.collection, onDataLoss: config.onDataLoss, logger: log, metrics })
    const vectors = vectorsKind(config)
    const collection = await store.ensureCollection({ vectors })
    await checkCollectionVectors(store, collection, vectors, log)
    if (collection.marker) checkpoints.adoptStore(collection.marker)
    log.info({ collection: collection.name, dim: collection.dim, points: collection.points, store: store.name }, `Using collection ${collection.name} (${collection.points} points)`)
    // Read on the store's writer thread while the other services start; never rejects.
    const seeding = seedOfRecentIds(store, config.recentIds, log)
    const embedder = opts.services?.embedder ?? (await createEmbedder(config, adapterCtx))
    opened.push(() => embedder.close?.())
    if (embedder.dim !== config.dim) throw new LogstreamError('DIMENSION_MISMATCH', `embedder ${embedder.name} gives ${embedder.dim} dimensions, the configuration says ${config.dim}`)
    const deadLetterSink = opts.services?.deadLetterSink ?? (await createDeadLetterSink(config, adapterCtx))
    if (deadLetterSink) opened.push(() => deadLetterSink.close())
    const scoring = anomalyScoringOn(config)
    const anomalySink = scoring ? (opts.services?.anomalySink ?? (await createAnomalySink(config, adapterCtx))) : undefined
    if (anomalySink) opened.push(() => anomalySink.close())
    const source = opts.services?.source ?? (await createSource(config, adapterCtx))
    opened.push(() => source.close())

    state.source = `${source.kind} ${source.describe}`
    const positionLost = dataLossPolicy(config, checkpoints, log, metrics)
    for (const problem of (await source.checkPositions?.(checkpoints.positions())) ?? []) positionLost(problem, 'start')
    const pending = checkpoints.pendingBatches()
    if (pending.length > 0) log.warn({ batches: pending.map((b) => ({ id: b.id, seq: b.seq, ranges: b.ranges })) }, 'replaying a batch that was planned and never committed')
    log.info({ job: config.job, source: source.describe, checkpoint: checkpoints.path, positions: Object.fromEntries(checkpoints.positions()) }, `Starting job ${config.job}: ${source.kind} ${source.describe} → ${store.name} ${collection.name}, embedder ${embedder.name}`)
    if (anomalySink) log.info({ threshold: config.anomaly.threshold, quietMs: config.anomaly.quiet, to: anomalySink.describe }, `Scoring new lines against the stored history; new patterns (score ≥ ${config.anomaly.threshold}) go to ${anomalySink.describe}`)

    const recentSeed = await seeding
    const graph = buildGraph(
      { source, embedder, store, checkpoints, deadLetterSink, anomalySink },
      {
        maxBatchSize: config.batch.maxSize,
        triggerMs: config.batch.trigger,
        maxInFlight: config.maxInFlight,
        maxMessageBytes: config.maxMessageBytes,
        recentIds: config.recentIds,
        recentSeed,
        lineFormat: resolveLineFormat(config.lineFormat),
        anomaly: scoring ? { threshold: config.anomaly.threshold, quietMs: config.anomaly.quiet, cacheShapes: config.anomaly.cacheShapes, job: config.job } : undefined,
      },
      { logger: log, metrics, signal: abort, stopSignal: stop, hooks: opts.hooks, positionLost: (problem) => positionLost(problem, 'running') },
    )
    state.attachFlow(graph.flow)
    if (graph.anomalies) state.attachAnomalies(graph.anomalies)
    state.setPhase('running')
    const summary = await lastValueFrom(
      graph.batches$.pipe(
        scan((sum: RunSummary, b: CommittedBatch) => {
          state.batchCommitted(b)
          return {
            batches: sum.batches + 1,
            received: sum.received + b.received,
            stored: sum.stored + b.stored,
            skippedExisting: sum.skippedExisting + b.skippedExisting,
            duplicatesInBatch: sum.duplicatesInBatch + b.duplicatesInBatch,
            deadLettered: sum.deadLettered + b.deadLetters.length,
          }
        }, emptySummary()),
        defaultIfEmpty(emptySummary()),
      ),
    )
    log.info(summary, `Job ${config.job} stopped: ${summary.received} messages, ${summary.stored} new entries stored, ${summary.skippedExisting + summary.duplicatesInBatch} duplicates skipped, ${summary.deadLettered} dead-lettered`)
    return summary
  } catch (err) {
    opts.onFailure?.(err)
    throw err
  } finally {
    state.setPhase('stopped')
    for (const close of opened.reverse()) {
      try {
        await close()
      } catch (err) {
        log.warn({ err }, 'error while closing')
      }
    }
  }
}

/**
 * A checkpoint position outside its partition's log, as Spark's
 * `failOnDataLoss` treats it: `fail` stops the job saying what happened and
 * what to run; `warn` logs and counts it, and goes on from the log's start.
 * Past the end the log is not the one the checkpoint was written against (a
 * recreated topic, another cluster), so all of it is unread; below the start,
 * retention deleted records never read, and the start is the nearest offset.
 * A log replaced while the job runs stops it either way: its batches in flight
 * belong to the old log, and a restart resumes cleanly.
 */
function dataLossPolicy(config: Config, checkpoints: CheckpointStore, log: Logger, metrics: PipelineMetrics) {
  return (p: PositionOutOfRange, when: 'start' | 'running'): void => {
    const pastEnd = p.position > p.high
    const what = pastEnd
      ? `past its end (the topic was deleted and created again, or the checkpoint is from another cluster): offsets ${p.low} to ${p.high} of it were never read`
      : `below its start: retention deleted offsets ${p.position} to ${p.low - 1} before the job read them`
    const message = `partition ${p.partition}: the checkpoint resumes at offset ${p.position}, but its log holds offsets ${p.low} to ${p.high}; that is ${what}`
    if (config.onDataLoss === 'fail' || (pastEnd && when === 'running')) {
      throw new LogstreamError(
        'DATA_LOSS',
        `${message}. ${when === 'start' ? 'Nothing was changed. ' : ''}To resume at the start of what the log holds: start with --on-data-loss warn, or run 'logstream checkpoint reset --to ${p.partition}=${p.low}' (or --to earliest).`,
        { details: { ...p } },
      )
    }
    metrics.dataLoss.labels(pastEnd ? 'position-past-end' : 'position-below-start').inc()
    log.error({ ...p }, `${message}; resuming at offset ${p.low} (--on-data-loss warn)`)
    if (when === 'start') checkpoints.rewindPartition(p.partition, p.low)
  }
}

/**
 * The ids the store holds last, for the recent-id cache to start with (stores that keep an order of arrival: the
 * embedded one). A restart replays what was read last, and those entries are the ones stored last: found in the
 * cache, they cost no look-up. A store that cannot say starts the cache empty, as before.
 */
async function seedOfRecentIds(store: VectorStore, capacity: number, log: Logger): Promise<Uint8Array | undefined> {
  if (!store.recentIds || capacity <= 0) return undefined
  const started = performance.now()
  try {
    const seed = await store.recentIds(capacity)
    log.info({ ids: seed.length / 16, ms: Math.round(performance.now() - started) }, 'recent-id cache seeded with the ids stored last')
    return seed
  } catch (err) {
    log.warn({ err }, 'could not read the ids stored last; the recent-id cache starts empty')
    return undefined
  }
}

function emptySummary(): RunSummary {
  return { batches: 0, received: 0, stored: 0, skippedExisting: 0, duplicatesInBatch: 0, deadLettered: 0 }
}
