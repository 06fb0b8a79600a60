/**
 * At most `max` tasks running at once, however many callers share the limit.
 * A task waiting for a slot goes before the tasks of a later `order` (callers
 * pass their batch's turn: the oldest batch holds up the commits), then in the
 * order the tasks came.
 */
export class InFlightLimit {
  #running = 0
  readonly #waiting: Array<{ readonly order: number; readonly start: () => void }> = []

  constructor(readonly max: number) {}

  /** Runs `task` once a slot is free; the slot is given back when it settles, whichever way. */
  async run<T>(order: number, task: () => Promise<T>): Promise<T> {
    if (this.#running < this.max) this.#running++
    else {
      await new Promise<void>((start) => {
        let at = this.#waiting.length
        while (at > 0 && this.#waiting[at - 1]!.order > order) at--
        this.#waiting.splice(at, 0, { order, start })
      })
    }
    try {
      return await task()
    } finally {
      // The slot passes to the first task waiting, if any, without being given back in between.
      const next = this.#waiting.shift()
      if (next) next.start()
      else this.#running--
    }
  }
}
