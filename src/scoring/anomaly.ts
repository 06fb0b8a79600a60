/**
 * Anomaly scores against the stored history.
 *
 * The score of a line is 1 − the mean cosine similarity of its vector to its k
 * nearest stored neighbours (the entry itself, if stored, excluded): near 0
 * when the history holds many lines like it, near 1 when it holds nothing
 * alike. A line is flagged when its score reaches the threshold. Because the
 * built-in embedder folds numbers, lines of one template are near-identical,
 * so a line scores high exactly when its template has fewer than about k
 * occurrences in the history.
 */
import type { Embedder, LogEntry, ScoredPoint, SearchFilter, VectorStore } from '../../operators/contracts.ts'
import { pointId } from '../../operators/point-id.ts'

export interface ScoreOptions {
  /** Neighbours the score averages over. */
  readonly k: number
  /** Scores at or above it are anomalous. */
  readonly threshold: number
  readonly filter?: SearchFilter
  /** Neighbours returned with each score. */
  readonly neighbours?: number
}

export interface LineScore {
  readonly id: string
  readonly text: string
  readonly score: number
  readonly anomalous: boolean
  readonly neighbours: ReadonlyArray<{ id: string; similarity: number; text: string; log_level: string; timestamp: string }>
}

/** Mean similarity of the nearest neighbours, the entry itself excluded, as an anomaly score. */
export function anomalyScore(neighbours: readonly ScoredPoint[], selfId: string, k: number): number {
  const others = neighbours.filter((n) => n.id !== selfId).slice(0, k)
  if (others.length === 0) return 1
  const mean = others.reduce((s, n) => s + n.score, 0) / others.length
  return Math.min(1, Math.max(0, 1 - mean))
}

/** Scores entries against the store, in order. */
export async function scoreEntries(entries: readonly LogEntry[], deps: { store: VectorStore; embedder: Embedder }, opts: ScoreOptions): Promise<LineScore[]> {
  const vectors = await deps.embedder.embed(entries.map((e) => e.text))
  return Promise.all(
    entries.map(async (e, i) => {
      const id = pointId(e.text, e.timestamp)
      const hits = await deps.store.search(vectors[i]!, { k: opts.k + 1, filter: opts.filter })
      const score = anomalyScore(hits, id, opts.k)
      return {
        id,
        text: e.text,
        score,
        anomalous: score >= opts.threshold,
        neighbours: hits
          .filter((h) => h.id !== id)
          .slice(0, opts.neighbours ?? 5)
          .map((h) => ({ id: h.id, similarity: h.score, text: h.payload.text, log_level: h.payload.log_level, timestamp: h.payload.timestamp })),
      }
    }),
  )
}
