import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Subscription } from 'rxjs'
import { createKafkaSource, HOLD_MS } from '../../operators/kafka-source.ts'
import { FlowControl } from '../../operators/flow-control.ts'
import { captureLogger } from '../helpers/context.ts'
import { kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'

/**
 * Reads `total` records through the source with a flow limit of `limit`,
 * freeing the credit of what was read `releaseAfterMs` after the pipeline
 * filled; returns, for every time the pipeline was full, how long after the
 * release the next records came.
 */
async function readWithBackpressure(t: { after(fn: () => unknown): void }, opts: { total: number; limit: number; releaseAfterMs: number }): Promise<number[]> {
  const broker = await sharedBroker()
  const topic = topicName('backpressure')
  await broker.createTopic(topic, 3)
  await kcatProduce(broker.bootstrap, topic, Array.from({ length: opts.total }, (_, i) => `k${i % 97}\t{"text":"line ${i}"}`), { keyed: true })
  const source = createKafkaSource({ brokers: broker.bootstrap, topics: [topic], partitions: [0, 1, 2].map((partition) => ({ topic, partition })), groupId: topicName('group'), startingOffsets: 'earliest', chunkSize: 100 })
  t.after(() => source.close())
  const flow = new FlowControl(opts.limit)
  const { logger } = captureLogger('warn')
  const waits: number[] = []
  let received = 0
  let releasedAt = 0
  let sub: Subscription | undefined
  await new Promise<void>((resolve, reject) => {
    sub = source.open({ logger, flow, signal: new AbortController().signal, resumeFrom: () => undefined }).subscribe({
      next(records) {
        if (releasedAt > 0) {
          waits.push(performance.now() - releasedAt)
          releasedAt = 0
        }
        received += records.length
        if (received >= opts.total) return resolve()
        if (!flow.isOpen) {
          const held = flow.inFlight
          setTimeout(() => {
            releasedAt = performance.now()
            flow.release(held)
          }, opts.releaseAfterMs)
        }
      },
      error: reject,
    })
  })
  sub?.unsubscribe()
  return waits
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

test('a full pipeline holds off reading and goes on at once when a batch commits: no fetch to wait for, no second-long gaps', async (t) => {
  const waits = await readWithBackpressure(t, { total: 20_000, limit: 1000, releaseAfterMs: 20 })
  assert.ok(waits.length >= 10, `the pipeline filled ${waits.length} times`)
  // librdkafka's pause dropped the prefetched records and its fetcher slept up to a second after each resume (0.9 s a time).
  assert.ok(median(waits) < 250, `records came a median ${median(waits).toFixed(0)} ms after the credit was freed (${waits.map((w) => w.toFixed(0)).join(', ')})`)
})

test(`a pipeline full for longer than ${HOLD_MS} ms pauses the partitions; resuming them brings records without a second-long wait`, async (t) => {
  const waits = await readWithBackpressure(t, { total: 3000, limit: 1000, releaseAfterMs: HOLD_MS + 500 })
  assert.ok(waits.length >= 2, `the pipeline filled ${waits.length} times`)
  assert.ok(median(waits) < 300, `records came a median ${median(waits).toFixed(0)} ms after the partitions were resumed (${waits.map((w) => w.toFixed(0)).join(', ')})`)
})
