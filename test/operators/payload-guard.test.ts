import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_DEPTH, MAX_FIELDS, payloadProblem } from '../../operators/payload-guard.ts'

const nested = (depth: number) => JSON.parse(`{"text":"t","x":${'['.repeat(depth)}${']'.repeat(depth)}}`)

test('messages within the limits pass', () => {
  assert.equal(payloadProblem({ text: 'a', n: 1.5e300, nul: 'a\u0000b', pair: '\ud83d\ude00', deep: nested(MAX_DEPTH - 2).x }), null)
  assert.equal(payloadProblem(JSON.parse('{"text":"t","__proto__":{"polluted":true}}')), null)
})

test('each limit has its reason', () => {
  assert.equal(payloadProblem(nested(5000))?.reason, 'too-deep')
  assert.equal(payloadProblem({ text: 't', ...Object.fromEntries(Array.from({ length: MAX_FIELDS + 1 }, (_, i) => [`k${i}`, i])) })?.reason, 'too-many-fields')
  assert.equal(payloadProblem(JSON.parse('{"text":"a\\ud800b"}'))?.reason, 'invalid-unicode')
  assert.equal(payloadProblem(JSON.parse('{"text":"a","x":{"\\udc00":1}}'))?.reason, 'invalid-unicode')
  assert.equal(payloadProblem(JSON.parse('{"text":"a","n":1e400}'))?.reason, 'number-out-of-range')
  assert.equal(payloadProblem(JSON.parse('{"text":"a","n":[-1e999]}'))?.reason, 'number-out-of-range')
})

test('a hostile depth costs no stack', () => {
  let deep: unknown = 1
  for (let i = 0; i < 200_000; i++) deep = [deep]
  assert.equal(payloadProblem({ text: 't', deep })?.reason, 'too-deep')
})

test('a problem is named by where it is', () => {
  assert.match(payloadProblem(JSON.parse('{"text":"a","x":{"y":[1,{"z":1e400}]}}'))!.detail, / x\.y\[1\]\.z /)
  assert.match(payloadProblem(JSON.parse('{"text":"a","list":["ok","b\\udc00"]}'))!.detail, / list\[1\] /)
  assert.match(payloadProblem(JSON.parse('{"text":"a\\ud800"}'))!.detail, / text /)
  assert.equal(payloadProblem('a\ud800')?.reason, 'invalid-unicode')
  assert.equal(payloadProblem(42), null)
})
