/**
 * Dedup: of each batch, keeps the entries to embed and store — the first of
 * their id in the batch whose id is neither in the recent-id cache nor in the
 * store. One store look-up per batch, for the ids the cache does not know.
 * Fresh ids are claimed in the cache at once, so a later batch in flight never
 * embeds the same entry again before this one is stored.
 */
import type { OperatorFunction } from 'rxjs'
import type { Batch, DedupedBatch, ParsedEntry, StepContext, VectorStore } from './contracts.ts'
import type { RecentIds } from './recent-ids.ts'
import { stage } from './stage.ts'

export interface DedupOptions {
  readonly store: Pick<VectorStore, 'existing'>
  readonly recent: RecentIds
}

/**
 * @example
 * batches$.pipe(dedup(ctx, { store, recent: new RecentIds(100_000) }))
 */
export function dedup(ctx: StepContext, opts: DedupOptions): OperatorFunction<Batch, DedupedBatch> {
  return stage<Batch, DedupedBatch>(ctx, async (batch, log) => {
    const seen = new Set<string>()
    const unique: ParsedEntry[] = []
    for (const e of batch.entries) {
      if (seen.has(e.id)) continue
      seen.add(e.id)
      unique.push(e)
    }
    const duplicatesInBatch = batch.entries.length - unique.length
    const unknown = unique.filter((e) => !opts.recent.has(e.id))
    const existing = unknown.length > 0 ? await opts.store.existing(unknown.map((e) => e.id)) : new Set<string>()
    const fresh = unknown.filter((e) => !existing.has(e.id))
    for (const e of unique) opts.recent.add(e.id)
    const skippedExisting = unique.length - fresh.length
    ctx.metrics.duplicatesInBatch.inc(duplicatesInBatch)
    ctx.metrics.entriesSkippedExisting.inc(skippedExisting)
    ctx.metrics.entriesNew.inc(fresh.length)
    log.debug({ batch: batch.id, fresh: fresh.length, skippedExisting, duplicatesInBatch, lookedUp: unknown.length }, 'deduplicated')
    return { ...batch, fresh, skippedExisting, duplicatesInBatch }
  })
}
