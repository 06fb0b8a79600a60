/**
 * Anomaly scores on request against the stored history: how rare a line is.
 *
 * The score is the rarity score of `operators/rarity.ts` (an estimate, on a
 * log scale, of how many stored lines are like the line, from the cosine
 * similarities of its 100 nearest stored lines): the same function the score
 * stage applies to every new line at ingest, so the two agree for the same
 * history. Here each line is one neighbour query of the store.
 */
import type { Embedder, LogEntry, ScoredPoint, SearchFilter, VectorStore } from '../../operators/contracts.ts'
import { RARITY_NEIGHBOURS, rarityScore } from '../../operators/rarity.ts'

// The score is defined once, beside the stage that applies it at ingest.
export { RARITY_NEIGHBOURS, RARITY_RADII, rarityScore } from '../../operators/rarity.ts'

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
