/**
 * Anomaly scores against the stored history: how rare a line is.
 *
 * The score estimates how many stored lines are like the line, on a log scale.
 * One neighbour query of a fixed size (`RARITY_NEIGHBOURS`, 100 nearest stored
 * lines, the line itself excluded) gives their cosine similarities; for each
 * of 20 similarity radii evenly spread over [0.7, 1), n_r counts the
 * neighbours at least that similar; then
 *
 *   score = 1 − mean over r of ln(1 + n_r) / ln(1 + 100)
 *
 * 1 when nothing stored is within 0.7 of the line, 0 when at least 100 stored
 * lines are near-identical to it; with n near-identical lines it is about
 * 1 − ln(1 + n) / ln(101): 0.85 for one, 0.61 for five, 0.48 for ten, 0.30 for
 * twenty-five. Averaging over radii instead of fixing one lets lines that
 * differ from their template's others in one word (a user name in a long
 * line) still count, a little, without a second, nearby template counting as
 * much as the line's own. Nothing here depends on a k matched to how rare is
 * rare: the ranking holds for every rarity cut below the query size.
 *
 * The score is a pure function of the neighbours' similarities (`rarityScore`),
 * so it applies equally to a whole batch at ingest, given one batched query.
 */
import type { Embedder, LogEntry, ScoredPoint, SearchFilter, VectorStore } from '../../operators/contracts.ts'

/** Stored neighbours one score looks at. */
export const RARITY_NEIGHBOURS = 100
/** Similarity radii the counts are taken at: `steps` evenly spread over [from, to). */
export const RARITY_RADII = { from: 0.7, to: 1, steps: 20 } as const
/** Similarity at or above which a stored line counts as alike in `LineScore.alike`. */
const ALIKE = 0.9

export interface ScoreOptions {
  /** Scores at or above it are anomalous. */
  readonly threshold: number
  readonly filter?: SearchFilter
  /** Neighbours returned with each score (the score itself always looks at `RARITY_NEIGHBOURS`). */
  readonly neighbours?: number
}

export interface LineScore {
  readonly id: string
  readonly text: string
  readonly score: number
  readonly anomalous: boolean
  /** Stored lines with similarity of at least 0.9 among the 100 nearest: how many lines like it the history holds (100 means 100 or more). */
  readonly alike: number
  readonly neighbours: ReadonlyArray<{ id: string; similarity: number; text: string; log_level: string; timestamp: string }>
}

/**
 * The rarity score of a line from the cosine similarities of its nearest
 * stored neighbours (itself excluded), in any order; only the
 * `RARITY_NEIGHBOURS` highest count.
 *
 * @example
 * rarityScore([])                       // 1: nothing alike
 * rarityScore(Array(100).fill(1))       // 0: at least 100 lines like it
 */
export function rarityScore(similarities: readonly number[]): number {
  const top = [...similarities].sort((a, b) => b - a).slice(0, RARITY_NEIGHBOURS)
  const { from, to, steps } = RARITY_RADII
  let sum = 0
  let n = top.length
  // Radii rise; the count at each is the similarities at or above it, so walk the sorted list down from the end.
  for (let q = 0; q < steps; q++) {
    const radius = from + ((to - from) * q) / steps
    while (n > 0 && top[n - 1]! < radius) n--
    sum += Math.log1p(n)
  }
  return Math.min(1, Math.max(0, 1 - sum / steps / Math.log1p(RARITY_NEIGHBOURS)))
}

/** The score of a line from its neighbour hits: its own id (when stored) is left out. */
export function anomalyScore(neighbours: readonly ScoredPoint[], selfId: string): number {
  return rarityScore(neighbours.filter((n) => n.id !== selfId).map((n) => n.score))
}

/** Scores entries against the store, in order: one neighbour query each. */
export async function scoreEntries(entries: ReadonlyArray<{ readonly id: string; readonly entry: LogEntry }>, deps: { store: VectorStore; embedder: Embedder }, opts: ScoreOptions): Promise<LineScore[]> {
  const vectors = await deps.embedder.embed(entries.map(({ entry }) => entry.text))
  return Promise.all(
    entries.map(async ({ id, entry: e }, i) => {
      const hits = (await deps.store.search(vectors[i]!, { k: RARITY_NEIGHBOURS + 1, filter: opts.filter })).filter((h) => h.id !== id).slice(0, RARITY_NEIGHBOURS)
      const score = rarityScore(hits.map((h) => h.score))
      return {
        id,
        text: e.text,
        score,
        anomalous: score >= opts.threshold,
        alike: hits.filter((h) => h.score >= ALIKE).length,
        neighbours: hits
          .slice(0, opts.neighbours ?? 5)
          .map((h) => ({ id: h.id, similarity: h.score, text: h.payload.text, log_level: h.payload.log_level, timestamp: h.payload.timestamp })),
      }
    }),
  )
}
