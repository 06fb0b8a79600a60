/**
 * The frame every batch stage shares: one batch at a time (or a few at once,
 * `overlappingStage`), leaving in order; the time
 * the work took goes into the batch's stage timings (for the batch report and
 * `checkpoint show`) and into `logstream_stage_duration_seconds{step}`.
 */
import { concatMap, finalize, map, pipe, type OperatorFunction } from 'rxjs'
import type { Logger } from 'pino'
import type { BatchBase, StageName, StepContext } from './contracts.ts'

/**
 * @example
 * export const embed = (ctx, opts) => stage(ctx, async (batch, log) => ({ ...batch, vectors: await ... }))
 */
export function stage<In extends BatchBase, Out extends BatchBase>(ctx: StepContext, work: (batch: In, log: Logger) => Promise<Out>): OperatorFunction<In, Out> {
  const log = ctx.logger.child({ step: ctx.step })
  return concatMap(async (batch) => {
    const started = performance.now()
    const out = await work(batch, log)
    return timed(ctx, out, (performance.now() - started) / 1000)
  })
}

/** `batch` with the time its step took in its stage timings, observed in `logstream_stage_duration_seconds{step}`. */
export function timed<B extends BatchBase>(ctx: StepContext, batch: B, seconds: number): B {
  ctx.metrics.stageDuration.labels(ctx.step).observe(seconds)
  return { ...batch, stageTimings: { ...batch.stageTimings, [ctx.step as StageName]: seconds } }
}

/**
 * As `stage`, but up to `concurrency` batches are worked on at once: a batch's
 * work starts as it arrives once the batch `concurrency` places before it is
 * done, so one batch's waiting (a store's round trip, its fsync) overlaps with
 * the next one's work. Batches still leave in the order they came; a
 * batch whose work failed fails the ones that waited for it, and once the
 * stage is unsubscribed no waiting batch starts.
 *
 * @example
 * export const sink = (ctx, opts) => overlappingStage(ctx, 2, async (batch) => ({ ...batch, stored: await ... }))
 */
export function overlappingStage<In extends BatchBase, Out extends BatchBase>(
  ctx: StepContext,
  concurrency: number,
  work: (batch: In, log: Logger) => Promise<Out>,
): OperatorFunction<In, Out> {
  const log = ctx.logger.child({ step: ctx.step })
  // The work of the batches started last, oldest first: the next batch waits for the first of them.
  const running: Array<Promise<unknown>> = []
  // Once the stage is unsubscribed (the job stopping on an error), a batch still waiting for its turn is not worked on.
  let stopped = false
  const begin = (batch: In) => {
    const before = running.length >= concurrency ? running.shift()! : Promise.resolve()
    const done = before.then(async () => {
      if (stopped) throw new Error(`the ${ctx.step} stage stopped before this batch's turn`)
      const started = performance.now()
      const out = await work(batch, log)
      return { out, seconds: (performance.now() - started) / 1000 }
    })
    // Awaited in batch order below (or by the batch after it): a failure before then is not unhandled.
    done.catch(() => {})
    running.push(done)
    return done
  }
  return pipe(
    map(begin),
    concatMap(async (done) => {
      const { out, seconds } = await done
      return timed(ctx, out, seconds)
    }),
    finalize(() => (stopped = true)),
  )
}
