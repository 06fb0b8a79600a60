import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backoffDelay, retry, shouldRetry } from '../../src/runtime/retry.ts'

const transient = (msg = 'down') => Object.assign(new Error(msg), { retryable: true })

test('retries retryable errors with growing delays until it succeeds', async () => {
  const delays: number[] = []
  let calls = 0
  const out = await retry(async () => (++calls < 4 ? Promise.reject(transient()) : 'ok'), { initialDelayMs: 1, random: () => 1, onRetry: (_e, _a, d) => delays.push(d), maxAttempts: 10 })
  assert.equal(out, 'ok')
  assert.equal(calls, 4)
  assert.deepEqual(delays, [1, 2, 4])
})

test('never retries programming errors or errors that are not retryable', async () => {
  for (const err of [new TypeError('bug'), new RangeError('bug'), Object.assign(new Error('400'), { retryable: false }), new Error('plain')]) {
    let calls = 0
    await assert.rejects(retry(async () => (calls++, Promise.reject(err)), { initialDelayMs: 1 }))
    assert.equal(calls, 1)
  }
  assert.equal(shouldRetry(Object.assign(new TypeError('x'), { retryable: true })), false)
})

test('a Retry-After hint is the delay', async () => {
  const delays: number[] = []
  let calls = 0
  await retry(async () => (++calls < 2 ? Promise.reject(Object.assign(transient(), { retryAfterMs: 7 })) : 1), { onRetry: (_e, _a, d) => delays.push(d) })
  assert.deepEqual(delays, [7])
})

test('gives up after its attempts, and stops when aborted', async () => {
  let calls = 0
  await assert.rejects(retry(async () => (calls++, Promise.reject(transient('last'))), { maxAttempts: 3, initialDelayMs: 1 }), /last/)
  assert.equal(calls, 3)
  const ac = new AbortController()
  setTimeout(() => ac.abort(), 30)
  await assert.rejects(retry(async () => Promise.reject(transient()), { maxAttempts: Infinity, initialDelayMs: 10, signal: ac.signal }), { code: 'ABORTED' })
})

test('backoff is capped and jittered', () => {
  assert.equal(backoffDelay(20, { initialDelayMs: 100, maxDelayMs: 1000, random: () => 1 }), 1000)
  assert.equal(backoffDelay(3, { initialDelayMs: 100, random: () => 0.5 }), 200)
})
