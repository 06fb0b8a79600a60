/**
 * `--embedding-text masked`: an embedding service is sent each line's shape
 * (its message with the variables masked, as the built-in embedder embeds it)
 * instead of the message, and each shape once. Lines a logging statement wrote
 * then share one vector whatever ids they carry, so a similarity search finds
 * lines of a kind, not lines that happen to share a block id; and a batch of
 * HDFS lines asks the service for a few dozen texts instead of a thousand.
 *
 * Shapes answered recently are answered again from memory (`shape-vectors.ts`):
 * a service gives a text the same vector each time. A vector that fails the
 * embed step's check is not remembered, so the step's retries reach the
 * service again.
 */
import type { Embedder } from '../../operators/contracts.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { EmbeddingShapeError } from '../../core/errors.ts'
import { vectorProblem } from '../../operators/embed.ts'
import { rememberShapeOf } from '../../operators/mask.ts'
import { REMEMBERED_SHAPES, createShapeVectors } from './shape-vectors.ts'

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
  const memory = createShapeVectors(opts.remembered ?? REMEMBERED_SHAPES, (v) => vectorProblem(v, inner.dim) === null)
  return {
    name: `${inner.name}, masked text`,
    dim: inner.dim,
    vectorPerShape: true,
    async embed(texts, callOpts) {
      const { vectors, asked } = await memory.vectorsOf(texts.map(rememberShapeOf), async (shapes) => {
        const answers = await inner.embed(shapes, callOpts)
        // A wrong count cannot be pinned on a shape, so it cannot be handed out to lines either.
        if (answers.length !== shapes.length) throw new EmbeddingShapeError(`embedder returned ${answers.length} vectors for ${shapes.length} texts`)
        // One object a shape (`vectorPerShape`), even from a service that hands the same one back for two shapes.
        const seen = new Set<Float32Array>()
        return answers.map((v) => (seen.has(v) ? Float32Array.from(v) : (seen.add(v), v)))
      })
      opts.metrics?.embeddingTextsShared.inc(texts.length - asked)
      return vectors
    },
    ...(inner.close ? { close: () => inner.close!() } : {}),
  }
}
