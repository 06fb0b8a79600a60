/**
 * New patterns as the vector store holds them: the stored lines that scored at
 * or above the threshold at ingest, grouped by shape. Unlike a job's
 * checkpoint, the store is shared by every job (partition group) writing to
 * the collection, so this is the listing across all of them; it knows no
 * announcements or quiet periods, only the anomalous lines themselves.
 */
import type { VectorStore } from '../../operators/contracts.ts'
import { shapeIdOf } from '../../operators/anomaly-tracker.ts'
import { shapeOf } from '../../operators/mask.ts'

/** One shape's anomalous lines in the store. */
export interface StoredPattern {
  readonly shapeId: string
  readonly shape: string
  /** Ingest time (ms) of its first and last anomalous line. */
  readonly firstSeenAt: number
  readonly lastSeenAt: number
  /** Stored lines of the shape that scored at or above the threshold (later lines score lower as the history fills). */
  readonly lines: number
  /** The first line's score, level, point id, whole line and source position. */
  readonly score: number
  readonly level: string
  readonly pointId: string
  readonly example: string
  readonly sourcePosition: string
}

/** Lines of one batch share an ingest time: then the one read first is first. */
function earlier(a: Pick<StoredPattern, 'firstSeenAt' | 'sourcePosition'>, b: Pick<StoredPattern, 'firstSeenAt' | 'sourcePosition'>): boolean {
  if (a.firstSeenAt !== b.firstSeenAt) return a.firstSeenAt < b.firstSeenAt
  const at = (s: string) => {
    const i = s.lastIndexOf('@')
    return { partition: s.slice(0, i), offset: Number(s.slice(i + 1)) }
  }
  const [x, y] = [at(a.sourcePosition), at(b.sourcePosition)]
  return x.partition === y.partition ? x.offset < y.offset : x.partition < y.partition
}

/** The shapes whose first anomalous line was ingested at or after `sinceMs`, most recent first, at most `limit`. */
export async function storedPatterns(store: VectorStore, opts: { threshold: number; sinceMs?: number | undefined; limit: number }): Promise<StoredPattern[]> {
  const byShape = new Map<string, StoredPattern>()
  let after: string | undefined
  for (;;) {
    const page = await store.scroll({ limit: 1000, after, filter: { minAnomalyScore: opts.threshold } })
    for (const p of page.points) {
      const text = p.payload.text ?? ''
      const shape = shapeOf(text)
      const at = Date.parse(p.payload.ingested_at)
      const line = {
        shapeId: shapeIdOf(shape),
        shape,
        firstSeenAt: at,
        lastSeenAt: at,
        lines: 1,
        score: p.payload.anomaly_score ?? 0,
        level: p.payload.log_level ?? 'unknown',
        pointId: p.id,
        example: p.payload.original_text ?? text,
        sourcePosition: p.payload.source_position,
      }
      const known = byShape.get(shape)
      if (!known) byShape.set(shape, line)
      else if (earlier(line, known)) byShape.set(shape, { ...line, lines: known.lines + 1, lastSeenAt: known.lastSeenAt })
      else byShape.set(shape, { ...known, lines: known.lines + 1, lastSeenAt: Math.max(known.lastSeenAt, at) })
    }
    if (!page.next) break
    after = page.next
  }
  return [...byShape.values()]
    .filter((p) => opts.sinceMs === undefined || p.firstSeenAt >= opts.sinceMs)
    .sort((a, b) => b.firstSeenAt - a.firstSeenAt || a.shape.localeCompare(b.shape))
    .slice(0, opts.limit)
}
