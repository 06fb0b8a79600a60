/**
 * How far the sink has got: the sequence number of the last batch it stored.
 * The score stage waits on it before asking the store about a batch, so each
 * batch is scored against every batch before it, whatever a sink that
 * answers late (Qdrant over HTTP) still has in flight.
 */
export class StoredMark {
  #seq = -Infinity
  readonly #waiters: Array<{ seq: number; resolve: () => void }> = []

  /** Batches up to `seq` are stored (the sink stores them in order). */
  mark(seq: number): void {
    if (seq <= this.#seq) return
    this.#seq = seq
    for (const w of [...this.#waiters]) {
      if (w.seq > seq) continue
      this.#waiters.splice(this.#waiters.indexOf(w), 1)
      w.resolve()
    }
  }

  /** Resolves once batch `seq` is stored; rejects when `signal` aborts first. */
  until(seq: number, signal?: AbortSignal): Promise<void> {
    if (seq <= this.#seq) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter = { seq, resolve: () => (signal?.removeEventListener('abort', onAbort), resolve()) }
      const onAbort = () => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        reject(signal!.reason ?? new Error('aborted'))
      }
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }
}
