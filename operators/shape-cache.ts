/**
 * What the store holds near each recent shape, kept up to date from the lines
 * the job stores, so a shape seen recently is not asked of the store again.
 *
 * An entry is a shape's vector with the similarities of its nearest stored
 * lines (at most `RARITY_NEIGHBOURS`, nearest first), as one neighbour query
 * answered them. Every batch the score stage scores is then merged into every
 * entry (each of its lines at its similarity to the entry's shape), so an
 * entry is what a query would answer once the batch is stored, without the
 * query. A shape with `RARITY_NEIGHBOURS` stored lines near-identical to it
 * scores 0 whatever comes after (the entry is *saturated* and needs no more
 * merging). What the entries cannot see is points leaving the store
 * (retention, a cleanup) and points other jobs write to a shared collection:
 * an entry is trusted for `ttlMs` after its query, then asked again.
 *
 * Bounded: `capacity` entries in all, least recently used first out, of which
 * at most `mergedMax` unsaturated ones (merging costs one comparison per entry
 * and shape of each batch).
 */
import { RARITY_NEIGHBOURS, RARITY_RADII, RARITY_TOP_RADIUS } from './rarity.ts'

/** How long an entry is trusted after the query that made it. */
export const SHAPE_CACHE_TTL_MS = 10 * 60 * 1000
/** Unsaturated entries kept up to date at most. */
export const MERGED_MAX = 200

interface Entry {
  readonly vector: ArrayLike<number>
  readonly norm: number
  /** Nearest first, at most RARITY_NEIGHBOURS; 'zero' once saturated. */
  sims: number[] | 'zero'
  readonly at: number
}

/** One shape of a scored batch: its vector and how many of its lines the batch stores. */
export interface BatchShape {
  readonly shape: string
  readonly vector: ArrayLike<number>
  readonly count: number
}

const norm = (v: ArrayLike<number>) => {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  return Math.sqrt(s)
}

/** True when the nearest `RARITY_NEIGHBOURS` similarities are all at the top radius: the score is 0 for good. */
export function saturated(sims: readonly number[]): boolean {
  return sims.length >= RARITY_NEIGHBOURS && sims[RARITY_NEIGHBOURS - 1]! >= RARITY_TOP_RADIUS
}

export class ShapeCache {
  /** Map order is recency of use. */
  readonly #entries = new Map<string, Entry>()
  #merged = 0

  constructor(
    readonly capacity: number,
    readonly ttlMs = SHAPE_CACHE_TTL_MS,
    readonly mergedMax = MERGED_MAX,
  ) {}

  /** The stored neighbours' similarities of a shape (nearest first), 'zero' when it scores 0, or undefined when the store must be asked. */
  get(shape: string, now: number): readonly number[] | 'zero' | undefined {
    const e = this.#entries.get(shape)
    if (!e) return undefined
    this.#drop(shape, e)
    if (now - e.at >= this.ttlMs) return undefined
    this.#entries.set(shape, e)
    if (e.sims !== 'zero') this.#merged++
    return e.sims
  }

  /** Remembers what a query answered for a shape (before the batch that asked is merged). */
  put(shape: string, vector: ArrayLike<number>, sims: readonly number[], now: number): void {
    if (this.capacity <= 0) return
    const old = this.#entries.get(shape)
    if (old) this.#drop(shape, old)
    // A copy of its own: an embedder's vector may be a view of its whole answer's buffer (`vectorsFromBase64`), which a
    // cached view would keep alive for as long as the entry lives.
    const e: Entry = { vector: Float32Array.from(vector), norm: norm(vector), sims: saturated(sims) ? 'zero' : sims.slice(0, RARITY_NEIGHBOURS), at: now }
    this.#entries.set(shape, e)
    if (e.sims !== 'zero') this.#merged++
    this.#bound()
  }

  /** Merges a scored batch into every unsaturated entry: its lines will be stored, and history to the batches after it. */
  merge(batch: readonly BatchShape[]): void {
    if (batch.length === 0) return
    const norms = batch.map((b) => norm(b.vector))
    for (const [shape, e] of this.#entries) {
      if (e.sims === 'zero') continue
      const added: number[] = []
      batch.forEach((b, j) => {
        const sim = b.shape === shape ? 1 : cosine(e.vector, b.vector, e.norm, norms[j]!)
        if (sim < RARITY_RADII.from) return
        for (let k = 0; k < Math.min(b.count, RARITY_NEIGHBOURS); k++) added.push(sim)
      })
      if (added.length === 0) continue
      const sims = [...e.sims, ...added].sort((x, y) => y - x).slice(0, RARITY_NEIGHBOURS)
      if (saturated(sims)) {
        e.sims = 'zero'
        this.#merged--
      } else e.sims = sims
    }
  }

  get size(): number {
    return this.#entries.size
  }

  #drop(shape: string, e: Entry): void {
    this.#entries.delete(shape)
    if (e.sims !== 'zero') this.#merged--
  }

  #bound(): void {
    for (const [shape, e] of this.#entries) {
      if (this.#entries.size <= this.capacity && this.#merged <= this.mergedMax) return
      if (this.#entries.size > this.capacity || e.sims !== 'zero') this.#drop(shape, e)
    }
  }
}

function cosine(a: ArrayLike<number>, b: ArrayLike<number>, na: number, nb: number): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return na === 0 || nb === 0 ? 0 : s / (na * nb)
}
