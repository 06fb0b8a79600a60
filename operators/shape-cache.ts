/**
 * Shapes the store already holds plenty of: a masked shape whose neighbour
 * query found `RARITY_NEIGHBOURS` stored lines near-identical to it scores 0,
 * and a history that only grows keeps it at 0, so its lines are not queried
 * again. Only points leaving the store (retention, a cleanup) can make such a
 * score stale, so an entry is trusted for `ttlMs` after the query that found
 * it and then asked again. Bounded: the least recently used shape goes first.
 */

/** How long a shape's score of 0 is trusted before the store is asked again. */
export const SHAPE_CACHE_TTL_MS = 10 * 60 * 1000

export class ShapeCache {
  /** Shape → when the query that found it saturated ran; Map order is recency of use. */
  readonly #found = new Map<string, number>()

  constructor(
    readonly capacity: number,
    readonly ttlMs = SHAPE_CACHE_TTL_MS,
  ) {}

  /** True when the shape is known to score 0 (and was found so less than `ttlMs` ago). */
  has(shape: string, now: number): boolean {
    const at = this.#found.get(shape)
    if (at === undefined) return false
    this.#found.delete(shape)
    if (now - at >= this.ttlMs) return false
    this.#found.set(shape, at)
    return true
  }

  /** Remembers that the store holds enough lines of the shape for it to score 0. */
  add(shape: string, now: number): void {
    if (this.capacity <= 0) return
    this.#found.delete(shape)
    this.#found.set(shape, now)
    if (this.#found.size > this.capacity) this.#found.delete(this.#found.keys().next().value!)
  }

  get size(): number {
    return this.#found.size
  }
}
