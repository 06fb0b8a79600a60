import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TestScheduler } from 'rxjs/testing'
import { map, toArray } from 'rxjs'
import type { Batch, ParsedItem } from '../../operators/contracts.ts'
import { microBatch } from '../../operators/micro-batch.ts'
import { batchIdFor } from '../../operators/batch-id.ts'
import { createTestContext, record } from '../helpers/context.ts'

const item = (offset: number, partition = 'logs/0'): ParsedItem => ({
  kind: 'entry',
  id: `id-${partition}-${offset}`,
  entry: { text: `t${offset}`, original_text: '', log_level: 'INFO', source: 's', timestamp: '', node_type: 'n', label: null, block_id: null, component: null },
  record: record(`m${offset}`, offset, partition),
})

/** A batch as `seq:partition[from,to)+…`, for readable marbles. */
const summary = (b: Batch) => `${b.seq}:${b.ranges.map((r) => `${r.partition}[${r.from},${r.to})`).join('+')}`

const testScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected))

test('a batch closes when it reaches its maximum size; the rest closes at the end of input', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold('a-b-|', { a: [item(0), item(1), item(2)], b: [item(3), item(4)] })
    const out = input.pipe(microBatch(createTestContext('batch'), { maxSize: 2, triggerMs: 1000, firstSeq: 0 }), map(summary))
    expectObservable(out).toBe('a-b-(c|)', { a: '0:logs/0[0,2)', b: '1:logs/0[2,4)', c: '2:logs/0[4,5)' })
  })
})

test('a batch closes when the trigger interval has passed since its first record', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold('a 15ms b 20ms |', { a: [item(0), item(1)], b: [item(2)] })
    const out = input.pipe(microBatch(createTestContext('batch'), { maxSize: 100, triggerMs: 10, firstSeq: 3 }), map(summary))
    expectObservable(out).toBe('10ms x 15ms y 10ms |', { x: '3:logs/0[0,2)', y: '4:logs/0[2,3)' })
  })
})

test('no empty batches: silence emits nothing', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold<ParsedItem[]>('50ms |')
    expectObservable(input.pipe(microBatch(createTestContext('batch'), { maxSize: 10, triggerMs: 10, firstSeq: 0 }))).toBe('50ms |')
  })
})

test('batch ids are deterministic from the ranges', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const input = cold('a|', { a: [item(5), item(6, 'logs/1')] })
    const out = input.pipe(microBatch(createTestContext('batch'), { maxSize: 10, triggerMs: 10, firstSeq: 0 }), map((b) => b.id))
    const id = batchIdFor([{ partition: 'logs/1', from: 6, to: 7 }, { partition: 'logs/0', from: 5, to: 6 }])
    expectObservable(out).toBe('-(a|)', { a: id })
  })
  assert.notEqual(batchIdFor([{ partition: 'a', from: 0, to: 1 }]), batchIdFor([{ partition: 'a', from: 0, to: 2 }]))
})

test('a planned batch is rebuilt over exactly its ranges, with its id and sequence number', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const replay = [{ id: 'planned-id', seq: 5, ranges: [{ partition: 'logs/0', from: 2, to: 4 }] }]
    const input = cold('a|', { a: [item(2), item(3), item(4)] })
    const out = input.pipe(microBatch(createTestContext('batch'), { maxSize: 10, triggerMs: 10, firstSeq: 6, replay }), map((b) => `${b.id}@${summary(b)}`))
    expectObservable(out).toBe('a(b|)', { a: 'planned-id@5:logs/0[2,4)', b: `${batchIdFor([{ partition: 'logs/0', from: 4, to: 5 }])}@6:logs/0[4,5)` })
  })
})

test('records past the replayed ranges wait until the replayed batch is complete', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const replay = [
      {
        id: 'planned',
        seq: 0,
        ranges: [
          { partition: 'logs/0', from: 0, to: 2 },
          { partition: 'logs/1', from: 0, to: 1 },
        ],
      },
    ]
    const input = cold('a-b-|', { a: [item(0), item(1), item(2)], b: [item(0, 'logs/1'), item(1, 'logs/1')] })
    const out = input.pipe(microBatch(createTestContext('batch'), { maxSize: 1, triggerMs: 1, firstSeq: 1, replay }), map(summary), toArray())
    expectObservable(out).toBe('----(a|)', { a: ['0:logs/0[0,2)+logs/1[0,1)', '1:logs/0[2,3)', '2:logs/1[1,2)'] })
  })
})

test('dead letters count towards the size and the ranges', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const dead: ParsedItem = { kind: 'dead-letter', reason: 'bad-json', detail: 'x', record: record('{', 1, 'logs/0') }
    const input = cold('a|', { a: [item(0), dead] })
    const out = input.pipe(
      microBatch(createTestContext('batch'), { maxSize: 2, triggerMs: 10, firstSeq: 0 }),
      map((b) => `${summary(b)} e${b.entries.length} d${b.deadLetters.length}`),
    )
    expectObservable(out).toBe('a|', { a: '0:logs/0[0,2) e1 d1' })
  })
})

test('several batches planned before a crash are rebuilt in order, each over its own ranges', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const replay = [
      { id: 'p0', seq: 7, ranges: [{ partition: 'logs/0', from: 0, to: 2 }, { partition: 'logs/1', from: 0, to: 1 }] },
      { id: 'p1', seq: 8, ranges: [{ partition: 'logs/0', from: 2, to: 3 }] },
    ]
    // logs/0 arrives first and completes p1's range before p0 is complete: p1 must wait for p0.
    const input = cold('a-b-|', { a: [item(0), item(1), item(2), item(3)], b: [item(0, 'logs/1')] })
    const out = input.pipe(microBatch(createTestContext('batch'), { maxSize: 10, triggerMs: 100, firstSeq: 9, replay }), map((b) => `${b.id}@${summary(b)}`), toArray())
    expectObservable(out).toBe('----(a|)', { a: ['p0@7:logs/0[0,2)+logs/1[0,1)', 'p1@8:logs/0[2,3)', `${batchIdFor([{ partition: 'logs/0', from: 3, to: 4 }])}@9:logs/0[3,4)`] })
  })
})

test('a replay the source cannot complete is emitted with what arrived after the timeout', () => {
  testScheduler().run(({ cold, expectObservable }) => {
    const replay = [{ id: 'p0', seq: 0, ranges: [{ partition: 'logs/0', from: 0, to: 5 }] }]
    const input = cold('a 100ms |', { a: [item(0), item(1)] })
    const out = input.pipe(microBatch(createTestContext('batch'), { maxSize: 10, triggerMs: 10, firstSeq: 1, replay, replayTimeoutMs: 50 }), map(summary))
    expectObservable(out).toBe('50ms a 50ms |', { a: '0:logs/0[0,2)' })
  })
})
