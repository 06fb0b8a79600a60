/**
 * At start, before anything is read: is the store the one the checkpoint was
 * written against, and does it still hold what it acknowledged?
 *
 * - The collection is missing, or carries another marker (it was deleted, or
 *   deleted and created again): the points the checkpoint acknowledged are
 *   gone, while the checkpoint would resume after them.
 * - Points the most recent batches stored (a sample of each batch's ids, kept
 *   in the checkpoint) are missing: the store lost acknowledged writes (a
 *   damaged or replaced file).
 *
 * Deliberate deletions are normal and not looked at: retention removes the
 * oldest points and several jobs may share one collection, so neither the
 * count nor old points are compared, only the newest ones this job stored.
 */
import type { Logger } from 'pino'
import type { VectorStore } from '../operators/contracts.ts'
import type { PipelineMetrics } from '../operators/metrics.ts'
import type { CheckpointStore } from '../checkpoints/store.ts'
import { LogstreamError } from '../core/errors.ts'

/**
 * The last batches that stored points, whose stored-id samples are looked up:
 * a damaged file loses the newest writes, while retention removes the oldest
 * points, far behind the last few batches.
 */
const SAMPLED_BATCHES = 3

export async function checkStore(
  store: VectorStore,
  checkpoints: CheckpointStore,
  opts: { collection: string; onDataLoss: 'fail' | 'warn'; logger: Logger; metrics: PipelineMetrics },
): Promise<void> {
  const known = checkpoints.storeState()
  if (known.marker === null || !store.describeCollection) return
  const info = await store.describeCollection()
  let problem: string | null = null
  let code: 'COLLECTION_LOST' | 'DATA_LOSS' = 'COLLECTION_LOST'
  if (!info) problem = `collection ${opts.collection} is missing from the ${store.name} store`
  else if (info.marker !== known.marker) problem = `collection ${opts.collection} in the ${store.name} store is not the one this checkpoint was written against (it was deleted and created again)`
  else {
    const ids = checkpoints.recentStoredIds(SAMPLED_BATCHES)
    const found = ids.length > 0 ? await store.existing(ids) : new Set<string>()
    const missing = ids.filter((id) => !found.has(id)).length
    if (missing > 0) {
      code = 'DATA_LOSS'
      problem = `the ${store.name} store lacks ${missing} of the ${ids.length} points the job's last batches stored (sampled): it lost writes it had acknowledged (a damaged or replaced file?)`
    }
  }
  if (problem === null) return
  const what = `${problem}; the checkpoint acknowledged ${known.acknowledged} points stored there`
  if (opts.onDataLoss === 'fail') {
    throw new LogstreamError(code, `${what}. Nothing was changed. To store the source again: logstream run --rebuild (it reads the source from its start; stored points are skipped, not embedded again). To go on without them: --on-data-loss warn.`)
  }
  opts.metrics.dataLoss.labels('store').inc()
  opts.logger.error({ collection: opts.collection, acknowledged: known.acknowledged }, `${what}; going on (--on-data-loss warn): run with --rebuild to store the source again`)
}
