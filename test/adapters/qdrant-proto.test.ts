/**
 * The hand-written gRPC upsert, read back with Qdrant's official generated
 * schema (`@qdrant/js-client-grpc`, a test dependency only): every field where
 * Qdrant's points.proto puts it, and payloads as Qdrant reads the same payload
 * sent as JSON.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { create, fromBinary, toBinary } from '@bufbuild/protobuf'
import { PointsOperationResponseSchema, UpdateStatus, UpsertPointsSchema, WriteOrderingType, type Value } from '@qdrant/js-client-grpc'
import { updateStatusOf, upsertFrame } from '../../src/adapters/qdrant-proto.ts'
import type { Point } from '../../operators/contracts.ts'

/** A decoded `qdrant.Value` as the JSON value it stands for, with integers told from other numbers. */
function jsonOf(v: Value): unknown {
  const k = v.kind
  switch (k.case) {
    case 'nullValue':
      return null
    case 'doubleValue':
      return { double: k.value }
    case 'integerValue':
      return { integer: Number(k.value) }
    case 'stringValue':
    case 'boolValue':
      return k.value
    case 'structValue':
      return Object.fromEntries(Object.entries(k.value.fields).map(([key, x]) => [key, jsonOf(x)]))
    case 'listValue':
      return k.value.values.map(jsonOf)
    default:
      throw new Error(`a Value with no kind`)
  }
}

/** What `jsonOf` gives for a payload sent as JSON: its numbers tagged as serde_json reads them. */
function expected(v: unknown): unknown {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? { integer: v } : { double: v }
  if (Array.isArray(v)) return v.map(expected)
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expected(x)]))
  return v
}

const decode = (frame: Buffer) => {
  assert.equal(frame[0], 0, 'an uncompressed gRPC message')
  assert.equal(frame.readUInt32BE(1), frame.length - 5, 'the prefix holds the message length')
  return fromBinary(UpsertPointsSchema, frame.subarray(5))
}

const vectorOf = (n: number, dim = 384) => Float32Array.from({ length: dim }, (_, i) => Math.sin(n * 31 + i) / (i + 1))

test('an upsert decodes with the official schema: collection, wait, ordering, ids, float32 vectors bit for bit', () => {
  const points: Point[] = [0, 1, 2].map((n) => ({
    id: `504f1ec0-1db3-8314-a93a-6491a87266${String(n).padStart(2, '0')}`,
    vector: vectorOf(n),
    payload: { text: `line ${n}`, log_level: 'INFO' } as unknown as Point['payload'],
  }))
  for (const ordering of ['weak', 'medium', 'strong'] as const) {
    const m = decode(upsertFrame(points, { collection: 'logs_embeddings', wait: true, ordering }))
    assert.equal(m.collectionName, 'logs_embeddings')
    assert.equal(m.wait, true)
    assert.equal(m.ordering?.type, { weak: WriteOrderingType.Weak, medium: WriteOrderingType.Medium, strong: WriteOrderingType.Strong }[ordering])
    assert.equal(m.points.length, 3)
    m.points.forEach((p, i) => {
      assert.deepEqual(p.id?.pointIdOptions, { case: 'uuid', value: points[i]!.id })
      const options = p.vectors?.vectorsOptions
      assert.equal(options?.case, 'vector')
      const dense = options?.case === 'vector' && options.value.vector.case === 'dense' ? options.value.vector.value.data : undefined
      assert.ok(dense, 'a dense vector')
      assert.deepEqual(Float32Array.from(dense), points[i]!.vector)
      assert.deepEqual(Object.fromEntries(Object.entries(p.payload).map(([k, v]) => [k, jsonOf(v)])), points[i]!.payload)
    })
  }
  assert.equal(decode(upsertFrame(points, { collection: 'c', wait: false, ordering: 'weak' })).wait, false)
})

test('payload values are what Qdrant reads from the same payload as JSON: integers, doubles, nulls, nesting, unicode, long strings', () => {
  const payload = {
    text: 'ünïcödé ✓ 日本語 🚀',
    long: 'x'.repeat(70_000),
    fortyTwo: 'é'.repeat(42),
    threeBytes42: '✓'.repeat(42),
    threeBytes50: '✓'.repeat(50),
    count: 42,
    negative: -7,
    zero: 0,
    big: 2 ** 53 - 1,
    tooBig: 2 ** 60,
    ratio: 0.125,
    tiny: -1.5e-300,
    notFinite: Number.NaN,
    infinite: Number.NEGATIVE_INFINITY,
    yes: true,
    no: false,
    nothing: null,
    empty: '',
    left: undefined,
    nested: { a: [1, 'two', null, { b: 2.5 }], c: {} },
    list: [undefined, 3],
    when: new Date(Date.UTC(2008, 10, 9, 20, 36, 15)),
  }
  const m = decode(upsertFrame([{ id: '504f1ec0-1db3-8314-a93a-6491a872661e', vector: vectorOf(9, 8), payload: payload as unknown as Point['payload'] }], { collection: 'c', wait: true, ordering: 'weak' }))
  const decoded = Object.fromEntries(Object.entries(m.points[0]!.payload).map(([k, v]) => [k, jsonOf(v)]))
  assert.deepEqual(decoded, expected(JSON.parse(JSON.stringify(payload))))
  assert.equal('left' in decoded, false, 'an undefined field is left out, as JSON leaves it out')
})

test('plain-number vectors are sent as float32; a non-finite component is refused, not sent', () => {
  const m = decode(upsertFrame([{ id: 'a', vector: [0.1, 1 / 3, -2], payload: {} as Point['payload'] }], { collection: 'c', wait: true, ordering: 'weak' }))
  const options = m.points[0]!.vectors!.vectorsOptions
  assert.ok(options.case === 'vector' && options.value.vector.case === 'dense')
  assert.deepEqual(options.value.vector.value.data, [...Float32Array.from([0.1, 1 / 3, -2])])
  assert.throws(() => upsertFrame([{ id: 'x', vector: Float32Array.from([1, Number.NaN]), payload: {} as Point['payload'] }], { collection: 'c', wait: true, ordering: 'weak' }), RangeError)
  assert.throws(() => upsertFrame([{ id: 'y', vector: [Number.POSITIVE_INFINITY, 0], payload: {} as Point['payload'] }], { collection: 'c', wait: true, ordering: 'weak' }), RangeError)
})

test('the status of an answer written by the official encoder, whatever else it holds', () => {
  for (const status of [UpdateStatus.Completed, UpdateStatus.Acknowledged, UpdateStatus.ClockRejected]) {
    const answer = toBinary(PointsOperationResponseSchema, create(PointsOperationResponseSchema, { result: { operationId: 2n ** 40n, status }, time: 0.0042, usage: { hardware: { cpu: 7n } } }))
    assert.equal(updateStatusOf(answer), status)
  }
  assert.equal(updateStatusOf(new Uint8Array(0)), 0)
  assert.throws(() => updateStatusOf(Uint8Array.from([0x0a, 0x05, 0x08])), RangeError)
})
