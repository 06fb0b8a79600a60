import { test } from 'node:test'
import assert from 'node:assert/strict'
import { lastValueFrom, of, toArray } from 'rxjs'
import { messageOfLine, parse, parseRecord } from '../../operators/parse.ts'
import { LOGHUB_SETS, loadLoghub } from '../helpers/loghub.ts'
import { pointId } from '../../operators/point-id.ts'
import { resolveLineFormat } from '../../operators/formats/index.ts'
import { counterValue, createTestContext, record } from '../helpers/context.ts'

const opts = { maxMessageBytes: 1000 }

test('a message of the replaced job is read field by field', () => {
  const msg = { text: 'processed', original_text: 'raw line', log_level: 'ERROR', source: 'hdfs_datanode', timestamp: '2025-09-27T10:30:45.123', node_type: 'datanode', label: null }
  const out = parseRecord(record(JSON.stringify(msg), 0), opts)
  assert.ok('entry' in out)
  assert.deepEqual(out.entry, { ...msg, block_id: null, component: null })
})

test('missing optional fields get defaults', () => {
  const out = parseRecord(record('{"text":"only text blk_-12"}', 0), opts)
  assert.ok('entry' in out)
  assert.equal(out.entry.original_text, 'only text blk_-12')
  assert.equal(out.entry.log_level, 'INFO')
  assert.equal(out.entry.node_type, 'unknown')
  assert.equal(out.entry.timestamp, '')
  assert.equal(out.entry.block_id, 'blk_-12')
  assert.equal(out.entry.label, null)
})

test('a missing timestamp falls back to the record time, stable across replays', () => {
  const out = parseRecord(record('{"text":"t"}', 0, 'logs/0', { timestampMs: Date.UTC(2025, 8, 27, 10, 30, 45, 123) }), opts)
  assert.ok('entry' in out)
  assert.equal(out.entry.timestamp, '2025-09-27T10:30:45.123')
})

test('raw HDFS lines and other text lines become entries', () => {
  const hdfs = parseRecord(record('081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating', 0), opts)
  assert.ok('entry' in hdfs && hdfs.entry.node_type === 'datanode')
  const plain = parseRecord(record('2024-01-01 something ERROR happened', 1), opts)
  assert.ok('entry' in plain)
  assert.equal(plain.entry.log_level, 'ERROR')
})

test('a line no format reads is stored whole as plain text, as before formats were detected (so its id is unchanged)', () => {
  const out = parseRecord(record('something ERROR happened blk_-12', 0, 'logs/0', { timestampMs: Date.UTC(2025, 8, 27, 10, 30, 45, 123) }), opts)
  assert.ok('entry' in out)
  assert.deepEqual(out.entry, {
    text: 'something ERROR happened blk_-12',
    original_text: 'something ERROR happened blk_-12',
    log_level: 'ERROR',
    source: 'unknown',
    timestamp: '2025-09-27T10:30:45.123',
    node_type: 'unknown',
    label: null,
    block_id: 'blk_-12',
    component: null,
  })
})

test('a text line in a known format is stored as its message, with its header in fields; the whole line stays in original_text', () => {
  const line = 'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186'
  // A Kafka record produced on 3 January 2026: the December line is from 2025.
  const out = parseRecord(record(line, 0, 'logs/0', { timestampMs: Date.UTC(2026, 0, 3) }), opts)
  assert.ok('entry' in out)
  assert.deepEqual(out.entry, {
    text: 'Invalid user webmaster from 173.234.31.186',
    original_text: line,
    log_level: 'INFO',
    source: 'syslog',
    timestamp: '2025-12-10T06:55:46.000',
    node_type: 'unknown',
    label: null,
    block_id: null,
    component: 'sshd',
    host: 'LabSZ',
    pid: '24200',
  })
})

