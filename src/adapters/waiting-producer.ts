/**
 * A Kafka producer for the job's side topics (dead letters, anomalies):
 * connected on first use, and while Kafka is unavailable a send waits and
 * retries, as for any dependency, counted in
 * `logstream_dependency_retries_total{dependency="kafka"}` and logged on the
 * 1st, 10th, 20th… attempt. What a retry cannot fix is the caller's to report.
 */
import type { Logger } from 'pino'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { connectProducer, type KafkaProducer, type OutgoingMessage } from '../../operators/kafka-clients.ts'
import { retry } from '../runtime/retry.ts'

export interface WaitingProducerOptions {
  readonly brokers: string
  readonly properties?: Readonly<Record<string, string>> | undefined
  readonly clientId: string
  /** What the warning calls the destination (`dead-letter topic`). */
  readonly what: string
  readonly logger?: Logger | undefined
  readonly metrics?: PipelineMetrics | undefined
  readonly retry?: { initialDelayMs?: number; maxDelayMs?: number } | undefined
}

export interface WaitingProducer {
  /**
   * Resolves once the broker acknowledged every message, with how many the topic refused for their own time and took
   * stamped now (`KafkaProducer.sendKeepingTimes`).
   */
  send(messages: readonly OutgoingMessage[]): Promise<number>
  close(): Promise<void>
}

export function createWaitingProducer(opts: WaitingProducerOptions): WaitingProducer {
  let producer: KafkaProducer | null = null
  return {
    send: (messages) =>
      retry(
        async () => {
          producer ??= await connectProducer({ brokers: opts.brokers, properties: opts.properties, clientId: opts.clientId })
          return await producer.sendKeepingTimes(messages)
        },
        {
          maxAttempts: Infinity,
          initialDelayMs: opts.retry?.initialDelayMs ?? 500,
          maxDelayMs: opts.retry?.maxDelayMs ?? 30_000,
          onRetry: (err, attempt) => {
            opts.metrics?.dependencyRetries.labels('kafka').inc()
            if (attempt === 1 || attempt % 10 === 0) opts.logger?.warn({ err: { message: (err as Error).message }, attempt }, `${opts.what} unavailable; the batch waits and retries`)
          },
        },
      ),
    async close() {
      await producer?.close()
      producer = null
    },
  }
}
