import { test } from 'node:test'
import assert from 'node:assert/strict'
import { vectorsFromBytes, vectorsToBytes } from '../../src/adapters/vector-bytes.ts'

const vectors = Array.from({ length: 5 }, (_, k) => Float32Array.from({ length: 384 }, (_, i) => Math.cos(i * 0.11 + k) / (k + 1)))
const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)))

test('vectors written as bytes read back as the same float32s, bit for bit, little-endian, in one shared buffer', () => {
  const bytes = vectorsToBytes(vectors)
  assert.equal(bytes.length, 5 * 384 * 4)
  assert.equal(bytes.readFloatLE(384 * 4 + 4), vectors[1]![1])
  const back = vectorsFromBytes(bytes, 5)!
  assert.equal(back.length, 5)
  back.forEach((v, k) => assert.deepEqual(bits(v), bits(vectors[k]!)))
  assert.ok(back.every((v) => v.buffer === back[0]!.buffer))
})

test('bytes that are part of a larger buffer are copied: not misread at an odd offset, and never sharing its memory', () => {
  const bytes = vectorsToBytes(vectors.slice(0, 2))
  for (const offset of [3, 8]) {
    const larger = Buffer.alloc(bytes.length + offset + 16)
    bytes.copy(larger, offset)
    const back = vectorsFromBytes(larger.subarray(offset, offset + bytes.length), 2)!
    back.forEach((v, k) => assert.deepEqual(bits(v), bits(vectors[k]!)))
    assert.notEqual(back[0]!.buffer, larger.buffer, `offset ${offset}`)
    larger.fill(0)
    back.forEach((v, k) => assert.deepEqual(bits(v), bits(vectors[k]!), 'the larger buffer written over'))
  }
  // A one-vector answer of 64 bytes is cut from Node's shared pool.
  const small = Buffer.from(vectorsToBytes([Float32Array.from({ length: 16 }, (_, i) => i / 7)]))
  assert.notEqual(small.byteLength, small.buffer.byteLength)
  assert.equal(vectorsFromBytes(small, 1)![0]!.buffer.byteLength, 64)
})

test('bytes that do not split into the count of whole float32 vectors are refused', () => {
  const bytes = vectorsToBytes(vectors.slice(0, 2))
  assert.equal(vectorsFromBytes(bytes, 5), undefined, '768 float32s are not 5 vectors')
  // 768 float32s for 3 texts are 3 vectors of 256: a service of another dimension, which the embed stage refuses text by text.
  assert.deepEqual(vectorsFromBytes(bytes, 3)!.map((v) => v.length), [256, 256, 256])
  assert.equal(vectorsFromBytes(bytes.subarray(0, bytes.length - 2), 2), undefined, 'a cut float32')
  assert.equal(vectorsFromBytes(Buffer.alloc(0), 1), undefined, 'nothing for one text')
  assert.deepEqual(vectorsFromBytes(Buffer.alloc(0), 0), [])
  assert.equal(vectorsFromBytes(Buffer.alloc(4), 0), undefined, 'bytes for no text')
})
