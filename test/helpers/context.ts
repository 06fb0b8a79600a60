/**
 * Step contexts for operator tests: a logger whose lines tests can read back,
 * fresh metrics on a registry of their own, and an abort signal.
 */
import { Writable } from 'node:stream'
import { pino, type Logger } from 'pino'
import { Registry } from 'prom-client'
import type { SchedulerLike } from 'rxjs'
import type { SourceRecord, StepContext } from '../../operators/contracts.ts'
import { createPipelineMetrics, type PipelineMetrics } from '../../operators/metrics.ts'

export interface TestContext extends StepContext {
  readonly lines: Array<Record<string, unknown>>
  readonly metrics: PipelineMetrics
}

/** A logger that keeps its JSON lines in `lines`. */
export function captureLogger(level = 'debug'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { logger: pino({ level }, stream), lines }
}

export function createTestContext(step: string, opts: { scheduler?: SchedulerLike; metrics?: PipelineMetrics } = {}): TestContext {
  const { logger, lines } = captureLogger()
  return {
    step,
    logger,
    lines,
    metrics: opts.metrics ?? createPipelineMetrics(new Registry()),
    signal: new AbortController().signal,
    scheduler: opts.scheduler,
  }
}

/** Value of a counter (summed over its labels) in a metrics object. */
export async function counterValue(metrics: PipelineMetrics, name: keyof PipelineMetrics, labels?: Record<string, string>): Promise<number> {
  const metric = metrics[name] as unknown as { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number> }> }> }
  const { values } = await metric.get()
  return values
    .filter((v) => !labels || Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0)
}

/** A source record for tests. */
export function record(value: string | Buffer, offset: number, partition = 'test/0', extra: Partial<SourceRecord> = {}): SourceRecord {
  return { partition, offset, nextOffset: offset + 1, key: null, value: typeof value === 'string' ? Buffer.from(value) : value, ...extra }
}
