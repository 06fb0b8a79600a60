/**
 * What the stages that isolate poison pills (embed, sink) share: reporting
 * isolation in logs and metrics, and moving refused entries to the batch's
 * dead letters.
 */
import type { Logger } from 'pino'
import type { DeadLetter, DedupedBatch, ParsedEntry, StepContext } from './contracts.ts'
import type { IsolationEvent } from './isolate.ts'

/**
 * Logs and counts isolation events of one batch: retries and splits
 * (`logstream_batch_retries_total`, `logstream_batch_splits_total`), and a
 * dependency that fails for everything (`logstream_dependency_up` 0 until it
 * answers again).
 */
export function isolationReporter(ctx: StepContext, log: Logger, dependency: string, batchId: string): { onEvent(e: IsolationEvent): void; done(): void } {
  let down = false
  return {
    onEvent(e) {
      const err = 'error' in e ? { message: (e.error as Error | undefined)?.message, code: (e.error as { code?: string } | undefined)?.code } : undefined
      switch (e.kind) {
        case 'retry':
          ctx.metrics.batchRetries.labels(ctx.step).inc()
          log.warn({ batch: batchId, attempt: e.attempt, delayMs: e.delayMs, items: e.items, err }, `${dependency} refused the batch; retrying it`)
          return
        case 'split':
          ctx.metrics.batchSplits.labels(ctx.step).inc()
          log.warn({ batch: batchId, items: e.items, err }, `${dependency} keeps refusing the batch; splitting it to find the records at fault`)
          return
        case 'isolated':
          log.error({ batch: batchId, failed: e.failed, items: e.items }, `${dependency} refused ${e.failed} of ${e.items} records; they are dead-lettered and the rest goes on`)
          return
        case 'systemic':
          down = true
          ctx.metrics.dependencyRetries.labels(dependency).inc()
          ctx.metrics.dependencyUp.labels(dependency).set(0)
          log.error({ batch: batchId, round: e.round, delayMs: e.delayMs, items: e.items, err }, `${dependency} fails for every record and for a probe; the batch waits and starts over`)
      }
    },
    done() {
      if (!down) return
      ctx.metrics.dependencyUp.labels(dependency).set(1)
      log.info({ batch: batchId }, `${dependency} answering again`)
    },
  }
}

/** An entry a stage after parsing could not handle, as a dead letter with its point id. */
export function refusal(e: ParsedEntry, reason: 'embedding-failed' | 'store-rejected', error: unknown): DeadLetter {
  const err = error as { message?: string; code?: string } | null
  const detail = `${err?.code ? `${err.code}: ` : ''}${err?.message ?? String(error)}`
  return { kind: 'dead-letter', reason, detail: detail.slice(0, 1000), record: e.record, id: e.id }
}

/**
 * The batch with its refused entries moved from `fresh` to its dead letters
 * (`received` stays what it was); they are counted in
 * `logstream_messages_malformed_total{reason}` and their ids released from
 * the recent-id cache (they were never stored).
 */
export function withoutRefused<B extends DedupedBatch>(batch: B, refused: readonly DeadLetter[], ctx: StepContext, release?: (ids: readonly string[]) => void): B {
  if (refused.length === 0) return batch
  const gone = new Set(refused.map((d) => d.record))
  for (const d of refused) ctx.metrics.messagesMalformed.labels(d.reason).inc()
  release?.(refused.flatMap((d) => (d.id ? [d.id] : [])))
  return {
    ...batch,
    fresh: batch.fresh.filter((e) => !gone.has(e.record)),
    deadLetters: [...batch.deadLetters, ...refused],
  }
}
