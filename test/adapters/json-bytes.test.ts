import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseJsonBytes, LONG_STRING_BYTES } from '../../src/adapters/json-bytes.ts'
import { vectorToBase64 } from '../../src/adapters/vector-base64.ts'

const vector = (k: number) => vectorToBase64(Float32Array.from({ length: 384 }, (_, i) => Math.sin(i * 0.3 + k) / (i + 1)))

/** Random JSON values with strings around the cut-out length: escapes, quotes, non-ASCII, a NUL escape. */
function randomValue(rand: () => number, depth = 0): unknown {
  const r = rand()
  if (depth > 3 || r < 0.3) {
    const pieces = ['a', 'Zz', 'é', '"', '\\', '\n', '\u0000', '日本', '😀', 'AAAA', '+/=']
    const length = [0, 3, LONG_STRING_BYTES - 2, LONG_STRING_BYTES, LONG_STRING_BYTES + 7, 3000][Math.floor(rand() * 6)]!
    let s = ''
    const plain = rand() < 0.5
    while (s.length < length) s += plain ? 'QUJD' : pieces[Math.floor(rand() * pieces.length)]
    return s
  }
  if (r < 0.4) return Math.floor(rand() * 1e6) / 7
  if (r < 0.45) return rand() < 0.5 ? null : rand() < 0.5
  if (r < 0.7) return Array.from({ length: Math.floor(rand() * 5) }, () => randomValue(rand, depth + 1))
  return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, (_, i) => [`k${i}${rand() < 0.2 ? '"é' : ''}`, randomValue(rand, depth + 1)]))
}

test('a body parses to what JSON.parse makes of its text: embedding answers, and random JSON with long strings of every kind', () => {
  const answers = [
    { embeddings: [vector(1), vector(2), vector(3)] },
    { object: 'list', data: [1, 0].map((index) => ({ object: 'embedding', index, embedding: vector(index) })), model: 'm' },
    [vector(4), vector(5)],
    { embeddings: [[0.5, -1.25e-7, 3]] },
  ]
  for (const a of answers) assert.deepEqual(parseJsonBytes(Buffer.from(JSON.stringify(a))), a)
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  for (let i = 0; i < 300; i++) {
    const value = randomValue(rand)
    const text = JSON.stringify(value, null, i % 3 === 0 ? 2 : undefined)
    assert.deepEqual(parseJsonBytes(Buffer.from(text)), JSON.parse(text), text.slice(0, 120))
  }
})

test("an answer's own string shaped like a placeholder stays itself", () => {
  const body = { a: '\u0000' + 'x'.repeat(40) + ':0', b: 'Q'.repeat(LONG_STRING_BYTES + 1), c: ['\u0000:1', '\u0000'] }
  assert.deepEqual(parseJsonBytes(Buffer.from(JSON.stringify(body))), body)
})

test('what is not JSON fails as JSON.parse fails on the whole text, the same message and position', () => {
  const long = 'x'.repeat(LONG_STRING_BYTES * 2)
  for (const bad of [`{"a":"${long}","b":}`, `["${long}"`, `{"a":"${long}`, `["${long}"] trailing`, '', '{"a":1,}']) {
    let expected = ''
    try {
      JSON.parse(bad)
    } catch (err) {
      expected = (err as Error).message
    }
    assert.ok(expected, 'JSON.parse refuses it')
    assert.throws(() => parseJsonBytes(Buffer.from(bad)), (err: Error) => err instanceof SyntaxError && err.message === expected)
  }
})
