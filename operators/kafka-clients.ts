/**
 * The one place Kafka clients are made (librdkafka through
 * `@confluentinc/kafka-javascript`, its node-rdkafka API): consumers for the
 * source and the tools, producers for dead letters, replays and `produce`.
 * Every client gets the brokers and the pass-through librdkafka properties
 * the same way; consumers never auto-commit or auto-store offsets; producers
 * are idempotent with acks=all and wait out a full local queue.
 */
import KafkaJs from '@confluentinc/kafka-javascript'
import type { DeliveryReport, KafkaConsumer, LibrdKafkaError, MessageHeader, Producer } from '@confluentinc/kafka-javascript'
import { LogstreamError } from '../core/errors.ts'

// The binding's CommonJS exports, typed.
const rdkafka = KafkaJs as unknown as { KafkaConsumer: typeof KafkaConsumer; Producer: typeof Producer }

const QUEUE_FULL = -184
/** Kafka's INVALID_TIMESTAMP: the topic takes no message this old or this far ahead (`message.timestamp.before.max.ms`, `…after.max.ms`). */
const INVALID_TIMESTAMP = 32
/** Kafka error codes no retry can fix: corrupt or too large a message, an invalid, unknown or forbidden topic, a time refused, an invalid record. */
const PERMANENT_DELIVERY_ERRORS = new Set([2, 3, 10, 17, 18, 29, INVALID_TIMESTAMP, 87])

/** The header a message sent again stamped now carries its own time in (`sendKeepingTimes`). */
export const ORIGINAL_TIMESTAMP_HEADER = 'original_timestamp_ms'

/** librdkafka settings by name. */
export type KafkaSettings = Record<string, unknown>

export interface KafkaClientOptions {
  readonly brokers: string
  /** librdkafka properties passed through from the configuration (security, fetch sizes…); they win over ours. */
  readonly properties?: Readonly<Record<string, string>> | undefined
  readonly clientId?: string
  /** Settings of this use of the client, under the properties. */
  readonly settings?: KafkaSettings
}

export interface ConsumerOptions extends KafkaClientOptions {
  readonly groupId: string
  /** Topic settings (e.g. `auto.offset.reset`). */
  readonly topicSettings?: KafkaSettings
}

/**
 * A consumer that leaves every offset to its caller: no auto-commit, no
 * auto-store (librdkafka commits stored offsets on unassign).
 *
 * @example
 * const c = createConsumer({ brokers: 'localhost:9092', groupId: 'logstream', settings: { 'enable.partition.eof': false } })
 */
export function createConsumer(opts: ConsumerOptions): KafkaConsumer {
  const conf: KafkaSettings = {
    'bootstrap.servers': opts.brokers,
    'group.id': opts.groupId,
    'client.id': opts.clientId ?? 'logstream',
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    ...opts.settings,
    ...opts.properties,
  }
  return new rdkafka.KafkaConsumer(conf as never, (opts.topicSettings ?? {}) as never)
}

/** Connects a client, or fails with `KAFKA_FAILED` naming the brokers. */
export function connect(client: KafkaConsumer | Producer, brokers: string, timeoutMs = 30_000): Promise<void> {
  return new Promise<void>((resolve, reject) =>
    client.connect({ timeout: timeoutMs }, (err) => (err ? reject(new LogstreamError('KAFKA_FAILED', `cannot reach Kafka at ${brokers}: ${err.message}`)) : resolve())),
  )
}

/** Runs `fn` with a connected consumer (the tools: watermarks, group offsets), and disconnects. */
export async function withConsumer<T>(opts: ConsumerOptions, fn: (c: KafkaConsumer) => Promise<T>): Promise<T> {
  const c = createConsumer(opts)
  await connect(c, opts.brokers, 15_000)
  try {
    return await fn(c)
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()))
  }
}

export interface OutgoingMessage {
  readonly topic: string
  readonly key: string | null
  readonly value: Buffer
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The message's time, ms since the epoch; now when absent. */
  readonly timestampMs?: number | undefined
}

