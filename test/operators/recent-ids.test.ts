import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { RecentIds } from '../../operators/recent-ids.ts'
import { pointId } from '../../operators/point-id.ts'

/** The behaviour RecentIds keeps: a Set in age order, re-adding moves to the young end. */
class Reference {
  readonly ids = new Set<string>()
  constructor(readonly capacity: number) {}
  add(id: string): void {
    if (this.capacity === 0) return
    this.ids.delete(id)
    this.ids.add(id)
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value!)
  }
}

test('recent ids: the oldest falls out, re-adding keeps an id young, delete forgets', () => {
  const recent = new RecentIds(2)
  recent.add('a')
  recent.add('b')
  recent.add('a')
  assert.ok(recent.keptAll, 'full, and nothing dropped yet')
  recent.add('c')
  assert.equal(recent.size, 2)
  assert.ok(recent.has('a') && recent.has('c') && !recent.has('b'))
  assert.ok(!recent.keptAll, "'b' fell out")
  recent.delete('a')
  assert.ok(!recent.has('a') && recent.has('c'))
  assert.equal(recent.size, 1)
  recent.clear()
  assert.equal(recent.size, 0)
  assert.ok(!recent.has('c'))
})

test('recent ids: an id deleted is not one dropped; clearing drops them all', () => {
  const recent = new RecentIds(2)
  recent.add('a')
  recent.delete('a')
  recent.add('b')
  recent.add('c')
  assert.ok(recent.keptAll)
  recent.clear()
  assert.ok(!recent.keptAll)
})

test('recent ids: a point id and its uppercase spelling are different ids', () => {
  const id = pointId('PacketResponder 1 for block blk_38865049064139660 terminating', '2008-11-09T20:36:15')
  const recent = new RecentIds(10)
  recent.add(id)
  assert.ok(recent.has(id))
  assert.ok(!recent.has(id.toUpperCase()))
  assert.ok(!recent.has(id.replace(/-/g, '')))
  recent.add(id.toUpperCase())
  assert.equal(recent.size, 2)
})

test('recent ids: random adds, deletes and look-ups agree with a Set in age order', () => {
  for (const capacity of [1, 3, 17, 500]) {
    const recent = new RecentIds(capacity)
    const ref = new Reference(capacity)
    // A small pool, so ids come back after they fell out, and a mix of point ids, other UUIDs and other strings.
    const pool = Array.from({ length: capacity * 3 + 5 }, (_, i) => (i % 3 === 0 ? pointId(`line ${i}`, 't') : i % 3 === 1 ? randomUUID() : `id-${i}`))
    let seed = capacity
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed)
    for (let step = 0; step < 20_000; step++) {
      const id = pool[next() % pool.length]!
      const op = next() % 10
      if (op < 4) {
        recent.add(id)
        ref.add(id)
      } else if (op < 6) {
        // claim answers whether the id was there, and adds it either way.
        assert.equal(recent.claim(id), ref.ids.has(id), `claim(${id}) at step ${step}, capacity ${capacity}`)
        ref.add(id)
      } else if (op < 8) {
        recent.delete(id)
        ref.ids.delete(id)
      } else assert.equal(recent.has(id), ref.ids.has(id), `has(${id}) at step ${step}, capacity ${capacity}`)
      assert.equal(recent.size, ref.ids.size)
    }
    for (const id of pool) assert.equal(recent.has(id), ref.ids.has(id), `capacity ${capacity}: ${id}`)
  }
})

test('recent ids: a capacity of 0 holds nothing', () => {
  const none = new RecentIds(0)
  none.add('a')
  assert.equal(none.claim('a'), false)
  assert.ok(!none.keptAll, 'it keeps nothing it is given')
  assert.equal(none.size, 0)
  assert.ok(!none.has('a'))
  none.delete('a')
})

test('recent ids: holds its capacity of point ids exactly', () => {
  const recent = new RecentIds(200_000)
  const ids = Array.from({ length: 250_000 }, (_, i) => pointId(`message ${i}`, '2025-01-01T00:00:00'))
  for (const id of ids) recent.add(id)
  assert.equal(recent.size, 200_000)
  assert.ok(ids.slice(0, 50_000).every((id) => !recent.has(id)))
  assert.ok(ids.slice(50_000).every((id) => recent.has(id)))
})

/** A point id's 16 bytes, as the embedded store keeps them. */
const bytesOf = (id: string) => Buffer.from(id.replaceAll('-', ''), 'hex')

test('recent ids: ids added as packed bytes are the ids their UUIDs name, oldest first, within the capacity', () => {
  const ids = Array.from({ length: 8 }, (_, i) => pointId(`line ${i}`, 't'))
  const recent = new RecentIds(5)
  recent.add(ids[0]!)
  recent.addPacked(Buffer.concat(ids.map(bytesOf)))
  assert.equal(recent.size, 5)
  // The newest five stay; ids[0], added first and packed again as the oldest, fell out with ids[1] and ids[2].
  for (const [i, id] of ids.entries()) assert.equal(recent.has(id), i >= 3, `id ${i}`)
  assert.equal(recent.claim(ids[7]!), true, 'a packed id is found by its text')
  assert.equal(recent.has(ids[7]!.toUpperCase()), false, 'and only by the spelling every store uses')
  // A packed id is the same key as its text: adding the text again does not add a second entry.
  recent.add(ids[4]!)
  assert.equal(recent.size, 5)
  // Packed bytes at an offset into a larger buffer.
  const inner = new RecentIds(4)
  const packed = Buffer.concat([Buffer.alloc(3), ...ids.slice(0, 2).map(bytesOf)]).subarray(3)
  inner.addPacked(packed)
  assert.ok(inner.has(ids[0]!) && inner.has(ids[1]!) && inner.size === 2)
  assert.throws(() => inner.addPacked(new Uint8Array(17)), RangeError)
  const none = new RecentIds(0)
  none.addPacked(bytesOf(ids[0]!))
  assert.equal(none.size, 0)
})
