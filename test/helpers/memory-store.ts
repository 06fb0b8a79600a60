/**
 * An in-memory `VectorStore` for operator tests: counts its calls, so tests can
 * assert that replays ask for nothing, and can be told to fail.
 */
import { cosine } from './cosine.ts'
import type { CollectionInfo, Point, ScoredPoint, SearchFilter, VectorStore } from '../../operators/contracts.ts'

export interface MemoryStore extends VectorStore {
  readonly points: Map<string, Point>
  readonly calls: { existing: number; upsert: number; idsLookedUp: number; pointsUpserted: number; searchMany: number; vectorsSearched: number }
  /** The next `n` upserts throw a retryable error. */
  failUpserts(n: number): void
}

function matches(p: Point, f?: SearchFilter): boolean {
  if (!f) return true
  const q = p.payload
  return (
    (f.logLevel === undefined || q.log_level === f.logLevel) &&
    (f.nodeType === undefined || q.node_type === f.nodeType) &&
    (f.source === undefined || q.source === f.source) &&
    (f.since === undefined || q.timestamp >= f.since) &&
    (f.until === undefined || q.timestamp <= f.until)
  )
}

export function createMemoryStore(opts: { dim: number; name?: string }): MemoryStore {
  const points = new Map<string, Point>()
  const calls = { existing: 0, upsert: 0, idsLookedUp: 0, pointsUpserted: 0, searchMany: 0, vectorsSearched: 0 }
  let failing = 0
  const scored = (p: Point, score: number, withVector?: boolean): ScoredPoint => ({
    id: p.id,
    score,
    payload: p.payload,
    vector: withVector ? Array.from(p.vector) : undefined,
  })
  return {
    name: 'memory',
    points,
    calls,
    failUpserts(n) {
      failing = n
    },
    async ensureCollection(): Promise<CollectionInfo> {
      return { name: opts.name ?? 'memory', dim: opts.dim, distance: 'Cosine', points: points.size, marker: 'memory' }
    },
    async describeCollection(): Promise<CollectionInfo> {
      return { name: opts.name ?? 'memory', dim: opts.dim, distance: 'Cosine', points: points.size, marker: 'memory' }
    },
    async existing(ids) {
      calls.existing++
      calls.idsLookedUp += ids.length
      return new Set(ids.filter((id) => points.has(id)))
    },
    async upsert(batch) {
      if (failing > 0) {
        failing--
        throw Object.assign(new Error('store unavailable'), { code: 'STORE_UNAVAILABLE', retryable: true })
      }
      calls.upsert++
      calls.pointsUpserted += batch.length
      for (const p of batch) points.set(p.id, p)
    },
    async count(filter) {
      return [...points.values()].filter((p) => matches(p, filter)).length
    },
    async get(ids, o) {
      return ids.flatMap((id) => {
        const p = points.get(id)
        return p ? [scored(p, 1, o?.withVector)] : []
      })
    },
    async search(vector, o) {
      return [...points.values()]
        .filter((p) => matches(p, o.filter))
        .map((p) => scored(p, cosine(vector, p.vector), o.withVector))
        .sort((a, b) => b.score - a.score)
        .slice(0, o.k)
    },
    async searchMany(vectors, o) {
      calls.searchMany++
      calls.vectorsSearched += vectors.length
      return vectors.map((v) =>
        [...points.values()]
          .filter((p) => matches(p, o.filter))
          .map((p) => ({ id: p.id, score: cosine(v, p.vector) }))
          .sort((a, b) => b.score - a.score)
          .slice(0, o.k),
      )
    },
    async scroll(o) {
      const sorted = [...points.values()].filter((p) => matches(p, o.filter)).sort((a, b) => (a.id < b.id ? -1 : 1))
      const start = o.after === undefined ? 0 : sorted.findIndex((p) => p.id > o.after!)
      const page = start === -1 ? [] : sorted.slice(start, start + o.limit)
      const next = start !== -1 && start + o.limit < sorted.length ? page.at(-1)!.id : null
      return { points: page.map((p) => scored(p, 1, o.withVector)), next }
    },
    async close() {},
  }
}
