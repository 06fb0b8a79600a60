import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstValueFrom, lastValueFrom, of, toArray } from 'rxjs'
import { dedup } from '../../operators/dedup.ts'
import { RecentIds } from '../../operators/recent-ids.ts'
import { createMemoryStore } from '../helpers/memory-store.ts'
import { counterValue, createTestContext, record } from '../helpers/context.ts'
import { batchOf, entry } from '../helpers/batches.ts'

test('duplicates inside a batch are dropped and stored ids are skipped', async () => {
  const store = createMemoryStore({ dim: 2 })
  const stored = entry('already stored', 9)
  await store.upsert([{ id: stored.id, vector: [1, 0], payload: { ...stored.entry, source_position: '', ingested_at: '' } }])
  const ctx = createTestContext('dedup')
  const batch = batchOf([entry('a', 0), entry('b', 1), entry('a', 2), entry('already stored', 3)])
  const out = await firstValueFrom(of(batch).pipe(dedup(ctx, { store, recent: new RecentIds(100) })))
  assert.deepEqual(out.fresh.map((e) => e.entry.text), ['a', 'b'])
  assert.equal(out.duplicatesInBatch, 1)
  assert.equal(out.skippedExisting, 1)
  assert.equal(store.calls.existing, 1)
  assert.equal(store.calls.idsLookedUp, 3)
  assert.equal(await counterValue(ctx.metrics, 'entriesNew'), 2)
  assert.equal(await counterValue(ctx.metrics, 'duplicatesInBatch'), 1)
  assert.equal(await counterValue(ctx.metrics, 'entriesSkippedExisting'), 1)
})

test('ids in the recent cache cost no store look-up, and a later batch in flight never re-embeds them', async () => {
  const store = createMemoryStore({ dim: 2 })
  const recent = new RecentIds(100)
  const ctx = createTestContext('dedup')
  const [first, second] = await lastValueFrom(
    of(batchOf([entry('x', 0), entry('y', 1)]), batchOf([entry('x', 2), entry('y', 3)], 1)).pipe(dedup(ctx, { store, recent }), toArray()),
  )
  assert.equal(first!.fresh.length, 2)
  assert.equal(second!.fresh.length, 0)
  assert.equal(second!.skippedExisting, 2)
  assert.equal(store.calls.existing, 1, 'the second batch needs no look-up')
})

test('a deduped batch holds its fresh entries only, and the count and source times of all it received', async () => {
  const recent = new RecentIds(100)
  recent.claim(entry('stored before', 0).id)
  const untimed = { ...entry('no source time', 3), record: record('{}', 3, 'logs/0') }
  const entries = [entry('stored before', 0), entry('new', 1), entry('new', 2), untimed]
  const dead = { kind: 'dead-letter' as const, reason: 'empty' as const, detail: 'empty message', record: record('', 4, 'logs/0') }
  const batch = { ...batchOf(entries), deadLetters: [dead] }
  const out = await firstValueFrom(of(batch).pipe(dedup(createTestContext('dedup'), { store: createMemoryStore({ dim: 2 }), recent })))
  assert.deepEqual(out.fresh.map((e) => e.entry.text), ['new', 'no source time'])
  assert.equal('entries' in out, false, 'the duplicate and the stored entry are not held until the commit')
  assert.equal(out.received, 5)
  assert.deepEqual([...out.sourceTimesMs.slice(0, 3)], entries.slice(0, 3).map((e) => e.record.timestampMs))
  assert.ok(Number.isNaN(out.sourceTimesMs[3]), 'a record without a source time has none')
  assert.deepEqual(out.deadLetters, [dead])
})

test('while the cache holds every id the store holds, nothing is looked up; once it has dropped one, or the store no longer knows, ids are looked up again', async () => {
  const store = createMemoryStore({ dim: 2 })
  let knowsAll = true
  const wholeStore = Object.assign(store, { knowsAllIds: () => knowsAll })
  const recent = new RecentIds(3)
  const ctx = createTestContext('dedup')
  const run = (texts: string[], seq: number) => firstValueFrom(of(batchOf(texts.map((t, i) => entry(t, seq * 10 + i)), seq)).pipe(dedup(ctx, { store: wholeStore, recent })))

  const first = await run(['a', 'b'], 0)
  assert.deepEqual(first.fresh.map((e) => e.entry.text), ['a', 'b'])
  assert.equal(store.calls.existing, 0, 'the store and the cache both hold nothing yet')

  knowsAll = false
  const second = await run(['c'], 1)
  assert.equal(second.fresh.length, 1)
  assert.equal(store.calls.existing, 1, 'another writer: the store is asked')

  knowsAll = true
  // 'd' takes the room of 'a', the oldest: from then on the cache no longer holds all, starting with the batch that made it drop one.
  await run(['d'], 2)
  assert.equal(store.calls.existing, 2, 'an id one of its own claims could have pushed out is looked up')
  const stored = entry('a', 99)
  await store.upsert([{ id: stored.id, vector: [1, 0], payload: { ...stored.entry, source_position: '', ingested_at: '' } }])
  const fourth = await run(['a'], 3)
  assert.equal(store.calls.existing, 3, 'an id dropped from the cache is looked up')
  assert.equal(fourth.fresh.length, 0)
  assert.equal(fourth.skippedExisting, 1)
})
