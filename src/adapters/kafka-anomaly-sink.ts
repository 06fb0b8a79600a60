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
import { createWaitingProducer } from './waiting-producer.ts'

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
  const producer = createWaitingProducer({ ...opts, clientId: 'logstream-anomalies', what: 'anomalies topic', logger: opts.logger?.child({ step: 'anomalies' }) })
  return {
    describe: `topic ${opts.topic}`,
    publish: async (messages: readonly AnomalyMessage[]) => {
      await producer.send(
        messages.map((m) => ({
          topic: opts.topic,
          key: m.point_id,
          value: Buffer.from(JSON.stringify(m)),
          headers: { point_id: m.point_id, shape_id: m.shape_id, score: String(m.score) },
        })),
      )
    },
    close: () => producer.close(),
  }
}
