import { test } from 'node:test'
import assert from 'node:assert/strict'
import { vectorFromBase64, vectorsFromBase64, vectorToBase64 } from '../../src/adapters/vector-base64.ts'

const sample = Float32Array.from({ length: 384 }, (_, i) => Math.sin(i * 0.37) / (i + 1))

test('a vector read back from base64 is the same float32s, bit for bit', () => {
  const back = vectorFromBase64(vectorToBase64(sample))
  assert.equal(back.length, sample.length)
  assert.deepEqual(new Uint8Array(back.buffer, back.byteOffset, back.byteLength), new Uint8Array(sample.buffer))
})

test('base64 broken by whitespace or unpadded still reads as the same vector', () => {
  const text = vectorToBase64(sample)
  const wrapped = text.replace(/(.{76})/g, '$1\n')
  assert.deepEqual(vectorFromBase64(wrapped), sample)
  assert.deepEqual(vectorFromBase64(text.replace(/=+$/, '')), sample)
})

test('bytes that are not whole float32s, or not base64 at all, give an empty vector for the embed stage to refuse', () => {
  assert.equal(vectorFromBase64(Buffer.from([1, 2, 3, 4, 5]).toString('base64')).length, 0)
  assert.equal(vectorFromBase64('!!!!').length, 0)
  assert.equal(vectorFromBase64('').length, 0)
})

test("an answer's vectors decode into one shared buffer, each the same float32s as alone, and odd ones still take the general path", () => {
  const vectors = Array.from({ length: 5 }, (_, k) => Float32Array.from({ length: 384 }, (_, i) => Math.cos(i * 0.11 + k) / (k + 1)))
  const texts = vectors.map(vectorToBase64)
  const decoded = vectorsFromBase64(texts)
  assert.equal(decoded.length, 5)
  decoded.forEach((v, k) => assert.deepEqual(v, vectors[k]))
  assert.ok(decoded.every((v) => v.buffer === decoded[0]!.buffer), 'one buffer for the answer')
  // A wrapped (non-plain) one, an empty one and one of bytes that are not whole float32s, among plain ones.
  const mixed = vectorsFromBase64([texts[0]!, texts[1]!.replace(/(.{76})/g, '$1\n'), '', texts[2]!])
  assert.deepEqual(mixed.map((v) => v.length), [384, 384, 0, 384])
  assert.deepEqual(mixed[1], vectors[1])
  assert.deepEqual(mixed[3], vectors[2])
  assert.deepEqual(vectorsFromBase64([texts[0]!, Buffer.from([1, 2, 3, 4, 5]).toString('base64')]).map((v) => v.length), [384, 0])
})
