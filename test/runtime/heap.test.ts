import { test } from 'node:test'
import assert from 'node:assert/strict'
import { limitHeapGrowth } from '../../src/runtime/heap.ts'
import { loadConfig } from '../../src/config.ts'
import { ConfigError } from '../../core/errors.ts'

test('the heap growth limit: 200% by default, set from the configuration, 0 leaves V8 its own', () => {
  assert.equal(loadConfig().heapGrowingPercent, 200)
  assert.equal(loadConfig({ env: { LOGSTREAM_HEAP_GROWING_PERCENT: '0' } }).heapGrowingPercent, 0)
  assert.equal(loadConfig({ flags: new Map([['heap-growing-percent', ['300']]]) }).heapGrowingPercent, 300)
  assert.throws(() => loadConfig({ flags: new Map([['heap-growing-percent', ['-5']]]) }), (e: unknown) => e instanceof ConfigError && /heapGrowingPercent/.test(e.message))
  assert.equal(limitHeapGrowth(0), false)
  assert.equal(limitHeapGrowth(100), true)
})
