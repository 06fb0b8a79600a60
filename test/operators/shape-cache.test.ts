import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ShapeCache } from '../../operators/shape-cache.ts'

test('a shape is known until its time to live is over, then asked again', () => {
  const cache = new ShapeCache(10, 1000)
  assert.equal(cache.has('a', 0), false)
  cache.add('a', 0)
  assert.equal(cache.has('a', 999), true)
  assert.equal(cache.has('a', 1000), false, 'stale: points may have left the store since')
  assert.equal(cache.has('a', 1001), false, 'and forgotten')
  cache.add('a', 1001)
  assert.equal(cache.has('a', 1500), true)
})

test('bounded: the least recently used shape goes first; capacity 0 remembers nothing', () => {
  const cache = new ShapeCache(2, 10_000)
  cache.add('a', 0)
  cache.add('b', 0)
  assert.equal(cache.has('a', 1), true)
  cache.add('c', 2)
  assert.equal(cache.size, 2)
  assert.equal(cache.has('b', 3), false, 'b was used least recently')
  assert.equal(cache.has('a', 3), true)
  assert.equal(cache.has('c', 3), true)
  const none = new ShapeCache(0)
  none.add('a', 0)
  assert.equal(none.has('a', 1), false)
  assert.equal(none.size, 0)
})
