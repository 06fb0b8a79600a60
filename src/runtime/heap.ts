/**
 * How far V8 lets the heap grow past what a full collection left alive.
 *
 * A job holds little for long (5,000 records in flight, the recent-id cache)
 * but every record lives through several young-generation collections on its
 * way to the commit, so it is promoted, and dies in the old generation. V8
 * grows the old generation up to 4× its live size when collecting is cheap,
 * which it is here: draining a 1,000,000-message backlog, 45 MB alive became
 * a 230 MB heap and 350–360 MB of RSS. Held to 3× (200%), the same backlog
 * peaks at 251–255 MB against 225–230 MB at 2× and 281 MB at V8's own, and
 * the embedded replay and the production first load spend 5–10% less CPU a
 * message than at 2× (fewer full collections; BENCHMARKS.md, Round 20).
 */
import { setFlagsFromString } from 'node:v8'

/**
 * Sets V8's heap growing factor for this process (`heapGrowingPercent` of the
 * configuration); 0 leaves V8's own. V8 reads it at every full collection, so
 * it takes effect from the next one. Returns whether it set it.
 *
 * @example
 * limitHeapGrowth(config.heapGrowingPercent)  // at the start of a job
 */
export function limitHeapGrowth(percent: number): boolean {
  if (percent === 0) return false
  setFlagsFromString(`--heap-growing-percent=${percent}`)
  return true
}

/**
 * Clears `--max-semi-space-size` before a worker thread starts. The image sets it for the main thread, whose heap was
 * sized when the process started; but V8's flag overrides a worker's own `resourceLimits`, so the embedded store's
 * threads each got the main thread's 16 MB semi-spaces instead of their 4 MB young generation: 274-276 against 242-251
 * MB of RSS draining a 1,000,000-message backlog on Node 20, 293 against 268 on Node 24 (BENCHMARKS.md, Round 23).
 */
export function leaveYoungGenerationToThreads(): void {
  setFlagsFromString('--max-semi-space-size=0')
}
