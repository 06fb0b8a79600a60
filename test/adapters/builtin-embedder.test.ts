import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBuiltinEmbedder, embedText } from '../../src/adapters/builtin-embedder.ts'

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0)

test('vectors are deterministic, of the configured size, and unit length', async () => {
  const e = createBuiltinEmbedder({ dim: 384 })
  const [a, b] = await e.embed(['Receiving block blk_1 src: /10.0.0.1:1 dest: /10.0.0.2:2', 'Receiving block blk_1 src: /10.0.0.1:1 dest: /10.0.0.2:2'])
  assert.equal(a!.length, 384)
  assert.deepEqual(a, b)
  assert.ok(Math.abs(cos(a!, a!) - 1) < 1e-5)
  assert.deepEqual(embedText('x', 16), embedText('x', 16))
  const empty = embedText('1234 :: 5', 8)
  assert.ok(Math.abs(cos(empty, empty) - 1) < 1e-6, 'a text without words still has a unit vector')
})

test('lines of the same template are nearer than lines of other templates', () => {
  const dim = 384
  const a = embedText('PacketResponder 1 for block blk_38865049064139660 terminating', dim)
  const b = embedText('PacketResponder 0 for block blk_-6952295868487656571 terminating', dim)
  const c = embedText('Verification succeeded for blk_-4117999745005013424', dim)
  const d = embedText('10.251.30.85:50010:Got exception while serving blk_-2918118818249673980 to /10.251.90.64:', dim)
  assert.ok(cos(a, b) > 0.99, 'numbers are folded: same template, same vector')
  assert.ok(cos(a, c) < 0.5)
  assert.ok(cos(d, embedText('Got exception while serving block', dim)) > cos(d, c))
})

test('a positive dimension is required', () => {
  assert.throws(() => createBuiltinEmbedder({ dim: 0 }), RangeError)
})
