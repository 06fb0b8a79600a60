import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MASK_RULES, holds, maskVariables, rememberShapeOf, shapeOf } from '../../operators/mask.ts'
import { LOGHUB_SETS, loadLoghub } from '../helpers/loghub.ts'

test('variables become placeholders, the words of the logging statement stay', () => {
  const cases: Array<[string, string]> = [
    ['Received block blk_-1608999687919862906 of size 91178 from /10.250.10.6', 'Received block <blk> of size <num> from <ip>'],
    ['10.251.30.85:50010:Got exception while serving blk_-2918118818249673980 to /10.251.90.64:', '<ip>:Got exception while serving <blk> to <ip>:'],
    ['[instance: b9000564-fe1a-409b-b8cc-1e88b294cd1d] VM Started (Lifecycle Event)', '[instance: <uuid>] VM Started (Lifecycle Event)'],
    ['10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829', '<ip> "GET <path> HTTP/<num>" status: <num> len: <num> time: <num>'],
    ['Expiring session 0x14ede63a5a70000, timeout of 10000ms exceeded', 'Expiring session <hex>, timeout of <num>ms exceeded'],
    ['connection from 24.54.76.216 (24-54-76-216.bflony.adelphia.net) at Fri Jun 17 07:07:00 2005', 'connection from <ip> (<host>) at <time>'],
    ['reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!', 'reverse mapping checking getaddrinfo for <host> [<ip>] failed - POSSIBLE BREAK-IN ATTEMPT!'],
    ['Invalid user webmaster from 173.234.31.186', 'Invalid user <user> from <ip>'],
    ['session opened for user cyrus by (uid=0)', 'session opened for user <user> by (uid=<num>)'],
    ['Retrying https://repo.example.org/a/b.jar in 2024-01-15T10:00:00Z', 'Retrying <url> in <time>'],
    ['link aa:bb:cc:dd:ee:0f up on fe80::1ff:fe23:4567:890a%eth0', 'link <mac> up on <ip>'],
    ['generating core.2275', 'generating core.<num>'],
    ['workerEnv.init() ok /etc/httpd/conf/workers2.properties', 'workerEnv.init() ok <path>'],
  ]
  for (const [text, shape] of cases) assert.equal(maskVariables(text), shape, text)
})

test('names that look like hosts but are code or configuration stay', () => {
  for (const text of ['java.io.IOException at org.apache.hadoop.ipc.Client.call', 'mapred.tip.id is deprecated. Instead, use mapreduce.task.id', 'loaded libc.so.6', 'std::map a::b']) {
    assert.equal(maskVariables(text).includes('<host>') || maskVariables(text).includes('<ip>'), false, text)
  }
})

test('on the nine LogHub sets a masked shape never mixes two event templates', () => {
  for (const name of LOGHUB_SETS) {
    const templatesOfShape = new Map<string, Set<string>>()
    for (const row of loadLoghub(name).rows) {
      const shape = maskVariables(row.Content!.trim())
      const set = templatesOfShape.get(shape) ?? new Set<string>()
      set.add(row.EventId!)
      templatesOfShape.set(shape, set)
    }
    const mixed = [...templatesOfShape].filter(([, t]) => t.size > 1)
    assert.deepEqual(mixed, [], `${name}: shapes of more than one template`)
  }
})

/** Every line and message of the nine sets, and random text of the characters the rules look for. */
function corpus(): string[] {
  const texts = LOGHUB_SETS.flatMap((name) => {
    const sample = loadLoghub(name)
    return [...sample.lines, ...sample.rows.map((row) => row.Content!)]
  })
  const alphabet = 'abcfx0189:/.-_ \\ABCDEFXTZ+,%~<>user blk_ http://'
  let seed = 7
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32
  for (let i = 0; i < 20_000; i++) texts.push(Array.from({ length: 5 + Math.floor(next() * 60) }, () => alphabet[Math.floor(next() * alphabet.length)]).join(''))
  return texts
}

test('a rule is skipped only for text where it can change nothing: each match it replaces holds its text', () => {
  let checked = 0
  for (const text of corpus()) {
    let out = text
    for (const [pattern, placeholder, needs, times = 1] of MASK_RULES) {
      if (needs !== undefined) {
        for (const match of out.matchAll(pattern)) {
          const unchanged = typeof placeholder === 'function' && placeholder(match[0]) === match[0]
          assert.ok(unchanged || holds(match[0], needs, times), `${pattern} replaced ${JSON.stringify(match[0])} without ${times} × ${JSON.stringify(needs)}`)
          if (!unchanged) checked++
        }
      }
      out = out.replace(pattern, placeholder as string)
    }
    assert.equal(maskVariables(text), out, text)
  }
  assert.ok(checked > 10_000, `only ${checked} replacements by rules that can be skipped`)
})

test('holds counts a text\'s occurrences, not overlapping ones', () => {
  assert.equal(holds('blk_-1 blk_-2', '-', 2), true)
  assert.equal(holds('blk_-1 blk_-2', '-', 3), false)
  assert.equal(holds('a--b', '--', 2), false)
  assert.equal(holds('a----b', '--', 2), true)
  assert.equal(holds('', '-', 1), false)
  assert.equal(holds('x', 'x', 1), true)
})

test('shapeOf answers what maskVariables does, whether the built-in embedder remembered the message or not', () => {
  const texts = corpus().slice(0, 30_000)
  for (const text of texts.slice(0, 1000)) assert.equal(shapeOf(text), maskVariables(text))
  // Remembered, then asked again: the same shapes, also once more messages than a generation holds went by.
  for (const text of texts) assert.equal(rememberShapeOf(text), maskVariables(text))
  for (const text of texts) assert.equal(shapeOf(text), maskVariables(text))
  assert.equal(shapeOf('x'.repeat(5000) + ' 42'), 'x'.repeat(5000) + ' <num>')
})
