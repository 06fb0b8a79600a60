/**
 * Dedup: of each batch, keeps the entries to embed and store — the first of
 * their id in the batch whose id is neither in the recent-id cache nor in the
 * store. The store is asked only for the ids the cache does not know, and not
 * at all while the cache holds every id the store holds: the store named them
 * all at start (`VectorStore.knowsAllIds`: no other writer since) and the
 * cache has dropped none (a first load into an embedded store of its own).
 * Another job that starts writing to the same store is seen at this job's
 * next write, and the batches deduplicated before that look nothing up. A
 * look-up made before the other job's write could not see it either: an id
 * both jobs read then is embedded by both, and stored as one point.
 *
 * The cache is checked and the batch's ids claimed in it as the batch
 * arrives, in batch order, so a later batch in flight never embeds the same
 * entry again before this one is stored; the store look-up then starts at
 * once, overlapping with the look-ups of the batches around it (merged into
 * shared requests, see `existence-lookups.ts`) and with the embedding and
 * storing of earlier batches. Batches leave in the order they came.
 */
import { concatMap, map, pipe, type OperatorFunction } from 'rxjs'
import type { Batch, DedupedBatch, ParsedEntry, StepContext, VectorStore } from './contracts.ts'
import { timed } from './stage.ts'
import type { RecentIds } from './recent-ids.ts'
import { coalescedExistence } from './existence-lookups.ts'

export interface DedupOptions {
  readonly store: Pick<VectorStore, 'existing'> & Partial<Pick<VectorStore, 'knowsAllIds'>>
  readonly recent: RecentIds
  /** Ids in one store look-up at most when look-ups of several batches are merged (default 5,000). */
  readonly lookupIds?: number
  /** Store look-ups in flight at most (default 2). */
  readonly lookupConcurrency?: number
}

interface Started {
  readonly batch: Batch
  readonly unique: readonly ParsedEntry[]
  readonly unknown: readonly ParsedEntry[]
  /** Ids the store was asked about: the unknown ones, or none while the cache holds all the store's. */
  readonly lookedUp: number
  readonly startedAt: number
  /** The look-up's answer and when it came. */
  readonly existing: Promise<{ found: Set<string>; at: number }>
}

/**
 * @example
 * batches$.pipe(dedup(ctx, { store, recent: new RecentIds(100_000) }))
 */
export function dedup(ctx: StepContext, opts: DedupOptions): OperatorFunction<Batch, DedupedBatch> {
  const log = ctx.logger.child({ step: ctx.step })
  const existing = coalescedExistence((ids) => opts.store.existing(ids), { maxIds: opts.lookupIds ?? 5000, concurrency: opts.lookupConcurrency ?? 2 })

  const start = (batch: Batch): Started => {
    const startedAt = performance.now()
    const seen = new Set<string>()
    const unique: ParsedEntry[] = []
    for (const e of batch.entries) {
      if (seen.has(e.id)) continue
      seen.add(e.id)
      unique.push(e)
    }
    // Each id is claimed as it is checked: the batch's ids are distinct, so this is `has` for all, then `add` for all.
    const unknown = unique.filter((e) => !opts.recent.claim(e.id))
    // Asked after the claims: a claim that pushed out an id (perhaps one of this batch's) ends it.
    const cacheIsWhole = opts.recent.keptAll && opts.store.knowsAllIds?.() === true
    const lookup = unknown.length > 0 && !cacheIsWhole ? existing(unknown.map((e) => e.id)) : Promise.resolve(new Set<string>())
    const answered = lookup.then((found) => ({ found, at: performance.now() }))
    // Awaited in batch order below; a failure before then is not unhandled.
    answered.catch(() => {})
    return { batch, unique, unknown, lookedUp: cacheIsWhole ? 0 : unknown.length, startedAt, existing: answered }
  }

  const finish = async ({ batch, unique, unknown, lookedUp, startedAt, existing: answered }: Started): Promise<DedupedBatch> => {
    const { found, at } = await answered
    const fresh = unknown.filter((e) => !found.has(e.id))
    const duplicatesInBatch = batch.entries.length - unique.length
    const skippedExisting = unique.length - fresh.length
    ctx.metrics.duplicatesInBatch.inc(duplicatesInBatch)
    ctx.metrics.entriesSkippedExisting.inc(skippedExisting)
    ctx.metrics.entriesNew.inc(fresh.length)
    // The stage's time is the batch's own work and look-up, not the wait for the batches before it.
    log.debug({ batch: batch.id, fresh: fresh.length, skippedExisting, duplicatesInBatch, lookedUp }, 'deduplicated')
    return timed(ctx, deduped(batch, fresh, skippedExisting, duplicatesInBatch), (at - startedAt) / 1000)
  }

  return pipe(map(start), concatMap(finish))
}

/**
 * The batch as it leaves dedup: its fresh entries, and of all its entries only their count and source times. Letting the
 * rest go here, instead of at the commit, took the embedded replay from 71–75% to 74–82% of the ceiling and 1.7 CPU µs a
 * message off it (three alternating pairs; BENCHMARKS.md, *Round 21*).
 */
export function deduped(batch: Batch, fresh: readonly ParsedEntry[], skippedExisting: number, duplicatesInBatch: number): DedupedBatch {
  const { entries } = batch
  const sourceTimesMs = new Float64Array(entries.length)
  for (let i = 0; i < entries.length; i++) sourceTimesMs[i] = entries[i]!.record.timestampMs ?? NaN
  return {
    id: batch.id,
    seq: batch.seq,
    ranges: batch.ranges,
    deadLetters: batch.deadLetters,
    openedAt: batch.openedAt,
    stageTimings: batch.stageTimings,
    received: entries.length + batch.deadLetters.length,
    sourceTimesMs,
    fresh,
    skippedExisting,
    duplicatesInBatch,
  }
}
