import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstValueFrom, lastValueFrom, of, Subject, toArray } from 'rxjs'
import type { DeadLetter, EmbeddedBatch, Point } from '../../operators/contracts.ts'
import { deduped } from '../../operators/dedup.ts'
import { sink } from '../../operators/sink.ts'
import { createMemoryStore } from '../helpers/memory-store.ts'
import { counterValue, createTestContext, record } from '../helpers/context.ts'
import { batchOf, entry } from '../helpers/batches.ts'
import { eventually } from '../helpers/cli.ts'

const embedded = (texts: string[], deadLetters: DeadLetter[] = []): EmbeddedBatch => {
  const batch = batchOf(texts.map((t, i) => entry(t, i)))
  return { ...deduped({ ...batch, deadLetters }, batch.entries, 0, 0), vectors: batch.entries.map(() => Float32Array.from([1, 0])) }
}

test('points carry every message field, their source position and ingest time', async () => {
  const store = createMemoryStore({ dim: 2 })
  const ctx = createTestContext('sink')
  const at = new Date('2026-01-02T03:04:05.000Z')
  const out = await firstValueFrom(of(embedded(['a', 'b'])).pipe(sink(ctx, { store, now: () => at })))
  assert.equal(out.stored, 2)
  const [first] = [...store.points.values()]
  assert.equal(first!.payload.text, 'a')
  assert.equal(first!.payload.source_position, 'logs/0@0')
  assert.equal(first!.payload.ingested_at, '2026-01-02T03:04:05.000Z')
  assert.equal(first!.payload.node_type, 'datanode')
  assert.equal(await counterValue(ctx.metrics, 'pointsInserted'), 2)
})

test('dead letters go to the configured dead-letter sink; an empty batch writes no points', async () => {
  const store = createMemoryStore({ dim: 2 })
  const published: DeadLetter[] = []
  const dead: DeadLetter = { kind: 'dead-letter', reason: 'bad-json', detail: 'x', record: record('{', 4, 'logs/0') }
  await firstValueFrom(of(embedded([], [dead])).pipe(sink(createTestContext('sink'), { store, deadLetterSink: { publish: async (d) => void published.push(...d), close: async () => {} } })))
  assert.equal(store.calls.upsert, 0)
  assert.deepEqual(published, [dead])
})

test('a store that fails for a while is retried; the batch is stored once it answers', async () => {
  const store = createMemoryStore({ dim: 2 })
  store.failUpserts(1)
  const out = await firstValueFrom(of(embedded(['a'])).pipe(sink(createTestContext('sink'), { store, delayMs: () => 1 })))
  assert.equal(out.stored, 1)
  assert.equal(store.points.size, 1)
})

test('a point the store refuses is dead-lettered with reason store-rejected and published; the others are stored', async () => {
  const store = createMemoryStore({ dim: 2 })
  const picky = {
    ...store,
    name: 'picky',
    async upsert(points: readonly Point[]) {
      if (points.some((p) => p.payload.text === 'poison')) throw Object.assign(new Error('400 bad payload'), { code: 'STORE_REJECTED' })
      return store.upsert(points)
    },
  }
  const published: DeadLetter[] = []
  const ctx = createTestContext('sink')
  const out = await firstValueFrom(
    of(embedded(['a', 'poison', 'b', 'c'])).pipe(sink(ctx, { store: picky, delayMs: () => 1, deadLetterSink: { publish: async (d) => void published.push(...d), close: async () => {} } })),
  )
  assert.equal(out.stored, 3)
  assert.deepEqual([...store.points.values()].map((p) => p.payload.text).sort(), ['a', 'b', 'c'])
  assert.deepEqual(out.deadLetters.map((d) => d.reason), ['store-rejected'])
  assert.deepEqual(published.map((d) => d.record.offset), [1])
  assert.equal(out.fresh.length + out.deadLetters.length, 4, 'every record is still accounted for')
  assert.equal(out.received, 4)
})

test('a fatal store error (a full disk) fails the batch at once', async () => {
  const store = createMemoryStore({ dim: 2 })
  const full = { ...store, async upsert() { throw Object.assign(new Error('disk full'), { code: 'STORAGE_FULL' }) } }
  await assert.rejects(firstValueFrom(of(embedded(['a'])).pipe(sink(createTestContext('sink'), { store: full, delayMs: () => 1 }))), /disk full/)
})

