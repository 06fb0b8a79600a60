import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ReplayDemand } from '../../operators/kafka-source.ts'

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
