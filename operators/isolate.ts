/**
 * Poison-pill isolation for a stage that sends a batch of items to a service
 * (the embedder, the vector store) and cannot always tell which item is at
 * fault when the service refuses the batch.
 *
 * A refusal is retried a few times with backoff (a service can answer badly
 * once); if it persists, the batch is split in halves, and halves again, until
 * the items the service refuses are found. They are given back as failures
 * (the caller dead-letters them) and the rest goes on. But when nothing of the
 * batch gets through and the service also refuses an ordinary probe, the fault
 * is the service's, not the records': nothing is dead-lettered, the batch
 * waits and starts over, for as long as it takes, as for an outage.
 *
 * Errors the caller marks fatal (a lost collection, a full disk) and aborts are
 * thrown at once. Transient faults (connection refused, 5xx, 429) never reach
 * here: the adapters wait those out themselves.
 */

/** Codes of errors no retry or split can help: the job stops and says why. */
const FATAL_CODES = new Set(['ABORTED', 'COLLECTION_LOST', 'COLLECTION_MISMATCH', 'STORAGE_FULL', 'STORAGE_FAILED', 'CHECKPOINT_CORRUPT', 'CHECKPOINT_MISMATCH'])

export function isFatal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && FATAL_CODES.has(code)
}

/** What happened to one item: its result, or the error that refused it. */
export type ItemOutcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown }

/** Events for logs and metrics. */
export type IsolationEvent =
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number; readonly error: unknown; readonly items: number }
  | { readonly kind: 'split'; readonly items: number; readonly error: unknown }
  | { readonly kind: 'isolated'; readonly failed: number; readonly items: number }
  | { readonly kind: 'systemic'; readonly round: number; readonly delayMs: number; readonly error: unknown; readonly items: number }

export interface IsolationOptions {
  /** Attempts of the whole batch before it is split (the first included). */
  readonly attempts: number
  /** Backoff before attempt `n + 1` of the whole batch, and before round `n + 1` after a systemic failure. */
  readonly delayMs: (n: number) => number
  /** Resolves true when the service works for ordinary input. */
  readonly probe: () => Promise<boolean>
  /** Errors that must stop the job rather than be pinned on records. */
  readonly isFatal: (err: unknown) => boolean
  readonly signal: AbortSignal
  readonly onEvent?: ((event: IsolationEvent) => void) | undefined
}

/**
 * Runs `work` over `items`; `work` resolves one outcome per item, in order, or
 * throws when the service refused the call as a whole.
 *
 * @example
 * const outcomes = await runIsolated(entries, (some) => embedEach(some), { attempts: 3, delayMs, probe, isFatal, signal })
 */
export async function runIsolated<T, R>(
  items: readonly T[],
  work: (items: readonly T[]) => Promise<ReadonlyArray<ItemOutcome<R>>>,
  opts: IsolationOptions,
): Promise<Array<ItemOutcome<R>>> {
  if (items.length === 0) return []
  const call = async (some: readonly T[]): Promise<Array<ItemOutcome<R>>> => {
    const out = [...(await work(some))]
    if (out.length !== some.length) throw new RangeError(`work answered ${out.length} outcomes for ${some.length} items`)
    return out
  }
  const guard = (err: unknown) => {
    if (opts.signal.aborted || opts.isFatal(err)) throw err
  }

  /** Tries a slice once; a refused slice is halved until single items are refused. */
  const bisect = async (some: readonly T[]): Promise<Array<ItemOutcome<R>>> => {
    try {
      return await call(some)
    } catch (err) {
      guard(err)
      if (some.length === 1) return [{ ok: false, error: err }]
      const mid = Math.ceil(some.length / 2)
      return [...(await bisect(some.slice(0, mid))), ...(await bisect(some.slice(mid)))]
    }
  }

  for (let round = 1; ; round++) {
    let outcomes: Array<ItemOutcome<R>> | null = null
    let lastError: unknown
    for (let attempt = 1; attempt <= opts.attempts; attempt++) {
      try {
        outcomes = await call(items)
        break
      } catch (err) {
        guard(err)
        lastError = err
        if (attempt < opts.attempts) {
          const delayMs = opts.delayMs(attempt)
          opts.onEvent?.({ kind: 'retry', attempt, delayMs, error: err, items: items.length })
          await sleep(delayMs, opts.signal)
        }
      }
    }
    if (outcomes === null) {
      // Halving a batch the service refuses as a whole costs two calls an item: first ask whether it works at all.
      if (!(await opts.probe())) {
        const delayMs = opts.delayMs(round)
        opts.onEvent?.({ kind: 'systemic', round, delayMs, error: lastError, items: items.length })
        await sleep(delayMs, opts.signal)
        continue
      }
      opts.onEvent?.({ kind: 'split', items: items.length, error: lastError })
      const mid = Math.ceil(items.length / 2)
      outcomes = items.length === 1 ? [{ ok: false, error: lastError }] : [...(await bisect(items.slice(0, mid))), ...(await bisect(items.slice(mid)))]
    }
    // Items refused one by one get one more try of their own: a refusal may have been a passing fault.
    const refused = outcomes.flatMap((o, i) => (o.ok ? [] : [i]))
    if (refused.length === 0) return outcomes
    const again = await call(refused.map((i) => items[i]!)).catch((err: unknown) => {
      guard(err)
      return refused.map((): ItemOutcome<R> => ({ ok: false, error: err }))
    })
    refused.forEach((i, j) => (outcomes![i] = again[j]!))
    const failed = outcomes.filter((o) => !o.ok)
    if (failed.length === 0) return outcomes
    if (failed.length < items.length || (await opts.probe())) {
      opts.onEvent?.({ kind: 'isolated', failed: failed.length, items: items.length })
      return outcomes
    }
    const delayMs = opts.delayMs(round)
    opts.onEvent?.({ kind: 'systemic', round, delayMs, error: (failed[0] as { error: unknown }).error, items: items.length })
    await sleep(delayMs, opts.signal)
  }
}

/** Backoff with full jitter: `initial · 2^(n−1)`, capped, times a random share in [0.5, 1). */
export function backoff(initialMs: number, maxMs: number, random: () => number = Math.random): (n: number) => number {
  return (n) => Math.round(Math.min(maxMs, initialMs * 2 ** (n - 1)) * (0.5 + random() / 2))
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason ?? new Error('aborted'))
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason ?? new Error('aborted'))
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
