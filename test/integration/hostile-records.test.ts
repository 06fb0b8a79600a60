/**
 * No single record stops the job: a corpus of hostile records, through a file
 * and through Kafka. Every good record is stored exactly once, every bad one
 * dead-lettered with its reason, the job exits 0, and a restart stores nothing
 * more.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../../src/config.ts'
import { jobIdentity } from '../../src/adapters/factory.ts'
import { connectProducer } from '../../operators/kafka-clients.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { runCli, summaryOf } from '../helpers/cli.ts'
import { kcatConsumeAll, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { storedPayloads, toFlags } from '../helpers/store.ts'

const TS = '2025-09-27T10:30:45.123'
const msg = (o: Record<string, unknown>) => JSON.stringify({ timestamp: TS, ...o })
const nest = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
const LIMIT = 32 << 20

interface Case {
  readonly name: string
  readonly value: Buffer
  /** The stored text, or the dead-letter reason. */
  readonly stored?: string
  readonly reason?: string
}
const good = (name: string, value: string | Buffer, stored: string): Case => ({ name, value: Buffer.from(value), stored })
const bad = (name: string, value: string | Buffer, reason: string): Case => ({ name, value: Buffer.from(value), reason })

const manyKeys = (n: number) => `{"text":"many keys ${n}","timestamp":"${TS}",${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(',')}}`

/** The corpus: none of them holds a newline, so each is one line of a file and one Kafka message. */
const CASES: Case[] = [
  good('raw HDFS line', '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating', 'PacketResponder 1 for block blk_38865049064139660 terminating'),
  good('the message format, every field', msg({ text: 'full format', original_text: 'raw', log_level: 'WARN', source: 'hdfs_datanode', node_type: 'datanode', label: null }), 'full format'),
  good('only text', msg({ text: 'only text' }), 'only text'),
  good('NUL inside a JSON string', msg({ text: 'nul \u0000 inside' }), 'nul \u0000 inside'),
  good('a __proto__ field', `{"text":"proto field","timestamp":"${TS}","__proto__":{"polluted":true}}`, 'proto field'),
  good('constructor and toString fields', msg({ text: 'builtin names', constructor: 1, toString: 'x', hasOwnProperty: null }), 'builtin names'),
  good('emoji and surrogate pairs', msg({ text: 'emoji 😀 𝄞 ok' }), 'emoji 😀 𝄞 ok'),
  good('right-to-left and zero-width characters', msg({ text: 'rtl \u202e zw\u200b joiner\u200d' }), 'rtl \u202e zw\u200b joiner\u200d'),
  good('large finite numbers', msg({ text: 'big numbers', n: 1.7e308, m: -5e-324, i: 12345678901234567890 }), 'big numbers'),
  good('nested 20 levels in an extra field', `{"text":"nested twenty","timestamp":"${TS}","x":${nest(20)}}`, 'nested twenty'),
  good('900 extra fields', manyKeys(900), 'many keys 900'),
  good('a plain text line', 'just some words with ERROR inside', 'just some words with ERROR inside'),
  good('a numeric label', msg({ text: 'numeric label', label: 7 }), 'numeric label'),
  good('text of 500 KB', msg({ text: `long ${'y'.repeat(500_000)}` }), `long ${'y'.repeat(500_000)}`),
  good('a carriage return before the newline', `${msg({ text: 'crlf line' })}\r`, 'crlf line'),
  good('punctuation only', msg({ text: '!!! ??? ...' }), '!!! ??? ...'),
  good('a byte order mark', `\ufeff${msg({ text: 'with bom' })}`, 'with bom'),
  good('an odd timestamp string', JSON.stringify({ text: 'odd time', timestamp: 'yesterday-ish' }), 'odd time'),
  good('JSON escapes of every control character', msg({ text: 'ctl \u0001\u0007\u001b end' }), 'ctl \u0001\u0007\u001b end'),
  bad('not JSON', '{"text": oops', 'bad-json'),
  bad('the JSON value null', 'null', 'not-an-object'),
  bad('the JSON value true', 'true', 'not-an-object'),
  bad('the JSON value 42', '42', 'not-an-object'),
  bad('a JSON string', '"just a string"', 'not-an-object'),
  bad('a JSON array', '[1,2,3]', 'not-an-object'),
  bad('nested 5,000 levels in an extra field', `{"text":"deep","timestamp":"t","x":${nest(5000)}}`, 'too-deep'),
  bad('nested 5,000 levels in text', `{"text":${nest(5000)}}`, 'too-deep'),
  bad('1,500 fields', manyKeys(1500), 'too-many-fields'),
  bad('1,000,000 fields', manyKeys(1_000_000), 'too-many-fields'),
  bad('a lone surrogate in text', '{"text":"lone \\ud800 here"}', 'invalid-unicode'),
  bad('a lone surrogate in a field name', '{"text":"x","\\udc00":1}', 'invalid-unicode'),
  bad('a number out of range', '{"text":"inf","n":1e400}', 'number-out-of-range'),
  bad('invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'invalid-utf8'),
  bad('binary', Buffer.from([0x01, 0x02, 0x03, 0x41, 0x00, 0x42]), 'binary'),
  bad('whitespace only', '   \t  ', 'empty'),
  bad('no text field', '{"log_level":"INFO"}', 'missing-text'),
  bad('empty text', '{"text":""}', 'missing-text'),
  bad('text a number', '{"text":12}', 'wrong-type'),
  bad('timestamp a number', '{"text":"x","timestamp":5}', 'wrong-type'),
  bad('label an object', '{"text":"x","label":{"a":1}}', 'wrong-type'),
  // 100 MB as Kafka counts them: a broker takes requests up to 100 MiB (socket.request.max.bytes).
  bad('a 100 MB line', `{"text":"${'z'.repeat(99_999_000)}"}`, 'oversized'),
]

function deadLettersOf(dir: string, source: string[]): Array<{ offset: number; reason: string; bytes: number }> {
  const config = loadConfig({ flags: new Map(Object.entries(toFlags(source))) })
  const store = openCheckpointStore({ path: checkpointPath(join(dir, 'checkpoints'), 'logs'), identity: jobIdentity(config), readonly: true })
  try {
    return store.deadLetters({ limit: 10_000 }).map((d) => ({ offset: d.offset, reason: d.reason, bytes: d.value.length }))
  } finally {
    store.close()
  }
}

async function checkRun(dir: string, source: string[], positionOf: (i: number) => number) {
  const args = ['run', ...source, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '500ms', '--max-message-bytes', String(LIMIT), '--stop-when-idle', '3s']
  const first = await runCli(args, { timeoutMs: 600_000 })
  assert.equal(first.code, 0, `${first.stderr}\n${first.stdout.slice(-3000)}`)
  const stored = await storedPayloads(dir)
  const texts = stored.map((p) => p.text as string)
  for (const c of CASES.filter((c) => c.stored !== undefined)) {
    assert.equal(texts.filter((t) => t === c.stored).length, 1, `${c.name}: stored once`)
  }
  assert.equal(stored.length, CASES.filter((c) => c.stored !== undefined).length, 'nothing else is stored')
  const proto = stored.find((p) => p.text === 'proto field')!
  assert.deepEqual(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, { polluted: true }, 'a __proto__ field is kept as a field')
  const dead = deadLettersOf(dir, source)
  const expected = CASES.flatMap((c, i) => (c.reason ? [{ offset: positionOf(i), reason: c.reason, name: c.name }] : []))
  assert.deepEqual(dead.map((d) => [d.offset, d.reason]), expected.map((e) => [e.offset, e.reason]), 'every bad record is dead-lettered once, with its reason')
  assert.equal(summaryOf(first).received, CASES.length)

  const second = await runCli(args, { timeoutMs: 600_000 })
  assert.equal(second.code, 0, second.stderr)
  assert.equal(summaryOf(second).stored, 0, 'a restart stores nothing more')
  assert.equal((await storedPayloads(dir)).length, stored.length)
}

test('hostile records through a file: the good ones stored once, the bad ones dead-lettered, exit 0', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'hostile.log')
  const lines = CASES.map((c) => c.value)
  writeFileSync(path, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])))
  const starts: number[] = []
  let at = 0
  for (const l of lines) {
    starts.push(at)
    at += l.length + 1
  }
  await checkRun(dir, ['--source', `file:${path}`], (i) => starts[i]!)
})

