/**
 * Vectors of lines' shapes, each shape embedded once: what the built-in
 * embedder and `--embedding-text masked` have in common. A shape's vector does
 * not depend on which line had it, so the lines of one shape in a call share
 * one vector, and shapes seen recently are answered from memory (at most a
 * few thousand, least recently used out first): a job sees the same few
 * hundred shapes all day.
 */

/** Shapes remembered with their vectors: the vectors take about 6 MB at 384 dimensions, the shapes (at most 1,024 characters) beside them. */
export const REMEMBERED_SHAPES = 4096
/** Longer shapes are embedded each time (a line no mask tames is rarely seen twice, and would hold memory for nothing). */
const REMEMBERED_SHAPE_CHARS = 1024

export interface ShapeVectors {
  /**
   * The vector of each shape, in order: from this call's earlier lines, from memory, or from `embed`, which is given
   * each missing shape once, in one call. `asked` counts the shapes given to `embed`.
   */
  vectorsOf(
    shapes: readonly string[],
    embed: (asked: string[]) => readonly Float32Array[] | Promise<readonly Float32Array[]>,
  ): Promise<{ vectors: Float32Array[]; asked: number }>
}

/**
 * @param capacity shapes remembered at most; 0 remembers none (lines of a shape in one call still share a vector).
 * @param keep whether a vector may be remembered (one that failed a check must be asked again).
 *
 * @example
 * const memory = createShapeVectors(REMEMBERED_SHAPES)
 * const { vectors } = await memory.vectorsOf(texts.map(rememberShapeOf), (shapes) => shapes.map(embedShape))
 */
export function createShapeVectors(capacity: number, keep: (v: Float32Array) => boolean = () => true): ShapeVectors {
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
    if (capacity === 0 || shape.length > REMEMBERED_SHAPE_CHARS || !keep(v)) return
    recent.delete(shape)
    recent.set(shape, v)
    if (recent.size > capacity) recent.delete(recent.keys().next().value!)
  }
  return {
    async vectorsOf(shapes, embed) {
      // Each shape once: from memory, else asked (the memory is looked up once a shape, not once a line: a Map's
      // delete and set a line would leave deleted entries behind until it rehashes).
      const vectorOf = new Map<string, Float32Array | undefined>()
      const asked: string[] = []
      for (const shape of shapes) {
        if (vectorOf.has(shape)) continue
        const v = recall(shape)
        vectorOf.set(shape, v)
        if (v === undefined) asked.push(shape)
      }
      if (asked.length > 0) {
        const answers = await embed(asked)
        asked.forEach((shape, k) => {
          vectorOf.set(shape, answers[k])
          if (answers[k] !== undefined) remember(shape, answers[k])
        })
      }
      return { vectors: shapes.map((shape) => vectorOf.get(shape)!), asked: asked.length }
    },
  }
}
