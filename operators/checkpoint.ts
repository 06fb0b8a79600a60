/**
 * The two checkpoint steps around the work of a batch:
 * `planBatch` writes the batch's id and ranges as planned before any work is
 * done; `commitBatch`, after the sink acknowledged, marks it committed and
 * advances the positions (with its dead letters) in one transaction, then lets
 * the source commit its own offsets, then frees the batch's flow credit.
 */
import type { Logger } from 'pino'
import { concatMap, map, pipe, tap, type OperatorFunction } from 'rxjs'
import type { CheckpointStore, DroppedDeadLetters } from '../checkpoints/store.ts'
import type { BatchBase, CommittedBatch, Source, StepContext, StoredBatch } from './contracts.ts'
import type { PipelineMetrics } from './metrics.ts'
import { timed } from './stage.ts'
import type { FlowControl } from './flow-control.ts'

/** Ids of the points a batch stored that its checkpoint row keeps, so a start can tell a store that lost recent points. */
export const STORED_ID_SAMPLE = 16

/**
 * Records each batch as planned as it arrives; a batch goes on only once its
 * plan is durable (the fsync runs off the main thread, shared by the plans
 * written meanwhile).
 */
export function planBatch<T extends BatchBase>(ctx: StepContext, opts: { checkpoints: CheckpointStore }): OperatorFunction<T, T> {
  const log = ctx.logger.child({ step: ctx.step })
  return pipe(
    map((batch: T) => {
      opts.checkpoints.plan({ id: batch.id, seq: batch.seq, ranges: batch.ranges })
      return { batch, durable: settled(opts.checkpoints.flush()) }
    }),
    concatMap(async ({ batch, durable }) => {
      await durable
      log.debug({ batch: batch.id, seq: batch.seq, ranges: batch.ranges }, 'planned')
      return batch
    }),
  )
}

/** A promise awaited later, in batch order: a failure before then is not unhandled. */
function settled<T>(p: Promise<T>): Promise<T> {
  p.catch(() => {})
  return p
}

export interface CommitOptions {
  readonly checkpoints: CheckpointStore
  readonly source: Pick<Source, 'commit'>
  readonly flow: FlowControl
  /** Called between the checkpoint commit and the source commit; crash tests stop the process here. */
  readonly afterCheckpoint?: ((batch: StoredBatch) => void) | undefined
}

/** Dead letters dropped from the checkpoint past their room (by a commit, or at start): counted and logged, never silent. */
export function reportDroppedDeadLetters(metrics: Pick<PipelineMetrics, 'deadLettersDropped'>, log: Pick<Logger, 'warn'>, dropped: DroppedDeadLetters, context: Record<string, unknown>): void {
  metrics.deadLettersDropped.inc(dropped.count)
  log.warn(
    { ...context, ...dropped },
    "the oldest dead letters were dropped from the checkpoint, past the room --dead-letters-kept-mb gives them (a Kafka job's dead-letter topic keeps its copies)",
  )
}

/** Up to `n` items spread evenly over a list, its first and last included. */
export function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items]
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]!)
}

/** The old job's console block for one batch, as lines. */
export function batchReport(batch: StoredBatch): string[] {
  const lines = [
    `Processing batch ${batch.seq}...`,
    `  Batch size: ${batch.received} messages`,
    `  Skipped ${batch.skippedExisting} existing entries`,
  ]
  if (batch.duplicatesInBatch > 0) lines.push(`  Dropped ${batch.duplicatesInBatch} duplicates within the batch`)
  if (batch.deadLetters.length > 0) {
    const reasons = new Map<string, number>()
    for (const d of batch.deadLetters) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1)
    lines.push(`  Dead-lettered ${batch.deadLetters.length} messages (${[...reasons].map(([r, n]) => `${n} ${r}`).join(', ')})`)
  }
  lines.push(
    `  Processing ${batch.fresh.length} new messages`,
    `  Generated ${batch.vectors.length} embeddings`,
    ...scoringReport(batch),
    `  Batch ${batch.seq} processed: ${batch.stored} new entries stored, ${batch.skippedExisting + batch.duplicatesInBatch} duplicates skipped`,
  )
  return lines
}

