/**
 * A small promise-based Kafka producer over librdkafka: `send` resolves when
 * the broker has acknowledged every message (or rejects with the first
 * delivery error). Idempotent, acks=all.
 */
import KafkaJs from '@confluentinc/kafka-javascript'
import type { Producer as ProducerType, LibrdKafkaError, DeliveryReport, MessageHeader } from '@confluentinc/kafka-javascript'
import { LogstreamError } from '../../core/errors.ts'

const { Producer } = KafkaJs as unknown as { Producer: typeof ProducerType }
const QUEUE_FULL = -184

export interface OutgoingMessage {
  readonly topic: string
  readonly key: string | null
  readonly value: Buffer
  readonly headers?: Readonly<Record<string, string>>
}

export interface KafkaProducer {
  send(messages: readonly OutgoingMessage[]): Promise<void>
  close(): Promise<void>
}

export async function connectProducer(opts: { brokers: string; properties?: Readonly<Record<string, string>>; clientId?: string }): Promise<KafkaProducer> {
  const producer = new Producer({
    'bootstrap.servers': opts.brokers,
    'client.id': opts.clientId ?? 'logstream',
    dr_cb: true,
    'enable.idempotence': true,
    acks: 'all',
    'linger.ms': 5,
    'message.timeout.ms': 120_000,
    ...opts.properties,
  } as never)
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  let nextId = 0
  producer.on('delivery-report', (err: LibrdKafkaError | null, report: DeliveryReport) => {
    const waiter = pending.get(report.opaque as number)
    if (!waiter) return
    pending.delete(report.opaque as number)
    if (err) waiter.reject(new LogstreamError('DELIVERY_FAILED', `Kafka did not take a message for ${report.topic}: ${err.message}`, { retryable: true }))
    else waiter.resolve()
  })
  producer.setPollInterval(20)
  await new Promise<void>((resolve, reject) =>
    producer.connect({ timeout: 30_000 }, (err) => (err ? reject(new LogstreamError('KAFKA_FAILED', `cannot reach Kafka at ${opts.brokers}: ${err.message}`, { retryable: true })) : resolve())),
  )
  return {
    async send(messages) {
      const acks: Array<Promise<void>> = []
      for (const m of messages) {
        const id = nextId++
        acks.push(new Promise<void>((resolve, reject) => pending.set(id, { resolve, reject })))
        const headers: MessageHeader[] = Object.entries(m.headers ?? {}).map(([k, v]) => ({ [k]: v }))
        for (;;) {
          try {
            producer.produce(m.topic, null, m.value, m.key, Date.now(), id, headers)
            break
          } catch (err) {
            if ((err as LibrdKafkaError).code !== QUEUE_FULL) {
              pending.delete(id)
              throw err
            }
            await new Promise((r) => setTimeout(r, 20))
          }
        }
      }
      await Promise.all(acks)
    },
    close: () =>
      new Promise<void>((resolve) => {
        producer.flush(10_000, () => producer.disconnect(10_000, () => resolve()))
      }),
  }
}
