/**
 * Embed: asks the embedder for the vectors of each batch's fresh entries, and
 * only those, keeping batch order. An answer that is not one finite vector of
 * `dim` numbers per text fails the batch: nothing malformed is ever stored.
 */
import { concatMap, type OperatorFunction } from 'rxjs'
import type { DedupedBatch, EmbeddedBatch, Embedder, StepContext } from './contracts.ts'
import { EmbeddingShapeError } from '../core/errors.ts'

/** Throws unless `vectors` holds one finite vector of `dim` numbers per text. */
export function checkVectors(vectors: readonly ArrayLike<number>[], texts: number, dim: number): void {
  if (vectors.length !== texts) throw new EmbeddingShapeError(`embedder returned ${vectors.length} vectors for ${texts} texts`)
  for (let i = 0; i < vectors.length; i++) {
    const v = vectors[i]!
    if (v.length !== dim) throw new EmbeddingShapeError(`embedder returned a vector of ${v.length} numbers at ${i}, expected ${dim}`)
    for (let j = 0; j < v.length; j++) {
      if (!Number.isFinite(v[j])) throw new EmbeddingShapeError(`embedder returned a non-finite number at vector ${i}, position ${j}`)
    }
  }
}

/**
 * @example
 * deduped$.pipe(embed(ctx, { embedder }))
 */
export function embed(ctx: StepContext, opts: { embedder: Embedder }): OperatorFunction<DedupedBatch, EmbeddedBatch> {
  const log = ctx.logger.child({ step: ctx.step })
  return concatMap(async (batch) => {
    const started = performance.now()
    let vectors: Float32Array[] = []
    if (batch.fresh.length > 0) {
      vectors = await opts.embedder.embed(
        batch.fresh.map((e) => e.entry.text),
        { signal: ctx.signal },
      )
      checkVectors(vectors, batch.fresh.length, opts.embedder.dim)
    }
    const seconds = (performance.now() - started) / 1000
    ctx.metrics.embeddingsGenerated.inc(vectors.length)
    ctx.metrics.stageDuration.labels(ctx.step).observe(seconds)
    log.debug({ batch: batch.id, n: vectors.length }, 'embedded')
    return { ...batch, stageTimings: { ...batch.stageTimings, embed: seconds }, vectors }
  })
}
