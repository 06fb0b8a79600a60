/**
 * Credit-based backpressure between the source and the end of the pipeline.
 *
 * A source calls `admit(n)` for the records it emits and waits on `whenOpen()`
 * before reading more; the commit step calls `release(n)` once those records are
 * checkpointed. So the records held anywhere in the pipeline never exceed
 * `limit` (plus one source chunk), however large the backlog.
 */
export class FlowControl {
  #inFlight = 0
  #waiters: Array<() => void> = []
  #listeners = new Set<(open: boolean) => void>()

  /**
   * @param limit records allowed in flight before the source must wait
   */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`flow limit must be a positive integer, got ${limit}`)
  }

  get inFlight(): number {
    return this.#inFlight
  }

  get isOpen(): boolean {
    return this.#inFlight < this.limit
  }

  /** Counts records a source has just emitted. */
  admit(n: number): void {
    const wasOpen = this.isOpen
    this.#inFlight += n
    if (wasOpen && !this.isOpen) this.#notify(false)
  }

  /** Frees the credit of records that left the pipeline (committed or abandoned). */
  release(n: number): void {
    const wasOpen = this.isOpen
    this.#inFlight = Math.max(0, this.#inFlight - n)
    if (!wasOpen && this.isOpen) {
      this.#notify(true)
      const waiters = this.#waiters
      this.#waiters = []
      for (const wake of waiters) wake()
    }
  }

  /** Resolves as soon as the source may emit more. */
  whenOpen(): Promise<void> {
    if (this.isOpen) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Calls `listener(false)` when the pipeline fills and `listener(true)` when it drains; returns an unsubscribe. */
  onChange(listener: (open: boolean) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #notify(open: boolean): void {
    for (const listener of this.#listeners) listener(open)
  }
}
