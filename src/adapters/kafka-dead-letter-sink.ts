/**
 * Dead letters of a Kafka job also go to a dead-letter topic (default
 * `<topic>.dlq`): the original key and value, with headers that say why and
 * where from (`reason`, `detail`, `topic`, `partition`, `offset`). Published
 * before the batch's checkpoint commit; a batch replayed after a crash may
 * publish a dead letter again, which its consumers tell by topic, partition
 * and offset.
 */
import type { DeadLetter, DeadLetterSink } from '../../operators/contracts.ts'
import { splitPartitionName } from '../../operators/kafka-partitions.ts'
import { connectProducer, type KafkaProducer } from '../../operators/kafka-clients.ts'

export function deadLetterTopicFor(topics: readonly string[], configured: string): string {
  return configured || `${topics[0]}.dlq`
}

export async function createKafkaDeadLetterSink(opts: { brokers: string; topic: string; properties?: Readonly<Record<string, string>> }): Promise<DeadLetterSink> {
  let producer: KafkaProducer | null = null
  return {
    async publish(deadLetters: readonly DeadLetter[]) {
      producer ??= await connectProducer({ brokers: opts.brokers, properties: opts.properties, clientId: 'logstream-dlq' })
      await producer.send(
        deadLetters.map((d) => {
          const { topic, partition } = splitPartitionName(d.record.partition)
          return {
            topic: opts.topic,
            key: d.record.key,
            value: d.record.value,
            headers: { ...d.record.headers, reason: d.reason, detail: d.detail, topic, partition: String(partition), offset: String(d.record.offset) },
          }
        }),
      )
    },
    async close() {
      await producer?.close()
      producer = null
    },
  }
}