test("a file's line without a year gets it from the file's time, not from when the file is read, so its id stays", (t) => {
  const line = 'Mar  5 10:00:00 combo sshd(pam_unix)[19939]: check pass; user unknown'
  const read = (fileTimeMs: number | undefined, nowMs: number) => {
    t.mock.timers.enable({ apis: ['Date'], now: nowMs })
    try {
      const out = parseRecord(record(line, 0, 'file:/var/log/messages', { fileTimeMs }), opts)
      assert.ok('entry' in out)
      return out
    } finally {
      t.mock.timers.reset()
    }
  }
  // A file last written on 1 June 2024, read in 2026 and again in 2031.
  const june = Date.UTC(2024, 5, 1)
  const first = read(june, Date.UTC(2026, 10, 27))
  assert.equal(first.entry.timestamp, '2024-03-05T10:00:00.000')
  assert.deepEqual(read(june, Date.UTC(2031, 0, 2)), first)
  // Written on 1 February 2024: a March date is the year before.
  assert.equal(read(Date.UTC(2024, 1, 1), Date.UTC(2026, 10, 27)).entry.timestamp, '2023-03-05T10:00:00.000')
  // Without a file time the clock decides, and the id moves with it.
  assert.notEqual(read(undefined, Date.UTC(2026, 10, 27)).id, read(undefined, Date.UTC(2031, 0, 2)).id)
  // A record's own time (Kafka's) comes first.
  const kafka = parseRecord(record(line, 0, 'logs/0', { timestampMs: Date.UTC(2022, 5, 1), fileTimeMs: june }), opts)
  assert.ok('entry' in kafka && kafka.entry.timestamp === '2022-03-05T10:00:00.000')
})

test('lines that start like JSON but are not are text lines, never dead-lettered for their shape', () => {
  for (const line of ['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties', '[INFO] building module [core]', '"GET / HTTP/1.1" 200 12', '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy']) {
    const out = parseRecord(record(line, 0), opts)
    assert.ok('entry' in out, `${line} is stored`)
  }
})

test('every JSON value that is not an object is not-an-object, whatever its kind and the format', () => {
  const values = ['null', 'true', 'false', '42', '-1.5e3', '"just a string"', '[1,2,3]', '[]', '[{"text":"x"}]']
  for (const format of [undefined, resolveLineFormat('syslog'), resolveLineFormat('json')]) {
    for (const value of values) {
      const out = parseRecord(record(value, 0), { ...opts, format })
      assert.ok('reason' in out && out.reason === 'not-an-object', `${value} (${format?.kind ?? 'auto'}) → not-an-object`)
    }
  }
})

test('with --log-format json every record must be a JSON message; with a named format, text lines are read by it alone', () => {
  const json = { ...opts, format: resolveLineFormat('json') }
  const text = parseRecord(record('081109 203615 148 INFO dfs.X: a text line', 0), json)
  assert.ok('reason' in text && text.reason === 'bad-json')
  assert.ok('entry' in parseRecord(record('{"msg":"a JSON log line"}', 0), json))
  const syslog = { ...opts, format: resolveLineFormat('syslog') }
  const hdfs = parseRecord(record('081109 203615 148 INFO dfs.X: an HDFS line', 0), syslog)
  assert.ok('entry' in hdfs && hdfs.entry.source === 'unknown', 'not syslog: plain text')
  const template = { ...opts, format: resolveLineFormat('<Date> <Time> [<Level>] <Content>') }
  const mine = parseRecord(record('2024-01-15 10:00:00 [warn] disk almost full', 0), template)
  assert.ok('entry' in mine)
  assert.equal(mine.entry.text, 'disk almost full')
  assert.equal(mine.entry.log_level, 'WARN')
  assert.equal(mine.entry.timestamp, '2024-01-15T10:00:00.000')
  assert.equal(mine.entry.source, 'template')
})

const bad: Array<[string, string | Buffer, string]> = [
  ['bad JSON', '{"text": "unterminated', 'bad-json'],
  ['a JSON array', '[1,2]', 'not-an-object'],
  ['a JSON number', '42', 'not-an-object'],
  ['a JSON object that is cut off', '{"text": "a", "timestamp": "t"', 'bad-json'],
  ['no text', '{"log_level":"INFO"}', 'missing-text'],
  ['empty text', '{"text":"  "}', 'missing-text'],
  ['text of the wrong type', '{"text": 5}', 'wrong-type'],
  ['a field of the wrong type', '{"text": "x", "timestamp": 5}', 'wrong-type'],
  ['invalid UTF-8', Buffer.from([0x66, 0xff, 0xfe, 0x41]), 'invalid-utf8'],
  ['an empty line', '   ', 'empty'],
  ['binary', Buffer.from([0x01, 0x02, 0x41, 0x00, 0x42]), 'binary'],
  ['an oversized message', 'x'.repeat(1001), 'oversized'],
]
for (const [what, value, reason] of bad) {
  test(`${what} is a dead letter with reason ${reason}`, () => {
    const out = parseRecord(record(value, 7), opts)
    assert.ok('reason' in out, `expected a dead letter for ${what}`)
    assert.equal(out.reason, reason)
    assert.ok(out.detail.length > 0)
  })
}

