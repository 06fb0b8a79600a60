import { test } from 'node:test'
import assert from 'node:assert/strict'
import { upsertBody } from '../../src/adapters/points-json.ts'
import type { Point, PointPayload } from '../../operators/contracts.ts'

const payload = (text: string) => ({ text, original_text: text, log_level: 'INFO', source: 's', timestamp: 't', node_type: 'n', label: null, block_id: null, component: null, source_position: 'p@1', ingested_at: 'now' }) as PointPayload

/** Every float32 the body carries reads back as the float32 it was. */
function assertExact(points: Point[]): void {
  const back = JSON.parse(upsertBody(points).toString('utf8')) as { points: Array<{ id: string; vector: number[]; payload: unknown }> }
  assert.equal(back.points.length, points.length)
  back.points.forEach((p, i) => {
    assert.equal(p.id, points[i]!.id)
    assert.deepEqual(p.payload, JSON.parse(JSON.stringify(points[i]!.payload)))
    const want = Float32Array.from(points[i]!.vector)
    assert.equal(p.vector.length, want.length)
    // === as JSON.stringify has it: -0 is written as 0.
    p.vector.forEach((x, j) => assert.ok(Math.fround(x) === want[j], `point ${i} component ${j}: ${x} for ${want[j]}`))
  })
}

test('vector components read back as exactly the float32 values they were, across the whole float32 range', () => {
  const bits = new Uint32Array(50_000)
  const floats = new Float32Array(bits.buffer)
  let seed = 12345
  for (let i = 0; i < bits.length; i++) {
    do {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      bits[i] = seed
    } while (!Number.isFinite(floats[i]))
  }
  const edges = Float32Array.from([0, -0, 1, -1, 1e-6, -1e-6, 9.999999e-7, 0.1, 0.01, 0.001, 0.099999994, 0.99999994, 0.9999999999, 1.4e-45, 1.1754943508222875e-38, 3.4028234663852886e38, 123456.789, 1e9, 0.5, 2.5e-5])
  const unit = new Float32Array(384).map((_, i) => Math.sin(i + 1) / 14)
  // What embeddings hold: magnitudes spread over [1e-7, 1), where the digits are written without JavaScript's printer.
  const spread = new Float32Array(50_000).map((_, i) => (i % 2 ? -1 : 1) * 10 ** (-7 * ((Math.imul(i + 1, 2654435761) >>> 0) / 2 ** 32)))
  assertExact([
    { id: 'random-bits', vector: floats, payload: payload('a') },
    { id: 'edges', vector: edges, payload: payload('b') },
    { id: 'embedding-like', vector: unit, payload: payload('c') },
    { id: 'magnitudes-below-one', vector: spread, payload: payload('e') },
    { id: 'plain numbers', vector: [0.1, 1 / 3, -2], payload: payload('d') },
  ])
})

test('ids and payloads are JSON as JSON.stringify writes them, unicode included; the body is smaller than JSON.stringify makes it', () => {
  const vector = new Float32Array(384).map((_, i) => Math.cos(i) / 14)
  const points: Point[] = [{ id: '504f1ec0-1db3-8314-a93a-6491a872661e', vector, payload: { ...payload('é 日本 "quoted" \\ \u2028 😀'), extra: { nested: [1, 'two'] } } }]
  assertExact(points)
  const plain = JSON.stringify({ points: points.map((p) => ({ ...p, vector: Array.from(p.vector) })) })
  assert.ok(upsertBody(points).length < plain.length * 0.8, `${upsertBody(points).length} bytes against ${plain.length}`)
})

test('a vector holding a non-finite number is refused, not written as null', () => {
  assert.throws(() => upsertBody([{ id: 'x', vector: Float32Array.from([1, Number.NaN]), payload: payload('x') }]), RangeError)
  assert.throws(() => upsertBody([{ id: 'y', vector: [Number.POSITIVE_INFINITY], payload: payload('y') }]), RangeError)
})

test('a vector shared by several points is written whole for each, also when the body grows between them', () => {
  const shared = new Float32Array(384).map((_, i) => Math.cos(i + 1) / 20)
  const other = new Float32Array(384).map((_, i) => Math.sin(i + 2) / 20)
  // Payloads long enough that the body outgrows its first buffer between the points sharing a vector.
  const long = (n: number) => payload(`${n} `.repeat(3000))
  const points: Point[] = [
    { id: 'a', vector: shared, payload: long(1) },
    { id: 'b', vector: other, payload: payload('b') },
    { id: 'c', vector: shared, payload: long(2) },
    { id: 'd', vector: shared, payload: payload('d') },
  ]
  assertExact(points)
  const copies = points.map((p) => ({ ...p, vector: Float32Array.from(p.vector) }))
  assert.deepEqual(upsertBody(points, Buffer.alloc(64)), upsertBody(copies))
})

test('zero components, -0 among them, are written as 0, as JSON.stringify writes them', () => {
  const vector = Float32Array.from([0, -0, 0.5, 0, -0.25, -0])
  const body = upsertBody([{ id: 'z', vector, payload: payload('z') }]).toString('utf8')
  assert.ok(body.includes('"vector":[0,0,0.5,0,-0.25,0]'), body)
  assert.ok(body.includes(`"vector":${JSON.stringify(Array.from(vector))}`), body)
})