/** The score stage's lines of the batch report, when scoring is on. */
function scoringReport(batch: StoredBatch): string[] {
  const s = batch.scoring
  if (!s) return []
  const unscored = s.unscored > 0 ? `, ${s.unscored} unscored (the store could not answer)` : ''
  return [
    `  Scored ${s.scored} new messages: ${s.anomalous} at or above ${s.threshold}, highest ${s.max.toFixed(2)} (${s.queried} shapes asked of the store, ${s.cached} known to the cache${unscored})`,
    ...s.announced.map((shape) => `  New pattern: ${shape.length > 200 ? `${shape.slice(0, 200)}…` : shape}`),
  ]
}

/**
 * @example
 * stored$.pipe(commitBatch(ctx, { checkpoints, source, flow }))
 */
export function commitBatch(ctx: StepContext, opts: CommitOptions): OperatorFunction<StoredBatch, CommittedBatch> {
  const log = ctx.logger.child({ step: ctx.step })
  // The commit is written as the batch arrives; the batch's offsets move, in batch order, once it is durable,
  // so a batch's commit is written while the fsync of the one before runs, and both share the next fsync.
  const write = map((batch: StoredBatch) => {
    const started = performance.now()
    const positions = new Map(batch.ranges.map((r) => [r.partition, r.to]))
    const size = batch.received
    const { droppedDeadLetters } = opts.checkpoints.commit({
      batchId: batch.id,
      positions,
      counts: {
        received: size,
        skippedExisting: batch.skippedExisting,
        duplicatesInBatch: batch.duplicatesInBatch,
        stored: batch.stored,
        deadLettered: batch.deadLetters.length,
      },
      timings: batch.stageTimings,
      storedIds: spread(batch.fresh, STORED_ID_SAMPLE).map((e) => e.id),
      deadLetters: batch.deadLetters.map((d) => ({
        partition: d.record.partition,
        offset: d.record.offset,
        reason: d.reason,
        detail: d.detail,
        key: d.record.key,
        value: d.record.value,
        headers: d.record.headers ?? null,
        timestampMs: d.record.timestampMs ?? null,
      })),
    })
    // Reported as soon as the commit is written: a crash before its fsync must not leave a drop unsaid.
    if (droppedDeadLetters) reportDroppedDeadLetters(ctx.metrics, log, droppedDeadLetters, { batch: batch.id })
    return { batch, positions, size, started, durable: settled(opts.checkpoints.flush()) }
  })
  type Written = { batch: StoredBatch; positions: Map<string, number>; size: number; started: number; durable: Promise<void> }
  const acknowledge = concatMap(async ({ batch, positions, size, started, durable }: Written): Promise<CommittedBatch> => {
    // Offsets move only once the commit is durable.
    await durable
    const committedAt = Date.now()
    opts.afterCheckpoint?.(batch)
    try {
      await opts.source.commit(positions)
    } catch (err) {
      // The checkpoint is the authority; a failed source commit only delays what monitoring sees.
      log.warn({ err, batch: batch.id }, 'source commit failed; the checkpoint holds the positions')
    }
    opts.flow.release(size)
    return timed(ctx, { ...batch, committedAt }, (performance.now() - started) / 1000)
  })
  return pipe(
    write,
    acknowledge,
    tap((batch) => {
      const m = ctx.metrics
      m.batchDuration.observe((performance.now() - batch.openedAt) / 1000)
      m.batchesCommitted.inc()
      m.deadLettered.labels('checkpoint').inc(batch.deadLetters.length)
      m.lastCommitTimestamp.set(batch.committedAt / 1000)
      m.recordsInFlight.set(opts.flow.inFlight)
      for (const sourceMs of batch.sourceTimesMs) {
        if (!Number.isNaN(sourceMs)) m.endToEndLatency.observe(Math.max(0, batch.committedAt - sourceMs) / 1000)
      }
      log.info(
        {
          batch: batch.seq,
          batchId: batch.id,
          size: batch.received,
          skippedExisting: batch.skippedExisting,
          duplicatesInBatch: batch.duplicatesInBatch,
          deadLettered: batch.deadLetters.length,
          stored: batch.stored,
          ...(batch.scoring ? { scoring: { ...batch.scoring, announced: batch.scoring.announced.length } } : {}),
          timings: batch.stageTimings,
        },
        batchReport(batch).join('\n'),
      )
    }),
  )
}
