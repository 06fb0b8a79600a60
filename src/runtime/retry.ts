/**
 * The one retry helper every dependency uses: exponential backoff with full
 * jitter, an explicit delay when the dependency asks for one (Retry-After),
 * and never a retry of a programming error or of an error that says retrying
 * cannot help.
 */
import { AbortedError } from '../../core/errors.ts'

export interface RetryOptions {
  /** First delay before jitter, ms. */
  readonly initialDelayMs?: number
  /** Largest delay before jitter, ms. */
  readonly maxDelayMs?: number
  /** Attempts in all, the first included; `Infinity` retries until `signal` aborts or `maxElapsedMs` passes. */
  readonly maxAttempts?: number
  readonly maxElapsedMs?: number
  readonly signal?: AbortSignal | undefined
  /** Told of each retry, for logs and `logstream_dependency_retries_total`. */
  readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void
  /** Random source in [0, 1), for tests. */
  readonly random?: () => number
}

/** An error may carry `retryAfterMs`: the dependency's own word on when to come back. */
export interface RetryHint {
  readonly retryAfterMs?: number
}

/** Programming errors are never retried, whatever they say. */
export function isProgrammingError(err: unknown): boolean {
  return err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError || err instanceof ReferenceError
}

export function shouldRetry(err: unknown): boolean {
  if (isProgrammingError(err)) return false
  const retryable = (err as { retryable?: unknown } | null)?.retryable
  return retryable === true
}

export function backoffDelay(attempt: number, opts: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'random'> = {}): number {
  const base = Math.min(opts.maxDelayMs ?? 30_000, (opts.initialDelayMs ?? 200) * 2 ** (attempt - 1))
  return Math.round(base * (opts.random ?? Math.random)())
}


function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError(signal.reason))
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(new AbortedError(signal?.reason))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * Calls `fn` until it succeeds, or fails with an error not worth retrying, or
 * the attempts or time run out (then the last error is thrown).
 *
 * @example
 * await retry(() => client.upsert(points), { maxAttempts: Infinity, signal, onRetry: () => metrics.dependencyRetries.labels('qdrant').inc() })
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const started = Date.now()
  const maxAttempts = opts.maxAttempts ?? 5
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new AbortedError(opts.signal.reason)
    try {
      return await fn(attempt)
    } catch (err) {
      if (!shouldRetry(err) || attempt >= maxAttempts) throw err
      const hinted = (err as RetryHint).retryAfterMs
      const delay = hinted !== undefined && hinted >= 0 ? hinted : backoffDelay(attempt, opts)
      if (opts.maxElapsedMs !== undefined && Date.now() - started + delay > opts.maxElapsedMs) throw err
      opts.onRetry?.(err, attempt, delay)
      await sleep(delay, opts.signal)
    }
  }
}
