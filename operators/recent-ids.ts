/**
 * A bounded set of recently stored (or claimed by an in-flight batch) point ids,
 * so a replay or a burst of duplicates costs no store look-up and no embedding.
 * Oldest ids fall out first once `capacity` is reached.
 */
export class RecentIds {
  readonly #ids = new Set<string>()

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`)
  }

  get size(): number {
    return this.#ids.size
  }

  has(id: string): boolean {
    return this.#ids.has(id)
  }

  add(id: string): void {
    if (this.capacity === 0) return
    // Re-inserting moves an id to the young end, so hot ids stay.
    this.#ids.delete(id)
    this.#ids.add(id)
    if (this.#ids.size > this.capacity) {
      const oldest = this.#ids.values().next().value
      if (oldest !== undefined) this.#ids.delete(oldest)
    }
  }

  /** Forgets an id (its entry was claimed and then not stored). */
  delete(id: string): void {
    this.#ids.delete(id)
  }

  clear(): void {
    this.#ids.clear()
  }
}
