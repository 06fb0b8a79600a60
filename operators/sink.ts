/**
 * Sink: upserts each batch's fresh entries with their vectors, and publishes its
 * dead letters where one is configured besides the checkpoint store. Resolves
 * only once the store has acknowledged the points as durable, so the commit
 * that follows may move the source positions past them.
 */
import { concatMap, type OperatorFunction } from 'rxjs'
import type { DeadLetterSink, EmbeddedBatch, Point, StepContext, StoredBatch, VectorStore } from './contracts.ts'

export interface SinkOptions {
  readonly store: Pick<VectorStore, 'upsert'>
  readonly deadLetterSink?: DeadLetterSink | undefined
  /** Wall clock for `ingested_at`; tests pin it. */
  readonly now?: () => Date
}

/** The points of a batch: every message field, its source position and when it was stored. */
export function pointsOf(batch: Pick<EmbeddedBatch, 'fresh' | 'vectors'>, ingestedAt: string): Point[] {
  return batch.fresh.map((e, i) => ({
    id: e.id,
    vector: batch.vectors[i]!,
    payload: { ...e.entry, source_position: `${e.record.partition}@${e.record.offset}`, ingested_at: ingestedAt },
  }))
}

/**
 * @example
 * embedded$.pipe(sink(ctx, { store }))
 */
export function sink(ctx: StepContext, opts: SinkOptions): OperatorFunction<EmbeddedBatch, StoredBatch> {
  const log = ctx.logger.child({ step: ctx.step })
  const now = opts.now ?? (() => new Date())
  return concatMap(async (batch) => {
    const started = performance.now()
    const points = pointsOf(batch, now().toISOString())
    if (points.length > 0) await opts.store.upsert(points)
    if (opts.deadLetterSink && batch.deadLetters.length > 0) {
      await opts.deadLetterSink.publish(batch.deadLetters)
      ctx.metrics.deadLettered.labels('topic').inc(batch.deadLetters.length)
    }
    const seconds = (performance.now() - started) / 1000
    ctx.metrics.pointsInserted.inc(points.length)
    ctx.metrics.stageDuration.labels(ctx.step).observe(seconds)
    log.debug({ batch: batch.id, points: points.length }, 'stored')
    return { ...batch, stageTimings: { ...batch.stageTimings, sink: seconds }, stored: points.length }
  })
}