test('hostile records through Kafka: the good ones stored once, the bad ones dead-lettered (the 100 MB one published truncated), exit 0', async (t) => {
  const broker = await sharedBroker()
  const topic = topicName('hostile')
  const big = { 'max.message.bytes': String(200 << 20), 'segment.bytes': String(256 << 20) }
  await broker.createTopic(topic, 1, big)
  await broker.createTopic(`${topic}.dlq`, 1)
  const producer = await connectProducer({ brokers: broker.bootstrap, properties: { 'message.max.bytes': String(200 << 20) } })
  try {
    await producer.send(CASES.map((c, i) => ({ topic, key: `k${i}`, value: c.value })))
  } finally {
    await producer.close()
  }
  const dir = tempDir(t)
  await checkRun(dir, ['--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0`], (i) => i)
  const dead = deadLettersOf(dir, ['--source', 'kafka', '--topics', topic])
  assert.equal(dead.find((d) => d.reason === 'oversized')!.bytes, CASES.at(-1)!.value.length, 'the checkpoint keeps the 100 MB value whole')
  const published = await kcatConsumeAll(broker.bootstrap, `${topic}.dlq`)
  assert.equal(published.length, CASES.filter((c) => c.reason).length, 'every dead letter is on the topic')
  const oversized = published.find((m) => m.headers.includes('reason=oversized'))!
  for (const h of ['truncated=true', `original_bytes=${CASES.at(-1)!.value.length}`, 'kept_in=the checkpoint of job logs']) assert.ok(oversized.headers.includes(h), `header ${h} in ${oversized.headers}`)
  assert.ok(oversized.value.length < 1_000_000, 'published cut to what the topic takes')
})
