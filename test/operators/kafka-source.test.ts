import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ReplayDemand, maskProperties, parsePartitionSpec, partitionName, splitPartitionName } from '../../operators/kafka-source.ts'

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

test('secret librdkafka properties are masked for logs', () => {
  assert.deepEqual(maskProperties({ 'sasl.password': 'p', 'ssl.key.password': 'k', 'sasl.oauthbearer.client.secret': 's', 'client.id': 'me', 'security.protocol': 'SASL_SSL' }), {
    'sasl.password': '***',
    'ssl.key.password': '***',
    'sasl.oauthbearer.client.secret': '***',
    'client.id': 'me',
    'security.protocol': 'SASL_SSL',
  })
})

test('a restart reads first the partitions the oldest replayed batch still needs, then the next one, then everything', () => {
  const demand = new ReplayDemand([
    { ranges: [{ partition: 'logs/0', from: 0, to: 3 }, { partition: 'logs/1', from: 5, to: 6 }] },
    { ranges: [{ partition: 'logs/0', from: 3, to: 4 }, { partition: 'logs/2', from: 0, to: 2 }] },
  ])
  assert.deepEqual([...demand.wanted()].sort(), ['logs/0', 'logs/1'])
  assert.equal(demand.delivered('logs/0', 2), false)
  assert.equal(demand.delivered('logs/1', 6), true)
  assert.deepEqual([...demand.wanted()], ['logs/0'])
  // Offset 3 completes logs/0 for the first batch; the second still needs logs/0 up to 4, and logs/2.
  demand.delivered('logs/0', 3)
  assert.deepEqual([...demand.wanted()].sort(), ['logs/0', 'logs/2'])
  demand.delivered('logs/0', 4)
  demand.delivered('logs/2', 2)
  assert.equal(demand.active, false)
  assert.equal(new ReplayDemand([]).active, false)
})

test('a replay gives up on partitions it cannot read', () => {
  const demand = new ReplayDemand([{ ranges: [{ partition: 'logs/0', from: 0, to: 3 }, { partition: 'logs/1', from: 0, to: 1 }] }])
  assert.equal(demand.drop(['logs/1']), true)
  assert.deepEqual([...demand.wanted()], ['logs/0'])
  demand.drop(['logs/0'])
  assert.equal(demand.active, false)
})
