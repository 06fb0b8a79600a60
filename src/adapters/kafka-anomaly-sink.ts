/**
 * New patterns of a Kafka job go to a topic (default `<topic>.anomalies`):
 * one JSON message each (`AnomalyMessage`), keyed by the line's point id, with
 * headers `point_id`, `shape_id` and `score`. Kafka unavailable: the batch
 * waits and retries, as for any dependency; refused for good (no topic and no
 * auto-creation, no permission): the publish stage reports it and tries again
 * after the next batch.
 */
import type { Logger } from 'pino'
import type { AnomalyMessage, AnomalySink } from '../../operators/contracts.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { connectProducer, type KafkaProducer } from '../../operators/kafka-clients.ts'
import { retry } from '../runtime/retry.ts'

export function anomalyTopicFor(topics: readonly string[], configured: string): string {
  return configured || `${topics[0]}.anomalies`
}

export interface KafkaAnomalySinkOptions {
  readonly brokers: string
  readonly topic: string
  readonly properties?: Readonly<Record<string, string>>
  readonly logger?: Logger | undefined
  readonly metrics?: PipelineMetrics | undefined
  readonly retry?: { initialDelayMs?: number; maxDelayMs?: number }
}

/**
 * @example
 * const sink = createKafkaAnomalySink({ brokers: 'localhost:9092', topic: 'logs.anomalies' })
 */
export function createKafkaAnomalySink(opts: KafkaAnomalySinkOptions): AnomalySink {
  let producer: KafkaProducer | null = null
  const log = opts.logger?.child({ step: 'anomalies' })
  return {
    describe: `topic ${opts.topic}`,
    publish(messages: readonly AnomalyMessage[]) {
      return retry(
        async () => {
          producer ??= await connectProducer({ brokers: opts.brokers, properties: opts.properties, clientId: 'logstream-anomalies' })
          await producer.send(
            messages.map((m) => ({
              topic: opts.topic,
              key: m.point_id,
              value: Buffer.from(JSON.stringify(m)),
              headers: { point_id: m.point_id, shape_id: m.shape_id, score: String(m.score) },
            })),
          )
        },
        {
          maxAttempts: Infinity,
          initialDelayMs: opts.retry?.initialDelayMs ?? 500,
          maxDelayMs: opts.retry?.maxDelayMs ?? 30_000,
          onRetry: (err, attempt) => {
            opts.metrics?.dependencyRetries.labels('kafka').inc()
            if (attempt === 1 || attempt % 10 === 0) log?.warn({ err: { message: (err as Error).message }, attempt }, 'anomalies topic unavailable; the batch waits and retries')
          },
        },
      )
    },
    async close() {
      await producer?.close()
      producer = null
    },
  }
}
