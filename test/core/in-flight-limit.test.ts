import { test } from 'node:test'
import assert from 'node:assert/strict'
import { InFlightLimit } from '../../core/in-flight-limit.ts'

/** A task that runs until the test ends it, and says when it started. */
function held(log: string[], name: string) {
  let end!: (failed?: boolean) => void
  const task = () =>
    new Promise<string>((resolve, reject) => {
      log.push(name)
      end = (failed) => (failed ? reject(new Error(`${name} failed`)) : resolve(name))
    })
  return { task, end: (failed?: boolean) => end(failed) }
}

const turn = () => new Promise((r) => setImmediate(r))

test('at most max tasks run at once; a waiting task of an earlier order starts first, then the ones that came first', async () => {
  const limit = new InFlightLimit(2)
  const started: string[] = []
  const a = held(started, 'a1')
  const b = held(started, 'a2')
  const c = held(started, 'b1')
  const d = held(started, 'b2')
  const e = held(started, 'a3')
  const runs = [limit.run(0, a.task), limit.run(0, b.task), limit.run(1, c.task), limit.run(1, d.task), limit.run(0, e.task)]
  // Read at the end: a2's failure is not unhandled meanwhile.
  for (const r of runs) r.catch(() => {})
  await turn()
  assert.deepEqual(started, ['a1', 'a2'])
  a.end()
  await turn()
  assert.deepEqual(started, ['a1', 'a2', 'a3'], 'the task of order 0 goes before those of order 1 that came earlier')
  b.end(true)
  await turn()
  assert.deepEqual(started, ['a1', 'a2', 'a3', 'b1'], 'a failed task gives its slot back too')
  e.end()
  await turn()
  assert.deepEqual(started, ['a1', 'a2', 'a3', 'b1', 'b2'])
  c.end()
  d.end()
  const settled = await Promise.allSettled(runs)
  assert.deepEqual(
    settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
  )
})

test('a limit never runs more than max, whatever the number of callers', async () => {
  const limit = new InFlightLimit(3)
  let running = 0
  let most = 0
  const task = async () => {
    running++
    most = Math.max(most, running)
    await turn()
    running--
  }
  await Promise.all(Array.from({ length: 50 }, (_, i) => limit.run(i % 4, task)))
  assert.equal(most, 3)
  assert.equal(running, 0)
})