export interface KafkaProducer {
  /**
   * Queues one message, waiting while librdkafka's local queue is full; the
   * returned `delivered` settles when the broker acknowledged it (or rejects
   * with `DELIVERY_FAILED`).
   */
  enqueue(message: OutgoingMessage): Promise<{ readonly delivered: Promise<void> }>
  /** Queues every message and resolves when all are acknowledged (rejects with the first failure). */
  send(messages: readonly OutgoingMessage[]): Promise<void>
  /**
   * `send` for messages that carry their own time: one the topic refuses for its time is sent again stamped now, its
   * own time in the `original_timestamp_ms` header. Resolves with how many went so; rejects with the first other failure.
   */
  sendKeepingTimes(messages: readonly OutgoingMessage[]): Promise<number>
  /** Flushes what is queued and disconnects. */
  close(): Promise<void>
}

export interface ProducerOptions extends KafkaClientOptions {
  /** Told of client-level errors (librdkafka keeps retrying by itself). */
  readonly onError?: (err: LibrdKafkaError) => void
}

/**
 * An idempotent producer (acks=all) whose sends resolve on the broker's acknowledgement.
 *
 * @example
 * const producer = await connectProducer({ brokers: 'localhost:9092', clientId: 'logstream-dlq' })
 * await producer.send([{ topic: 'logs.dlq', key: null, value: Buffer.from('…') }])
 */
export async function connectProducer(opts: ProducerOptions): Promise<KafkaProducer> {
  const producer = new rdkafka.Producer({
    'bootstrap.servers': opts.brokers,
    'client.id': opts.clientId ?? 'logstream',
    dr_cb: true,
    'enable.idempotence': true,
    acks: 'all',
    'linger.ms': 5,
    'message.timeout.ms': 120_000,
    ...opts.settings,
    ...opts.properties,
  } as never)
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  let nextId = 0
  producer.on('delivery-report', (err: LibrdKafkaError | null, report: DeliveryReport) => {
    const waiter = pending.get(report.opaque as number)
    if (!waiter) return
    pending.delete(report.opaque as number)
    // Timeouts and broker trouble pass; a message too large, an unknown or forbidden topic do not.
    if (err) waiter.reject(new LogstreamError('DELIVERY_FAILED', `Kafka did not take a message for ${report.topic}: ${err.message}`, { retryable: !PERMANENT_DELIVERY_ERRORS.has(err.code), details: { kafkaCode: err.code } }))
    else waiter.resolve()
  })
  if (opts.onError) producer.on('event.error', opts.onError)
  producer.setPollInterval(20)
  await connect(producer, opts.brokers)

  const enqueue = async (m: OutgoingMessage): Promise<{ delivered: Promise<void> }> => {
    const id = nextId++
    const delivered = new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject }))
    // Callers await it later; a failure before then is theirs to see, not an unhandled rejection.
    delivered.catch(() => {})
    const headers: MessageHeader[] = Object.entries(m.headers ?? {}).map(([k, v]) => ({ [k]: v }))
    for (;;) {
      try {
        producer.produce(m.topic, null, m.value, m.key, m.timestampMs ?? Date.now(), id, headers)
        return { delivered }
      } catch (err) {
        if ((err as LibrdKafkaError).code !== QUEUE_FULL) {
          pending.delete(id)
          throw err
        }
        // The local queue is full: let deliveries drain it.
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }
  /** Queues every message, in order; the acknowledgements, one a message. */
  const enqueueAll = async (messages: readonly OutgoingMessage[]): Promise<Array<Promise<void>>> => {
    const acks: Array<Promise<void>> = []
    for (const m of messages) acks.push((await enqueue(m)).delivered)
    return acks
  }
  const send = async (messages: readonly OutgoingMessage[]): Promise<void> => {
    await Promise.all(await enqueueAll(messages))
  }
  return {
    enqueue,
    send,
    async sendKeepingTimes(messages) {
      const outcomes = await Promise.allSettled(await enqueueAll(messages))
      const refusedTime: OutgoingMessage[] = []
      for (const [i, o] of outcomes.entries()) {
        if (o.status === 'fulfilled') continue
        const m = messages[i]!
        const code = (o.reason as { details?: { kafkaCode?: unknown } }).details?.kafkaCode
        if (code !== INVALID_TIMESTAMP || m.timestampMs === undefined) throw o.reason
        refusedTime.push({ ...m, timestampMs: undefined, headers: { ...m.headers, [ORIGINAL_TIMESTAMP_HEADER]: String(m.timestampMs) } })
      }
      await send(refusedTime)
      return refusedTime.length
    },
    close: () =>
      new Promise<void>((resolve) => {
        producer.flush(10_000, () => producer.disconnect(10_000, () => resolve()))
      }),
  }
}
