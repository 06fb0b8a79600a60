/**
 * The job: load configuration → open checkpoint, store, embedder, source →
 * build the graph → run until the source ends or a stop is asked → close.
 */
import { lastValueFrom, scan, defaultIfEmpty } from 'rxjs'
import type { Logger } from 'pino'
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { CommittedBatch, PipelineServices } from '../operators/contracts.ts'
import { createPipelineMetrics, type PipelineMetrics } from '../operators/metrics.ts'
import { checkpointPath, openCheckpointStore } from '../checkpoints/sqlite-store.ts'
import type { CheckpointStore } from '../checkpoints/store.ts'
import type { Config } from './config.ts'
import { buildGraph, type GraphHooks } from './graph.ts'
import { createDeadLetterSink, createEmbedder, createSource, createVectorStore, jobIdentity } from './adapters/factory.ts'
import { JobState } from './runtime/job-state.ts'
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
  const metrics = createMetrics(opts.registry)
  const state = opts.state ?? new JobState()
  state.setConfig(config)
  state.attachMetrics(metrics)
  const stop = opts.stopSignal ?? new AbortController().signal
  const abort = opts.abortSignal ?? new AbortController().signal
  const adapterCtx = { logger: log, metrics }

  const opened: Array<() => Promise<void> | void> = []
  try {
    const checkpoints: CheckpointStore = opts.services?.checkpoints ?? openCheckpointStore({ path: checkpointPath(config.checkpointDir, config.job), identity: jobIdentity(config) })
    opened.push(() => checkpoints.close())
    state.attachCheckpoints(checkpoints)
    const store = opts.services?.store ?? (await createVectorStore(config, adapterCtx))
    opened.push(() => store.close())
    const collection = await store.ensureCollection()
    log.info({ collection: collection.name, dim: collection.dim, points: collection.points, store: store.name }, `Using collection ${collection.name} (${collection.points} points)`)
    const embedder = opts.services?.embedder ?? (await createEmbedder(config, adapterCtx))
    opened.push(() => embedder.close?.())
    if (embedder.dim !== config.dim) throw new LogstreamError('DIMENSION_MISMATCH', `embedder ${embedder.name} gives ${embedder.dim} dimensions, the configuration says ${config.dim}`)
    const deadLetterSink = opts.services?.deadLetterSink ?? (await createDeadLetterSink(config, adapterCtx))
    if (deadLetterSink) opened.push(() => deadLetterSink.close())
    const source = opts.services?.source ?? (await createSource(config, adapterCtx))
    opened.push(() => source.close())

    state.source = `${source.kind} ${source.describe}`
    const pending = checkpoints.pendingBatches()
    if (pending.length > 0) log.warn({ batches: pending.map((b) => ({ id: b.id, seq: b.seq, ranges: b.ranges })) }, 'replaying a batch that was planned and never committed')
    log.info({ job: config.job, source: source.describe, checkpoint: checkpoints.path, positions: Object.fromEntries(checkpoints.positions()) }, `Starting job ${config.job}: ${source.kind} ${source.describe} → ${store.name} ${collection.name}, embedder ${embedder.name}`)

    const graph = buildGraph(
      { source, embedder, store, checkpoints, deadLetterSink },
      {
        maxBatchSize: config.batch.maxSize,
        triggerMs: config.batch.trigger,
        maxInFlight: config.maxInFlight,
        maxMessageBytes: config.maxMessageBytes,
        recentIds: config.recentIds,
      },
      { logger: log, metrics, signal: abort, stopSignal: stop, hooks: opts.hooks },
    )
    state.attachFlow(graph.flow)
    state.setPhase('running')
    const summary = await lastValueFrom(
      graph.batches$.pipe(
        scan((sum: RunSummary, b: CommittedBatch) => {
          state.batchCommitted(b)
          return {
            batches: sum.batches + 1,
            received: sum.received + b.entries.length + b.deadLetters.length,
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

function emptySummary(): RunSummary {
  return { batches: 0, received: 0, stored: 0, skippedExisting: 0, duplicatesInBatch: 0, deadLettered: 0 }
}
