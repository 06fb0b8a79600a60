import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lastValueFrom, Subject, toArray } from 'rxjs'
import { coalescedExistence } from '../../operators/existence-lookups.ts'
import { dedup } from '../../operators/dedup.ts'
import { RecentIds } from '../../operators/recent-ids.ts'
import { createTestContext } from '../helpers/context.ts'
import { batchOf, entry } from '../helpers/batches.ts'
import type { Batch } from '../../operators/contracts.ts'

/** A store look-up answered by hand: each call waits until the test answers it. */
function manualStore(stored: ReadonlySet<string>) {
  const calls: Array<{ ids: readonly string[]; answer(): void; fail(err: Error): void }> = []
  return {
    calls,
    existing(ids: readonly string[]): Promise<Set<string>> {
      return new Promise((resolve, reject) => calls.push({ ids, answer: () => resolve(new Set(ids.filter((id) => stored.has(id)))), fail: reject }))
    },
  }
}

const settle = () => new Promise((r) => setImmediate(r))

test('look-ups asked while others are in flight go together, at most `concurrency` requests at a time; each caller gets its own ids', async () => {
  const store = manualStore(new Set(['a', 'd', 'f']))
  const existing = coalescedExistence((ids) => store.existing(ids), { maxIds: 4, concurrency: 1 })
  const first = existing(['a', 'b'])
  await settle()
  const rest = [existing(['c', 'd']), existing(['e', 'f']), existing(['g', 'h', 'i'])]
  await settle()
  assert.equal(store.calls.length, 1, 'one request in flight at most')
  store.calls[0]!.answer()
  assert.deepEqual([...(await first)], ['a'])
  await settle()
  assert.deepEqual(store.calls[1]!.ids, ['c', 'd', 'e', 'f'], 'the two that fit in 4 ids went together')
  store.calls[1]!.answer()
  await settle()
  store.calls[2]!.answer()
  const [cd, ef, ghi] = await Promise.all(rest)
  assert.deepEqual([[...cd!], [...ef!], [...ghi!]], [['d'], ['f'], []])
  assert.equal(store.calls.length, 3)
})

test('a failed request fails every look-up it carried, and the next ones still go', async () => {
  const store = manualStore(new Set(['x']))
  const existing = coalescedExistence((ids) => store.existing(ids), { maxIds: 100, concurrency: 1 })
  const blocker = existing(['z'])
  await settle()
  const a = existing(['x'])
  const b = existing(['y'])
  await settle()
  store.calls[0]!.answer()
  await blocker
  await settle()
  store.calls[1]!.fail(new Error('store down for good'))
  await assert.rejects(a, /down for good/)
  await assert.rejects(b, /down for good/)
  const c = existing(['x'])
  await settle()
  store.calls[2]!.answer()
  assert.deepEqual([...(await c)], ['x'])
})

test('dedup starts the look-ups of the batches in flight without waiting for the ones before, and emits the batches in order', async () => {
  const stored = entry('stored', 0)
  const store = manualStore(new Set([stored.id]))
  const ctx = createTestContext('dedup')
  const batches = new Subject<Batch>()
  const out = lastValueFrom(batches.pipe(dedup(ctx, { store, recent: new RecentIds(100), lookupIds: 2, lookupConcurrency: 2 }), toArray()))
  batches.next(batchOf([entry('a', 1), stored], 0))
  batches.next(batchOf([entry('b', 2)], 1))
  batches.next(batchOf([entry('c', 3), entry('a', 4)], 2))
  batches.complete()
  await settle()
  // Two requests in flight before any answer: the first batch's ids, then the second's and third's together;
  // the third batch's 'a' was claimed by the first batch as it came and is not looked up again.
  assert.deepEqual(store.calls.map((c) => c.ids), [[entry('a', 1).id, stored.id], [entry('b', 2).id, entry('c', 3).id]])
  store.calls[1]!.answer()
  await settle()
  store.calls[0]!.answer()
  const [first, second, third] = await out
  assert.deepEqual([first!.seq, second!.seq, third!.seq], [0, 1, 2])
  assert.deepEqual(first!.fresh.map((e) => e.entry.text), ['a'])
  assert.equal(first!.skippedExisting, 1)
  assert.deepEqual(second!.fresh.map((e) => e.entry.text), ['b'])
  assert.deepEqual(third!.fresh.map((e) => e.entry.text), ['c'])
  assert.equal(third!.skippedExisting, 1)
})
