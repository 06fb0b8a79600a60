/**
 * `--embedding-text masked`: an embedding service is sent each line's shape
 * (its message with the variables masked, as the built-in embedder embeds it)
 * instead of the message, and each shape once. Lines a logging statement wrote
 * then share one vector whatever ids they carry, so a similarity search finds
 * lines of a kind, not lines that happen to share a block id; and a batch of
 * HDFS lines asks the service for a few dozen texts instead of a thousand.
 *
 * Shapes answered recently are answered again from memory (at most
 * `REMEMBERED_SHAPES`, least recently used out first): a service gives a text
 * the same vector each time, and the job asks the same few hundred shapes all
 * day. A vector that fails the embed step's check is not remembered, so the
 * step's retries reach the service again.
 */
import type { Embedder } from '../../operators/contracts.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { EmbeddingShapeError } from '../../core/errors.ts'
import { vectorProblem } from '../../operators/embed.ts'
import { rememberShapeOf } from '../../operators/mask.ts'

/** Shapes remembered with their vectors: the vectors take about 6 MB at 384 dimensions, the shapes (at most 1,024 characters) beside them. */
export const REMEMBERED_SHAPES = 4096
/** Longer shapes are asked each time (a line no mask tames is rarely seen twice, and would hold memory for nothing). */
const REMEMBERED_SHAPE_CHARS = 1024

export interface MaskingEmbedderOptions {
  /** Shapes remembered at most (default `REMEMBERED_SHAPES`); 0 remembers none. */
  readonly remembered?: number
  readonly metrics?: PipelineMetrics | undefined
}

/**
 * @example
 * const embedder = createMaskingEmbedder(createHttpEmbedder(opts))
 * await embedder.embed(['Receiving block blk_1 src: /10.0.0.1:5000', 'Receiving block blk_2 src: /10.0.0.2:5000'])  // one text asked
 */
export function createMaskingEmbedder(inner: Embedder, opts: MaskingEmbedderOptions = {}): Embedder {
  const capacity = opts.remembered ?? REMEMBERED_SHAPES
  // A Map keeps insertion order: the first key is the least recently used.
  const recent = new Map<string, Float32Array>()
  const recall = (shape: string): Float32Array | undefined => {
    const v = recent.get(shape)
    if (v !== undefined) {
      recent.delete(shape)
      recent.set(shape, v)
    }
    return v
  }
  const remember = (shape: string, v: Float32Array) => {
    if (capacity === 0 || shape.length > REMEMBERED_SHAPE_CHARS || vectorProblem(v, inner.dim) !== null) return
    recent.delete(shape)
    recent.set(shape, v)
    if (recent.size > capacity) recent.delete(recent.keys().next().value!)
  }
  return {
    name: `${inner.name}, masked text`,
    dim: inner.dim,
    async embed(texts, callOpts) {
      const shapes = texts.map(rememberShapeOf)
      // Each shape once: from memory, else asked (the memory is looked up a shape, not a line).
      const vectorOf = new Map<string, Float32Array | undefined>()
      const asked: string[] = []
      for (const shape of shapes) {
        if (vectorOf.has(shape)) continue
        const v = recall(shape)
        vectorOf.set(shape, v)
        if (v === undefined) asked.push(shape)
      }
      if (asked.length > 0) {
        const answers = await inner.embed(asked, callOpts)
        // A wrong count cannot be pinned on a shape, so it cannot be handed out to lines either.
        if (answers.length !== asked.length) throw new EmbeddingShapeError(`embedder returned ${answers.length} vectors for ${asked.length} texts`)
        asked.forEach((shape, k) => {
          vectorOf.set(shape, answers[k])
          remember(shape, answers[k]!)
        })
      }
      opts.metrics?.embeddingTextsShared.inc(texts.length - asked.length)
      return shapes.map((shape) => vectorOf.get(shape)!)
    },
    ...(inner.close ? { close: () => inner.close!() } : {}),
  }
}
