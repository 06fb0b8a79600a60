import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parsePartitionSpec, partitionName, partitionNamer, splitPartitionName } from '../../operators/kafka-partitions.ts'
import { maskSecrets } from '../../core/secrets.ts'

test('partition groups are read from TOPIC:N and TOPIC:FROM-TO lists', () => {
  assert.deepEqual(parsePartitionSpec('logs:0-2, other:5'), [
    { topic: 'logs', partition: 0 },
    { topic: 'logs', partition: 1 },
    { topic: 'logs', partition: 2 },
    { topic: 'other', partition: 5 },
  ])
  assert.throws(() => parsePartitionSpec('logs'), RangeError)
  assert.throws(() => parsePartitionSpec('logs:a-b'), RangeError)
})

test('partition names round-trip, also for topics with dots and dashes', () => {
  assert.equal(partitionName('logs.dlq-x', 3), 'logs.dlq-x/3')
  assert.deepEqual(splitPartitionName('logs.dlq-x/3'), { topic: 'logs.dlq-x', partition: 3 })
})

test("a source's partition namer names every partition as partitionName does, topics kept apart", () => {
  const nameOf = partitionNamer()
  const topics = ['logs', 'logs.dlq', 'a/1', 'other']
  for (let round = 0; round < 2; round++) {
    for (const topic of topics) for (const p of [3, 0, 12, 1]) assert.equal(nameOf(topic, p), partitionName(topic, p))
  }
  assert.notEqual(nameOf('logs', 1), nameOf('other', 1))
})

test('secret librdkafka properties are masked for logs', () => {
  assert.deepEqual(maskSecrets({ 'sasl.password': 'p', 'ssl.key.password': 'k', 'sasl.oauthbearer.client.secret': 's', 'client.id': 'me', 'security.protocol': 'SASL_SSL' }), {
    'sasl.password': '***',
    'ssl.key.password': '***',
    'sasl.oauthbearer.client.secret': '***',
    'client.id': 'me',
    'security.protocol': 'SASL_SSL',
  })
})
