import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BodyBuffers } from '../../src/adapters/growing-bytes.ts'
import { upsertBody } from '../../src/adapters/points-json.ts'
import { upsertFrame } from '../../src/adapters/qdrant-proto.ts'
import type { Point } from '../../operators/contracts.ts'

const points = (n: number, from = 0, dim = 384): Point[] =>
  Array.from({ length: n }, (_, k) => ({
    id: `504f1ec0-1db3-8314-a93a-${String(from + k).padStart(12, '0')}`,
    vector: Float32Array.from({ length: dim }, (_, i) => Math.cos((from + k) * 7 + i) / (i + 2)),
    payload: { message: `line ${from + k} ${'é'.repeat(k % 5)}`, log_level: 'INFO', line_number: from + k } as unknown as Point['payload'],
  }))

const encoders = {
  gRPC: (p: readonly Point[], into?: Buffer) => upsertFrame(p, { collection: 'logs_embeddings', wait: true, ordering: 'weak' }, into),
  REST: (p: readonly Point[], into?: Buffer) => upsertBody(p, into),
}

for (const [kind, encode] of Object.entries(encoders)) {
  test(`${kind}: a body written into a buffer given back is byte for byte the body written into a new one, large or small`, () => {
    const pool = new BodyBuffers(2)
    assert.equal(pool.take(), undefined, 'nothing to take before a body is given back')
    const first = encode(points(50))
    pool.give(first)
    const reused = pool.take()!
    assert.equal(reused.buffer, first.buffer, "the next body starts in the answered body's memory")
    // Smaller than the first: written over its start.
    const second = encode(points(20, 100), reused)
    assert.equal(second.buffer, first.buffer)
    assert.deepEqual(second, encode(points(20, 100)))
    // Larger than the buffer: a new one, still the same bytes.
    pool.give(second)
    const third = encode(points(400, 200), pool.take())
    assert.notEqual(third.buffer, first.buffer)
    assert.deepEqual(third, encode(points(400, 200)))
  })
}

test('the pool keeps as many buffers as it is told, and no view into the middle of one', () => {
  const pool = new BodyBuffers(2)
  const bodies = [10, 20, 30].map((n) => encoders.gRPC(points(n)))
  for (const b of bodies) pool.give(b)
  const taken = [pool.take(), pool.take(), pool.take()]
  assert.equal(taken[2], undefined, 'a third buffer was not kept')
  assert.deepEqual(new Set(taken.slice(0, 2).map((b) => b!.buffer)), new Set(bodies.slice(0, 2).map((b) => b.buffer)))
  const whole = Buffer.alloc(100_000)
  pool.give(whole.subarray(10, 20))
  assert.equal(pool.take(), undefined)
})

test("a body's memory is its own, never a slice of Node's shared pool that other buffers are cut from", () => {
  for (const [kind, encode] of Object.entries(encoders)) {
    // Bodies sized under half of Node's pool would be cut from it by Buffer.allocUnsafe.
    const small = encode(points(1, 0, 8))
    assert.ok(small.buffer.byteLength < Buffer.poolSize / 2, `${kind}: small enough for the shared pool`)
    assert.equal(small.byteOffset, 0, kind)
    assert.notEqual(small.buffer, Buffer.allocUnsafe(1).buffer, `${kind}: not the pool that small buffers come from`)
    const pool = new BodyBuffers(1)
    pool.give(small)
    const neighbour = Buffer.from('neighbour')
    encode(points(1, 50, 8), pool.take())
    assert.equal(neighbour.toString(), 'neighbour')
  }
})
