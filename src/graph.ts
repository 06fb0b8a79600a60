/**
 * The pipeline, reading like its diagram:
 *
 *   source → parse → micro-batch → dedup → plan → embed → score → sink → publish → commit
 *
 * (score and publish when anomaly scoring is on)
 *
 * Each stage is an operator from `operators/`; this file only wires them, with
 * one step context each (its name is its logger's `step` and its metric label).
 */
import { filter, identity, tap, type Observable, type SchedulerLike } from 'rxjs'
import type { Logger } from 'pino'
import type { Batch, CommittedBatch, DedupedBatch, PipelineServices, PositionOutOfRange, StepContext, StoredBatch } from '../operators/contracts.ts'
import { FlowControl } from '../operators/flow-control.ts'
import type { PipelineMetrics } from '../operators/metrics.ts'
import { parse } from '../operators/parse.ts'
import type { LineFormatSpec } from '../operators/formats/index.ts'
import { microBatch } from '../operators/micro-batch.ts'
import { dedup } from '../operators/dedup.ts'
import { embed } from '../operators/embed.ts'
import { sink } from '../operators/sink.ts'
import { commitBatch, planBatch } from '../operators/checkpoint.ts'
import { RecentIds } from '../operators/recent-ids.ts'
import { score } from '../operators/score.ts'
import { publishAnomalies } from '../operators/publish-anomalies.ts'
import { ShapeCache } from '../operators/shape-cache.ts'
import { AnomalyTracker } from '../operators/anomaly-tracker.ts'
import { StoredMark } from '../operators/stored-mark.ts'

export interface GraphOptions {
  readonly maxBatchSize: number
  readonly triggerMs: number
  readonly maxInFlight: number
  readonly maxMessageBytes: number
  readonly recentIds: number
  /** Ids the recent-id cache starts with, 16 bytes each, oldest first (`VectorStore.recentIds`). */
  readonly recentSeed?: Uint8Array | undefined
  /** How the source's text lines are read (default: detected line by line). */
  readonly lineFormat?: LineFormatSpec | undefined
  /** Anomaly scoring at ingest; off when absent. */
  readonly anomaly?: AnomalyOptions | undefined
}

export interface AnomalyOptions {
  readonly threshold: number
  readonly quietMs: number
  /** Shapes known to score 0 that the cache keeps. */
  readonly cacheShapes: number
  /** The job's name, in announcements. */
  readonly job: string
}

/** Stage boundaries at which crash tests may stop the process. */
export type Boundary = 'after-fetch' | 'after-dedup' | 'after-plan' | 'after-embed' | 'after-score' | 'after-sink' | 'after-publish' | 'after-checkpoint'

export interface GraphHooks {
  /** Called at each stage boundary of each batch; crash tests kill the process here. */
  readonly onBoundary?: ((boundary: Boundary, batch: Batch | DedupedBatch) => void) | undefined
}

export interface Graph {
  readonly batches$: Observable<CommittedBatch>
  readonly flow: FlowControl
  readonly recent: RecentIds
  /** The announced shapes, when anomaly scoring is on (the status page shows them). */
  readonly anomalies: AnomalyTracker | null
}

export function buildGraph(
  services: PipelineServices,
  opts: GraphOptions,
  runtime: {
    logger: Logger
    metrics: PipelineMetrics
    /** Aborts work in flight (a second signal, or the shutdown timeout). */
    signal: AbortSignal
    /** Stops the source reading; what was read still completes and commits. */
    stopSignal: AbortSignal
    scheduler?: SchedulerLike
    hooks?: GraphHooks
    /** Told of records the source can no longer read while it runs; throws to stop the job. */
    positionLost?: (problem: PositionOutOfRange) => void
  },
): Graph {
  const { source, embedder, store, checkpoints, deadLetterSink, anomalySink } = services
  const flow = new FlowControl(opts.maxInFlight)
  const recent = new RecentIds(opts.recentIds)
  if (opts.recentSeed) recent.addPacked(opts.recentSeed)
  const ctx = (step: string): StepContext => ({ step, logger: runtime.logger, metrics: runtime.metrics, signal: runtime.signal, scheduler: runtime.scheduler })
  const at = <T extends Batch | DedupedBatch>(boundary: Boundary) => tap<T>((batch) => runtime.hooks?.onBoundary?.(boundary, batch))

  // Entries a stage dead-letters were never stored: their ids leave the cache, so a later copy is not taken for stored.
  const release = (ids: readonly string[]) => ids.forEach((id) => recent.delete(id))
  flow.onChange((open) => runtime.metrics.sourcePaused.set(open ? 0 : 1))
  const replay = checkpoints.pendingBatches().map((b) => ({ id: b.id, seq: b.seq, ranges: b.ranges }))
  const positions = checkpoints.positions()
  const anomaly = opts.anomaly
  const tracker = anomaly ? new AnomalyTracker({ ledger: checkpoints.anomalies(), threshold: anomaly.threshold, quietMs: anomaly.quietMs }) : null
  if (tracker) runtime.metrics.newPatterns.source = (since) => tracker.firstSeenSince(since)
  const stored = new StoredMark()

  // Three pipes: RxJS types a pipe of at most nine operators.
  const batches$ = source
    .open({ logger: runtime.logger, flow, signal: runtime.stopSignal, resumeFrom: (p) => positions.get(p), replay, positionLost: runtime.positionLost })
    .pipe(
      parse(ctx('parse'), { maxMessageBytes: opts.maxMessageBytes, format: opts.lineFormat }),
      microBatch(ctx('batch'), {
        maxSize: opts.maxBatchSize,
        triggerMs: opts.triggerMs,
        firstSeq: checkpoints.nextSeq(),
        replay,
      }),
      at('after-fetch'),
      // After a stop only the batches already planned finish; the rest is read again on restart.
      filter((batch) => {
        if (!runtime.stopSignal.aborted) return true
        flow.release(batch.entries.length + batch.deadLetters.length)
        return false
      }),
      // Dedup only reads (the recent-id cache, the store's look-ups), so it comes before the plan, whose fsync a batch
      // waits for: a batch then waits holding its fresh entries only, and in a replay none. Waiting ahead of dedup with
      // all of them, a replay's batches outlived V8's young generation, and about half its runs went a fifth slower
      // with twice the collections' work (BENCHMARKS Round 24).
      dedup(ctx('dedup'), { store, recent }),
      at('after-dedup'),
    )
    .pipe(
      planBatch(ctx('plan'), { checkpoints }),
      at('after-plan'),
      embed(ctx('embed'), { embedder, release }),
      at('after-embed'),
      anomaly && tracker ? score(ctx('score'), { store, threshold: anomaly.threshold, cache: new ShapeCache(anomaly.cacheShapes), tracker, stored, job: anomaly.job, vectorPerShape: embedder.vectorPerShape === true }) : identity,
      at('after-score'),
    )
    .pipe(
      sink(ctx('sink'), { store, deadLetterSink, release }),
      tap<StoredBatch>((batch) => stored.mark(batch.seq)),
      at<StoredBatch>('after-sink'),
      tracker && anomalySink ? publishAnomalies(ctx('publish'), { ledger: checkpoints.anomalies(), sink: anomalySink }) : identity,
      at<StoredBatch>('after-publish'),
      commitBatch(ctx('commit'), {
        checkpoints,
        source,
        flow,
        afterCheckpoint: (batch) => runtime.hooks?.onBoundary?.('after-checkpoint', batch),
      }),
    )
  return { batches$, flow, recent, anomalies: tracker }
}
