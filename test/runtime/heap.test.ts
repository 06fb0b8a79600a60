import { test } from 'node:test'
import assert from 'node:assert/strict'
import { limitHeapGrowth } from '../../src/runtime/heap.ts'

test('the heap growth limit is set unless the process was given one of its own', () => {
  assert.equal(limitHeapGrowth(100, ['--enable-source-maps', '--max-old-space-size=512']), true)
  assert.equal(limitHeapGrowth(100, ['--heap-growing-percent=300']), false)
  assert.equal(limitHeapGrowth(100, ['--heap_growing_percent=300']), false)
  assert.equal(limitHeapGrowth(100, ['--heap-growing-percent', '300']), false)
  assert.equal(limitHeapGrowth(100, ['--heap-growing-percentage=5']), true)
})
