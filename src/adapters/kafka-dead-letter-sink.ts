/**
 * Dead letters of a Kafka job also go to a dead-letter topic (default
 * `<topic>.dlq`): the original key and value, with headers that say why and
 * where from (`reason`, `detail`, `topic`, `partition`, `offset`). Published
 * before the batch's checkpoint commit; a batch replayed after a crash may
 * publish a dead letter again, which its consumers tell by topic, partition
 * and offset.
 *
 * The checkpoint keeps every dead letter whole (within `--dead-letters-kept-mb`,
 * the oldest dropped past it, reported); the topic is a copy for other
 * consumers, so it never stops the job:
 * - a value too large for the topic is published truncated, with headers
 *   `truncated: true`, `original_bytes` and `kept_in` (where the whole value is);
 * - a time the topic refuses (too old or too far ahead for it) is replaced by
 *   now, the original kept in the `original_timestamp_ms` header, and logged;
 * - Kafka unavailable: the batch waits and retries, as for any dependency;
 * - refused for good (no topic and no auto-creation, no permission): reported
 *   (an error line, `logstream_dead_lettered_total{destination="topic-failed"}`)
 *   and the batch goes on; `logstream dlq replay` can publish them later.
 */
import type { Logger } from 'pino'
import type { DeadLetter, DeadLetterSink } from '../../operators/contracts.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { splitPartitionName } from '../../operators/kafka-partitions.ts'
import { ORIGINAL_TIMESTAMP_HEADER, type OutgoingMessage } from '../../operators/kafka-clients.ts'
import { createWaitingProducer } from './waiting-producer.ts'

/** librdkafka's and Kafka's "message too large" (the producer's message.max.bytes, or the topic's max.message.bytes). */
const MSG_SIZE_TOO_LARGE = 10
/** Kafka's default largest message is 1,000,000 bytes; headers and framing fit in what is left. */
const DEFAULT_MAX_VALUE_BYTES = 1_000_000 - 64 * 1024
/** What a value is cut to when the topic takes less than the default. */
const SMALL_VALUE_BYTES = 64 * 1024

export function deadLetterTopicFor(topics: readonly string[], configured: string): string {
  return configured || `${topics[0]}.dlq`
}

export interface DeadLetterSinkOptions {
  readonly brokers: string
  readonly topic: string
  readonly properties?: Readonly<Record<string, string>>
  /** Where the whole values are kept, for the `kept_in` header (the job's checkpoint). */
  readonly keptIn: string
  /** Largest value published whole. */
  readonly maxValueBytes?: number
  readonly logger?: Logger | undefined
  readonly metrics?: PipelineMetrics | undefined
  readonly retry?: { initialDelayMs?: number; maxDelayMs?: number }
}

/** The message of a dead letter, its value cut to `maxValueBytes` when longer. */
export function deadLetterMessage(d: DeadLetter, topic: string, keptIn: string, maxValueBytes: number): OutgoingMessage {
  const origin = splitPartitionName(d.record.partition)
  const headers: Record<string, string> = {
    ...d.record.headers,
    reason: d.reason,
    detail: d.detail.slice(0, 1000),
    topic: origin.topic,
    partition: String(origin.partition),
    offset: String(d.record.offset),
  }
  // The original's time, as Kafka Connect's dead-letter queue keeps it: a message's id may be made of it.
  const timestampMs = d.record.timestampMs
  if (d.record.value.length <= maxValueBytes) return { topic, key: d.record.key, value: d.record.value, headers, timestampMs }
  return {
    topic,
    key: d.record.key,
    value: d.record.value.subarray(0, maxValueBytes),
    headers: { ...headers, truncated: 'true', original_bytes: String(d.record.value.length), kept_in: keptIn },
    timestampMs,
  }
}

export async function createKafkaDeadLetterSink(opts: DeadLetterSinkOptions): Promise<DeadLetterSink> {
  const log = opts.logger?.child({ step: 'dead-letters' })
  const maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES
  const { send, close } = createWaitingProducer({ ...opts, clientId: 'logstream-dlq', what: 'dead-letter topic', logger: log })
  const tooLarge = (err: unknown) => {
    const e = err as { code?: unknown; message?: string; details?: { kafkaCode?: unknown } }
    return e.code === MSG_SIZE_TOO_LARGE || e.details?.kafkaCode === MSG_SIZE_TOO_LARGE || /too large/i.test(e.message ?? '')
  }
  return {
    async publish(deadLetters: readonly DeadLetter[]) {
      try {
        restamped(await send(deadLetters.map((d) => deadLetterMessage(d, opts.topic, opts.keptIn, maxValueBytes))))
        return
      } catch (err) {
        if (!tooLarge(err)) return report(deadLetters, err)
      }
      // The topic takes less than Kafka's default: cut the large ones further, one by one.
      for (const d of deadLetters) {
        try {
          restamped(await send([deadLetterMessage(d, opts.topic, opts.keptIn, Math.min(maxValueBytes, SMALL_VALUE_BYTES))]))
        } catch (err) {
          report([d], err)
        }
      }
    },
    close,
  }

  function restamped(count: number): void {
    if (count > 0) log?.warn({ topic: opts.topic, count }, `${count} dead letter(s) went to ${opts.topic} stamped now: it refuses messages of their own time (its message.timestamp.before.max.ms or after.max.ms); their own time is in the ${ORIGINAL_TIMESTAMP_HEADER} header`)
  }

  function report(deadLetters: readonly DeadLetter[], err: unknown): void {
    opts.metrics?.deadLettered.labels('topic-failed').inc(deadLetters.length)
    log?.error(
      { err: { message: (err as Error).message, code: (err as { code?: unknown }).code }, topic: opts.topic, count: deadLetters.length, positions: deadLetters.slice(0, 10).map((d) => `${d.record.partition}@${d.record.offset}`) },
      `${deadLetters.length} dead letter(s) could not be published to ${opts.topic}; they are kept whole in ${opts.keptIn} (logstream dlq list / dlq replay)`,
    )
  }
}
