import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runIsolated, backoff, type IsolationEvent, type ItemOutcome } from '../../operators/isolate.ts'

const fast = { attempts: 3, delayMs: () => 1, isFatal: (e: unknown) => (e as { code?: string }).code === 'FATAL', signal: new AbortController().signal }
const refuse = (what: string) => Object.assign(new Error(`refused ${what}`), { code: 'REFUSED' })

/** A service that refuses every call holding one of `poison`, and records its calls. */
function service(poison: Set<number>) {
  const calls: number[][] = []
  const work = async (items: readonly number[]): Promise<Array<ItemOutcome<number>>> => {
    calls.push([...items])
    if (items.some((i) => poison.has(i))) throw refuse(items.join(','))
    return items.map((i) => ({ ok: true, value: i * 10 }))
  }
  return { calls, work }
}

test('one poison item in a batch is found by halving; every other item succeeds', async () => {
  const { work, calls } = service(new Set([37]))
  const events: IsolationEvent[] = []
  const items = Array.from({ length: 100 }, (_, i) => i)
  const out = await runIsolated(items, work, { ...fast, probe: async () => true, onEvent: (e) => events.push(e) })
  assert.deepEqual(out.flatMap((o, i) => (o.ok ? [] : [i])), [37])
  assert.deepEqual(out.filter((o) => o.ok).map((o) => (o as { value: number }).value), items.filter((i) => i !== 37).map((i) => i * 10))
  assert.equal(events.filter((e) => e.kind === 'retry').length, 2)
  assert.equal(events.filter((e) => e.kind === 'split').length, 1)
  assert.deepEqual(events.find((e) => e.kind === 'isolated'), { kind: 'isolated', failed: 1, items: 100 })
  // Halving costs about two calls a level, not one call an item.
  assert.ok(calls.length < 3 + 2 * 8 + 2, `${calls.length} calls`)
})

test('a refusal that passes is retried, not dead-lettered', async () => {
  let refusals = 1
  const out = await runIsolated([1, 2, 3], async (items) => {
    if (refusals-- > 0) throw refuse('once')
    return items.map((i) => ({ ok: true as const, value: i }))
  }, { ...fast, probe: async () => true })
  assert.ok(out.every((o) => o.ok))
})

test('items refused one by one get one more try of their own', async () => {
  let badAnswers = 1
  const out = await runIsolated([1, 2, 3], async (items) =>
    items.map((i): ItemOutcome<number> => (i === 2 && badAnswers-- > 0 ? { ok: false, error: refuse('2') } : { ok: true, value: i })),
  { ...fast, probe: async () => true })
  assert.ok(out.every((o) => o.ok))
})

test('a service that refuses everything, a probe too, is waited for, and nothing is dead-lettered', async () => {
  let broken = true
  const events: IsolationEvent[] = []
  let probes = 0
  const out = await runIsolated([1, 2, 3, 4], async (items) => {
    if (broken) throw refuse('all')
    return items.map((i) => ({ ok: true as const, value: i }))
  }, {
    ...fast,
    probe: async () => {
      if (++probes === 3) broken = false
      return !broken
    },
    onEvent: (e) => events.push(e),
  })
  assert.ok(out.every((o) => o.ok))
  assert.ok(events.filter((e) => e.kind === 'systemic').length >= 2)
  assert.equal(events.filter((e) => e.kind === 'isolated').length, 0)
})

test('a single item the service refuses while it answers a probe is dead-lettered', async () => {
  const { work } = service(new Set([5]))
  const out = await runIsolated([5], work, { ...fast, probe: async () => true })
  assert.equal(out.length, 1)
  assert.equal(out[0]!.ok, false)
  assert.match(String((out[0] as { error: Error }).error.message), /refused 5/)
})

test('fatal errors and aborts are thrown at once', async () => {
  await assert.rejects(runIsolated([1, 2], async () => Promise.reject(Object.assign(new Error('disk full'), { code: 'FATAL' })), { ...fast, probe: async () => true }), /disk full/)
  const abort = new AbortController()
  await assert.rejects(
    runIsolated([1, 2], async () => {
      abort.abort(new Error('stopping'))
      throw refuse('x')
    }, { ...fast, signal: abort.signal, probe: async () => true }),
    /refused x|stopping/,
  )
})

test('backoff doubles up to its cap, with jitter in [0.5, 1)', () => {
  const b = backoff(100, 1000, () => 0.999999)
  assert.deepEqual([1, 2, 3, 4, 5].map(b), [100, 200, 400, 800, 1000])
  assert.equal(backoff(100, 1000, () => 0)(3), 200)
})
