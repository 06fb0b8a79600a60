import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ShapeCache } from '../../operators/shape-cache.ts'
import { rarityScore } from '../../operators/rarity.ts'

const v = (...xs: number[]) => Float32Array.from(xs)

test('an entry is what the store answered, then takes in every scored batch: the score it gives is the one a new query would', () => {
  const cache = new ShapeCache(10, 1000)
  assert.equal(cache.get('a', 0), undefined)
  cache.put('a', v(1, 0), [0.9, 0.8], 0)
  assert.deepEqual(cache.get('a', 1), [0.9, 0.8])
  // A batch of three lines of shape a, two of a shape near it and one far from it.
  cache.merge([
    { shape: 'a', vector: v(1, 0), count: 3 },
    { shape: 'b', vector: v(0.8, 0.6), count: 2 },
    { shape: 'c', vector: v(0, 1), count: 1 },
  ])
  const merged = cache.get('a', 2) as number[]
  assert.deepEqual(merged.map((x) => Number(x.toFixed(6))), [1, 1, 1, 0.9, 0.8, 0.8, 0.8], 'its own lines at 1, b at 0.8, c not at all (below 0.7)')
  assert.equal(rarityScore(merged), rarityScore([0.9, 0.8, 1, 1, 1, 0.8, 0.8]))
})

test('an entry is trusted until its time to live is over, then the store is asked again', () => {
  const cache = new ShapeCache(10, 1000)
  cache.put('a', v(1, 0), [0.5], 0)
  assert.ok(cache.get('a', 999))
  assert.equal(cache.get('a', 1000), undefined, 'stale: points may have left the store since')
  assert.equal(cache.get('a', 1001), undefined, 'and forgotten')
})

test('a shape with 100 near-identical stored lines scores 0 for good: saturated, by a query or by merging', () => {
  const cache = new ShapeCache(10, 10_000)
  cache.put('full', v(1, 0), Array(100).fill(0.99), 0)
  assert.equal(cache.get('full', 1), 'zero')
  cache.put('filling', v(0, 1), Array(60).fill(1), 0)
  cache.merge([{ shape: 'filling', vector: v(0, 1), count: 39 }])
  assert.notEqual(cache.get('filling', 1), 'zero')
  cache.merge([{ shape: 'filling', vector: v(0, 1), count: 1 }])
  assert.equal(cache.get('filling', 1), 'zero')
})

test('bounded: the least recently used entry goes first, unsaturated ones beyond their own bound; capacity 0 keeps nothing', () => {
  const cache = new ShapeCache(2, 10_000)
  cache.put('a', v(1, 0), [], 0)
  cache.put('b', v(0, 1), [], 0)
  assert.ok(cache.get('a', 1))
  cache.put('c', v(1, 1), [], 2)
  assert.equal(cache.size, 2)
  assert.equal(cache.get('b', 3), undefined, 'b was used least recently')
  assert.ok(cache.get('a', 3) && cache.get('c', 3))
  const merged = new ShapeCache(10, 10_000, 1)
  merged.put('full', v(1, 0), Array(100).fill(1), 0)
  merged.put('x', v(0, 1), [0.8], 0)
  merged.put('y', v(1, 1), [0.8], 0)
  assert.equal(merged.get('x', 1), undefined, 'one unsaturated entry at most')
  assert.deepEqual([merged.get('full', 1), merged.get('y', 1)], ['zero', [0.8]])
  const none = new ShapeCache(0)
  none.put('a', v(1, 0), [], 0)
  assert.equal(none.get('a', 1), undefined)
  assert.equal(none.size, 0)
})

test("an entry keeps a copy of its vector: a view of an embedder's answer buffer, reused after, changes nothing", () => {
  const cache = new ShapeCache(10, 1000)
  const answer = new Float32Array([1, 0, 0, 1])
  cache.put('a', answer.subarray(0, 2), [0.5], 0)
  // The answer's buffer written over (as a reused or pooled buffer would be): the entry still stands for (1, 0).
  answer.set([0, 1, 0, 1])
  cache.merge([{ shape: 'b', vector: v(1, 0), count: 1 }])
  assert.deepEqual(cache.get('a', 1), [1, 0.5], 'b is (1, 0) itself: similarity 1 to the entry, not 0')
})