test('a point copies its entry: the entry is not changed, and a field named __proto__ stays a field of the payload', async () => {
  const { pointOf } = await import('../../operators/sink.ts')
  const e = entry('a', 0)
  const plain = pointOf(e, Float32Array.from([1, 0]), 'now')
  assert.equal((e.entry as unknown as Record<string, unknown>).source_position, undefined, 'the entry is not the payload')
  assert.deepEqual(Object.keys(plain.payload).slice(-2), ['source_position', 'ingested_at'])
  const hostile = { ...e, entry: JSON.parse(`{"__proto__":{"polluted":true},${JSON.stringify(e.entry).slice(1)}`) }
  const p = pointOf(hostile, Float32Array.from([1, 0]), 'now')
  assert.equal(Object.getPrototypeOf(p.payload), Object.prototype)
  assert.deepEqual(Object.getOwnPropertyDescriptor(p.payload, '__proto__')?.value, { polluted: true })
  assert.equal(p.payload.text, 'a')
  assert.equal(p.payload.ingested_at, 'now')
})

/** A store whose upserts wait until the test acknowledges them, in any order. */
function gatedStore() {
  const memory = createMemoryStore({ dim: 2 })
  const waiting: Array<{ texts: string[]; ack: () => void; fail: (err: Error) => void }> = []
  const store = {
    ...memory,
    name: 'gated',
    upsert: (points: readonly Point[]) =>
      new Promise<void>((resolve, reject) => {
        const texts = points.map((p) => p.payload.text)
        waiting.push({ texts, ack: () => void memory.upsert(points).then(resolve, reject), fail: reject })
      }),
  }
  return { store, waiting }
}

const until = (condition: () => boolean) => eventually(condition, 10_000, 1)

test('the next batch goes to the store while the one before waits for its acknowledgement; two at once, and they leave in order', async () => {
  const { store, waiting } = gatedStore()
  const batches = new Subject<EmbeddedBatch>()
  const done = lastValueFrom(batches.pipe(sink(createTestContext('sink'), { store }), toArray()))
  batches.next(embedded(['a']))
  batches.next(embedded(['b']))
  batches.next(embedded(['c']))
  await until(() => waiting.length === 2)
  assert.deepEqual(waiting.map((w) => w.texts), [['a'], ['b']], 'the third batch waits for the first')
  waiting[1]!.ack()
  // The second batch is stored, but it does not leave before the first, nor does it let the third start.
  await new Promise((r) => setImmediate(r))
  assert.equal(waiting.length, 2)
  waiting[0]!.ack()
  await until(() => waiting.length === 3)
  assert.deepEqual(waiting[2]!.texts, ['c'])
  waiting[2]!.ack()
  batches.complete()
  const out = await done
  assert.deepEqual(out.map((b) => b.fresh.map((e) => e.entry.text)), [['a'], ['b'], ['c']])
})

test('once the sink is unsubscribed (the job stopping), a batch still waiting for its turn is never sent', async () => {
  const { store, waiting } = gatedStore()
  const batches = new Subject<EmbeddedBatch>()
  const subscription = batches.pipe(sink(createTestContext('sink'), { store })).subscribe({ error: () => {} })
  batches.next(embedded(['a']))
  batches.next(embedded(['b']))
  batches.next(embedded(['c']))
  await until(() => waiting.length === 2)
  subscription.unsubscribe()
  waiting[0]!.ack()
  waiting[1]!.ack()
  await new Promise((r) => setImmediate(r))
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(waiting.map((w) => w.texts), [['a'], ['b']])
})

test('a batch the store fails for good fails the stream, and the batch that waited for it is never sent', async () => {
  const { store, waiting } = gatedStore()
  const batches = new Subject<EmbeddedBatch>()
  const done = lastValueFrom(batches.pipe(sink(createTestContext('sink'), { store, delayMs: () => 1 }), toArray()))
  batches.next(embedded(['a']))
  batches.next(embedded(['b']))
  batches.next(embedded(['c']))
  await until(() => waiting.length === 2)
  waiting[0]!.fail(Object.assign(new Error('disk full'), { code: 'STORAGE_FULL' }))
  await assert.rejects(done, /disk full/)
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(waiting.map((w) => w.texts), [['a'], ['b']])
})
