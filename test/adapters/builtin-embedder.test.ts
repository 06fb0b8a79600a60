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

test('identifiers do not move a line: UUIDs, hex ids, addresses, hosts, user names and times are masked first', () => {
  const dim = 384
  const pairs: Array<[string, string]> = [
    ['[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] Instance destroyed on the hypervisor.', '[instance: 3edec1e4-9678-4a3a-a21b-a145a4ee5e61] Instance destroyed on the hypervisor.'],
    ['Expiring session 0x14ede63a5a70000, timeout of 10000ms exceeded', 'Expiring session 0x24ed93119420016, timeout of 4000ms exceeded'],
    ['Invalid user webmaster from 173.234.31.186', 'Invalid user oracle from 52.80.34.196'],
    ['connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005', 'connection from 82.252.162.81 (lns-vlq-45-tou-82-252-162-81.adsl.proxad.net) at Sat Jun 18 02:08:10 2005'],
  ]
  for (const [a, b] of pairs) assert.ok(cos(embedText(a, dim), embedText(b, dim)) > 0.999, `${a} ~ ${b}`)
  // Lines of one instance but of other templates stay apart.
  const destroyed = embedText('[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] Instance destroyed on the hypervisor.', dim)
  const spawned = embedText('[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] Instance spawned successfully.', dim)
  assert.ok(cos(destroyed, spawned) < 0.6)
})

test('a positive dimension is required', () => {
  assert.throws(() => createBuiltinEmbedder({ dim: 0 }), RangeError)
})

test('lines of one shape share one vector, worked once and remembered, the same as each line embedded alone', async () => {
  const e = createBuiltinEmbedder({ dim: 64, remembered: 2 })
  const receiving = (n: number) => `Receiving block blk_${n} src: /10.0.0.${n}:5000 dest: /10.0.0.9:50010`
  const deleting = (n: number) => `Deleting block blk_${n} file /data/dfs/blk_${n}`
  const first = await e.embed([receiving(1), deleting(2), receiving(3), '!!!', '???'])
  assert.equal(first[0], first[2], 'one vector object for the lines of one shape')
  assert.notEqual(first[0], first[1])
  assert.notEqual(first[3], first[4], 'lines without words are shapes of their own')
  const texts = [receiving(1), deleting(2), receiving(3), '!!!', '???']
  texts.forEach((t, i) => assert.deepEqual(first[i], embedText(t, 64), t))
  // Two shapes remembered, the least recently used out first: '???' and '!!!' are, the block lines are worked again.
  const second = await e.embed([receiving(4), '???'])
  assert.equal(second[1], first[4], 'a remembered shape gives the same vector')
  assert.notEqual(second[0], first[0], 'a shape pushed out is worked again')
  assert.deepEqual(second[0], first[0])
})
