/**
 * The frame every batch stage shares: one batch at a time, in order; the time
 * the work took goes into the batch's stage timings (for the batch report and
 * `checkpoint show`) and into `logstream_stage_duration_seconds{step}`.
 */
import { concatMap, type OperatorFunction } from 'rxjs'
import type { Logger } from 'pino'
import type { Batch, StageName, StepContext } from './contracts.ts'

/**
 * @example
 * export const embed = (ctx, opts) => stage(ctx, async (batch, log) => ({ ...batch, vectors: await ... }))
 */
export function stage<In extends Batch, Out extends Batch>(ctx: StepContext, work: (batch: In, log: Logger) => Promise<Out>): OperatorFunction<In, Out> {
  const log = ctx.logger.child({ step: ctx.step })
  return concatMap(async (batch) => {
    const started = performance.now()
    const out = await work(batch, log)
    const seconds = (performance.now() - started) / 1000
    ctx.metrics.stageDuration.labels(ctx.step).observe(seconds)
    return { ...out, stageTimings: { ...out.stageTimings, [ctx.step as StageName]: seconds } }
  })
}
