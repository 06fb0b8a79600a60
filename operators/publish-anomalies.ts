/**
 * Publish: after a batch's points are stored, publishes the announcements
 * waiting in the checkpoint's outbox (this batch's and any earlier ones that
 * failed to go out) to the anomalies sink, then marks them published.
 *
 * At least once: a crash after the publish and before the mark publishes them
 * again on restart (the replayed batch passes here again), so consumers dedupe
 * by `point_id`. An announcement whose line the store refused (dead-lettered
 * by the sink) is dropped, since it names a point that does not exist. A sink
 * that refuses (a topic that cannot be written, a full disk) is reported and
 * the job goes on; the announcements stay in the outbox and are tried again
 * after a later batch, first a minute later, then less often (up to every 15
 * minutes: a missing topic costs Kafka's 30 s of waiting for it to appear on
 * every attempt), and `logstream anomalies` lists them meanwhile. A sink that
 * refuses for months keeps the newest `WAITING_KEPT`; older ones are dropped,
 * reported as the refused lines' are.
 */
import type { AnomalyMessage, AnomalySink, StepContext, StoredBatch } from './contracts.ts'
import type { AnomalyLedger } from '../checkpoints/store.ts'
import { isFatal } from './isolate.ts'
import { stage } from './stage.ts'

/** After a failed publish, the next attempt waits this long, doubling up to the most. */
const RETRY_AFTER_MS = 60_000
const RETRY_AFTER_MAX_MS = 15 * 60_000
/** Announcements waiting for a sink that refuses, at most: every batch reads them all, and each attempt sends them all. */
export const WAITING_KEPT = 10_000

export interface PublishOptions {
  readonly ledger: AnomalyLedger
  readonly sink: AnomalySink
  /** Wall clock (ms); tests pin it. */
  readonly now?: () => number
}

/**
 * @example
 * stored$.pipe(publishAnomalies(ctx, { ledger: checkpoints.anomalies(), sink }))
 */
export function publishAnomalies(ctx: StepContext, opts: PublishOptions) {
  const now = opts.now ?? Date.now
  let failures = 0
  let nextAttemptAt = 0
  return stage<StoredBatch, StoredBatch>(ctx, async (batch, log) => {
    const pending = opts.ledger.pending(batch.seq)
    if (pending.length === 0) return batch
    const refused = new Set(batch.deadLetters.flatMap((d) => (d.id ? [d.id] : [])))
    const dropped = pending.filter((p) => refused.has(p.pointId))
    if (dropped.length > 0) {
      opts.ledger.markPublished(dropped)
      ctx.metrics.announcements.labels('dropped').inc(dropped.length)
      log.warn({ batch: batch.id, points: dropped.map((p) => p.pointId) }, `${dropped.length} announcement(s) dropped: the store refused their lines (see logstream dlq list)`)
    }
    let due = pending.filter((p) => !refused.has(p.pointId))
    if (due.length > WAITING_KEPT) {
      // Oldest first: the outbox's order.
      const oldest = due.slice(0, due.length - WAITING_KEPT)
      opts.ledger.markPublished(oldest)
      ctx.metrics.announcements.labels('dropped').inc(oldest.length)
      log.warn({ batch: batch.id, dropped: oldest.length, kept: WAITING_KEPT }, `${oldest.length} announcement(s) dropped unpublished, the oldest: more than ${WAITING_KEPT} waited for ${opts.sink.describe}`)
      due = due.slice(oldest.length)
    }
    if (due.length === 0 || now() < nextAttemptAt) return batch
    try {
      await opts.sink.publish(due.map((p) => JSON.parse(p.message) as AnomalyMessage))
    } catch (err) {
      if (isFatal(err) || ctx.signal.aborted) throw err
      ctx.metrics.announcements.labels('failed').inc(due.length)
      const waitMs = Math.min(RETRY_AFTER_MAX_MS, RETRY_AFTER_MS * 2 ** failures++)
      nextAttemptAt = now() + waitMs
      log.error(
        { batch: batch.id, err: { message: (err as Error).message, code: (err as { code?: string }).code }, waiting: due.length, retryInMs: waitMs },
        `${due.length} announcement(s) could not be published to ${opts.sink.describe}; they are kept and tried again after a batch in ${Math.round(waitMs / 1000)} s (logstream anomalies lists them)`,
      )
      return batch
    }
    failures = 0
    opts.ledger.markPublished(due)
    ctx.metrics.announcements.labels('published').inc(due.length)
    log.debug({ batch: batch.id, published: due.length, to: opts.sink.describe }, 'announcements published')
    return batch
  })
}
