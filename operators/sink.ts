/**
 * Sink: upserts each batch's fresh entries with their vectors, and publishes its
 * dead letters where one is configured besides the checkpoint store. Resolves
 * only once the store has acknowledged the points as durable, so the commit
 * that follows may move the source positions past them. Two batches are
 * stored at once: the next batch's points go to the store while the one
 * before waits for its acknowledgement (its fsync or round trip); batches
 * leave, and so commit, in the order they came.
 *
 * No single point can stop the job: a point the store refuses (or whose
 * payload cannot be built) is found by retries and halving the batch (see
 * `isolate.ts`) and dead-lettered with reason `store-rejected`; the rest is
 * stored. A store that refuses everything, a probe included, is waited for.
 */
import type { DeadLetter, DeadLetterSink, EmbeddedBatch, ParsedEntry, Point, StepContext, StoredBatch, VectorStore } from './contracts.ts'
import { backoff, isFatal, runIsolated, type ItemOutcome } from './isolate.ts'
import { isolationReporter, refusal, withoutRefused } from './refusals.ts'
import { overlappingStage } from './stage.ts'

export interface SinkOptions {
  readonly store: Pick<VectorStore, 'upsert' | 'name'> & Partial<Pick<VectorStore, 'probe'>>
  readonly deadLetterSink?: DeadLetterSink | undefined
  /** Wall clock for `ingested_at`; tests pin it. */
  readonly now?: () => Date
  /** Whole-batch attempts before the batch is split (default 3). */
  readonly attempts?: number
  readonly delayMs?: (n: number) => number
  /** Told of the ids of entries dead-lettered here, so nothing takes them for stored. */
  readonly release?: (ids: readonly string[]) => void
  /**
   * Batches being stored at once (default 2): the next batch's points go to the store while the one before waits for its
   * acknowledgement. Batches still leave, and commit, in order.
   */
  readonly concurrency?: number
}

/** The point of one entry: every message field, its source position and when it was stored. */
export function pointOf(e: ParsedEntry, vector: Float32Array, ingestedAt: string): Point {
  // Copied with Object.assign, not spread with the two fields after it: V8's generic spread cost 1.8 µs a point (measured).
  // Object.assign would set the prototype for a field named __proto__, so such an entry (rare) is spread.
  const payload = (Object.hasOwn(e.entry, '__proto__') ? { ...e.entry } : Object.assign({}, e.entry)) as Point['payload'] & Record<string, unknown>
  payload.source_position = `${e.record.partition}@${e.record.offset}`
  payload.ingested_at = ingestedAt
  return { id: e.id, vector, payload }
}

/** The points of a batch. */
export function pointsOf(batch: Pick<EmbeddedBatch, 'fresh' | 'vectors'>, ingestedAt: string): Point[] {
  return batch.fresh.map((e, i) => pointOf(e, batch.vectors[i]!, ingestedAt))
}

/**
 * @example
 * embedded$.pipe(sink(ctx, { store }))
 */
export function sink(ctx: StepContext, opts: SinkOptions) {
  const now = opts.now ?? (() => new Date())
  const delayMs = opts.delayMs ?? backoff(500, 60_000)
  const probe = opts.store.probe ? () => opts.store.probe!().catch(() => false) : async () => true

  return overlappingStage<EmbeddedBatch, StoredBatch>(ctx, opts.concurrency ?? 2, async (batch, log) => {
    const ingestedAt = now().toISOString()
    const items = batch.fresh.map((e, i) => ({ e, vector: batch.vectors[i]! }))
    const upsertSome = async (some: ReadonlyArray<(typeof items)[number]>): Promise<Array<ItemOutcome<true>>> => {
      await opts.store.upsert(some.map(({ e, vector }) => pointOf(e, vector, ingestedAt)))
      return some.map(() => ({ ok: true, value: true }))
    }
    const report = isolationReporter(ctx, log, opts.store.name, batch.id)
    const outcomes = await runIsolated(items, upsertSome, { attempts: opts.attempts ?? 3, delayMs, probe, isFatal, signal: ctx.signal, onEvent: report.onEvent })
    report.done()
    const refused: DeadLetter[] = []
    const kept = new Set<number>()
    outcomes.forEach((o, i) => (o.ok ? kept.add(i) : refused.push(refusal(items[i]!.e, 'store-rejected', o.error))))
    const out = withoutRefused({ ...batch, vectors: batch.vectors.filter((_, i) => kept.has(i)) }, refused, ctx, opts.release)
    if (opts.deadLetterSink && out.deadLetters.length > 0) {
      await opts.deadLetterSink.publish(out.deadLetters)
      ctx.metrics.deadLettered.labels('topic').inc(out.deadLetters.length)
    }
    ctx.metrics.pointsInserted.inc(out.fresh.length)
    log.debug({ batch: batch.id, points: out.fresh.length, refused: refused.length }, 'stored')
    return { ...out, stored: out.fresh.length }
  })
}