test('the stage keeps one item per record, in order, with ids, counts and logs each bad one once', async () => {
  const ctx = createTestContext('parse')
  const chunk = [record('{"text":"a","timestamp":"t"}', 0), record('{bad', 1), record('{"text":"b","timestamp":"t"}', 2)]
  const [items] = await lastValueFrom(of(chunk).pipe(parse(ctx, opts), toArray()))
  assert.deepEqual(items!.map((i) => i.kind), ['entry', 'dead-letter', 'entry'])
  assert.equal(items![0]!.kind === 'entry' && items![0]!.id, pointId('a', 't'))
  assert.equal(items![1]!.record.offset, 1)
  assert.equal(await counterValue(ctx.metrics, 'messagesReceived'), 3)
  assert.equal(await counterValue(ctx.metrics, 'messagesMalformed', { reason: 'bad-json' }), 1)
  const warnings = ctx.lines.filter((l) => l.reason === 'bad-json')
  assert.equal(warnings.length, 1)
  assert.equal(warnings[0]!.offset, 1)
})

test('a line sent through logstream produce gets the id and the entry it gets read from a file, on the nine LogHub sets and JSON log lines', () => {
  const big = { maxMessageBytes: 1 << 20 }
  // One Kafka time for both reads: year-less dates are placed by it.
  const at = { timestampMs: Date.UTC(2026, 0, 3) }
  let lines = 0
  let withOrigin = 0
  // JSON log lines name their writer too (pino, bunyan, ECS).
  const jsonLines = [
    '{"level":50,"time":1531171074631,"msg":"payment failed","pid":657,"hostname":"web-1"}',
    '{"name":"app","hostname":"h2","pid":12,"level":30,"msg":"started","time":"2024-01-01T00:00:00.000Z","v":0}',
    '{"@timestamp":"2024-05-01T10:00:00Z","message":"GET /","log.level":"info","host":{"name":"x"}}',
  ]
  for (const [set, setLines] of [...LOGHUB_SETS.map((name) => [name, loadLoghub(name).lines] as const), ['JSON', jsonLines] as const]) {
    for (const [i, line] of setLines.entries()) {
      const read = parseRecord(record(line, i, 'file/0', at), big)
      if (!('entry' in read)) continue
      const produced = parseRecord(record(messageOfLine(read), i, 'logs/0', at), big)
      assert.ok('entry' in produced, `${set} line ${i + 1}: ${JSON.stringify(produced)}`)
      assert.equal(produced.id, read.id, `${set} line ${i + 1}: ${line}`)
      assert.deepEqual(produced.entry, read.entry, `${set} line ${i + 1}`)
      lines++
      if (read.origin !== undefined) withOrigin++
    }
  }
  assert.ok(lines >= 17_000, `${lines} lines read`)
  // Syslog, log4j-style and the other formats that name a host, a process or a thread: the case the origin is for.
  assert.ok(withOrigin >= 5_000, `${withOrigin} lines with an origin`)
})

test('a message with logstream_origin keeps it in its id, not in its payload; other producers\' messages are read as before', () => {
  const msg = { text: 'session opened for user root', timestamp: '2026-06-14T15:16:01.000', host: 'combo', pid: '19939' }
  const ids = ['combo_19939_', 'other_19939_'].map((origin) => {
    const out = parseRecord(record(JSON.stringify({ ...msg, logstream_origin: origin }), 0), opts)
    assert.ok('entry' in out)
    assert.equal(out.id, pointId(msg.text, msg.timestamp, origin))
    assert.equal('logstream_origin' in out.entry, false)
    assert.equal(out.entry.host, 'combo')
    return out.id
  })
  assert.notEqual(ids[0], ids[1], 'the same message from two writers is two points')
  const plain = parseRecord(record(JSON.stringify({ ...msg, origin: 'web' }), 0), opts)
  assert.ok('entry' in plain)
  assert.equal(plain.id, pointId(msg.text, msg.timestamp), "the replaced job's key, whatever other fields a message has")
  assert.equal(Object.getOwnPropertyDescriptor(plain.entry, 'origin')?.value, 'web', 'kept in the payload')
  const wrong = parseRecord(record(JSON.stringify({ ...msg, logstream_origin: 7 }), 0), opts)
  assert.deepEqual(wrong, { reason: 'wrong-type', detail: '"logstream_origin" is a number, not a string' })
})
