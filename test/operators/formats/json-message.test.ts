/** JSON log lines of the common logging libraries, read through the parse stage's record parser. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseRecord } from '../../../operators/parse.ts'
import { record } from '../../helpers/context.ts'

const opts = { maxMessageBytes: 1 << 20 }
const read = (line: string) => {
  const out = parseRecord(record(line, 0), opts)
  assert.ok('entry' in out, `${line} is an entry`)
  return out.entry as unknown as Record<string, unknown>
}

const CASES: Array<[string, string, Record<string, unknown>]> = [
  [
    'pino',
    '{"level":30,"time":1531171074631,"msg":"hello world","pid":657,"hostname":"Davids-MBP-3.fritz.box"}',
    { text: 'hello world', log_level: 'INFO', timestamp: '2018-07-09T21:17:54.631Z', pid: '657', host: 'Davids-MBP-3.fritz.box', source: 'json' },
  ],
  [
    'bunyan',
    '{"name":"myapp","hostname":"banana.local","pid":40161,"level":30,"msg":"hi","time":"2013-01-04T18:46:23.851Z","v":0}',
    { text: 'hi', log_level: 'INFO', timestamp: '2013-01-04T18:46:23.851Z', source: 'myapp', host: 'banana.local', v: 0 },
  ],
  [
    'ECS, dotted keys',
    `{"@timestamp":"2019-08-06T12:09:12.375Z", "log.level": "INFO", "message":"Tomcat started on port(s): 8080 (http) with context path ''", "service.name":"spring-petclinic","process.thread.name":"restartedMain","log.logger":"org.springframework.boot.web.embedded.tomcat.TomcatWebServer"}`,
    { log_level: 'INFO', timestamp: '2019-08-06T12:09:12.375Z', source: 'spring-petclinic', component: 'org.springframework.boot.web.embedded.tomcat.TomcatWebServer', 'process.thread.name': 'restartedMain' },
  ],
  ['ECS, nested objects', '{"@timestamp":"2024-01-15T10:00:00.000Z","log":{"level":"warn","logger":"app.db"},"message":"slow query","host":{"name":"db-1"}}', { log_level: 'WARN', component: 'app.db', host: 'db-1' }],
  [
    'Logstash (logstash-logback-encoder)',
    '{"@timestamp":"2019-11-03T10:15:30.000+01:00","@version":"1","message":"My message","logger_name":"com.example.App","thread_name":"main","level":"INFO","level_value":20000}',
    { text: 'My message', timestamp: '2019-11-03T10:15:30.000+01:00', component: 'com.example.App', log_level: 'INFO', thread_name: 'main', level_value: 20000 },
  ],
  [
    'journald (journalctl -o json)',
    '{"__REALTIME_TIMESTAMP":"1700000000123456","PRIORITY":"3","_HOSTNAME":"host1","SYSLOG_IDENTIFIER":"sshd","_PID":"123","MESSAGE":"Connection closed"}',
    { text: 'Connection closed', log_level: 'ERROR', timestamp: '2023-11-14T22:13:20.123Z', host: 'host1', component: 'sshd', pid: '123' },
  ],
  ['Docker json-file', '{"log":"Server started\\n","stream":"stdout","time":"2019-01-01T11:11:11.111111111Z"}', { text: 'Server started', timestamp: '2019-01-01T11:11:11.111111111Z', stream: 'stdout' }],
  [
    'zap',
    '{"level":"info","ts":1257894000.123,"caller":"main.go:12","msg":"failed to fetch URL","url":"http://example.com","attempt":3}',
    { text: 'failed to fetch URL', log_level: 'INFO', timestamp: '2009-11-10T23:00:00.123Z', component: 'main.go:12', url: 'http://example.com', attempt: 3 },
  ],
  ['Cloud Logging', '{"severity":"ERROR","message":"boom","timestamp":"2024-01-15T10:00:00Z"}', { log_level: 'ERROR', timestamp: '2024-01-15T10:00:00.000Z' }],
  ["the message format's names, with `message` for `text`", '{"message":"x","log_level":"ERROR","source":"billing","node_type":"worker"}', { text: 'x', log_level: 'ERROR', source: 'billing', node_type: 'worker' }],
  ['an unreadable time is kept as written', '{"msg":"x","time":"the other day"}', { timestamp: 'the other day' }],
]

for (const [library, line, expect] of CASES) {
  test(`a JSON log line of ${library} is read by its field names`, () => {
    const entry = read(line)
    for (const [key, want] of Object.entries(expect)) assert.deepEqual(entry[key], want, key)
    assert.equal(entry.original_text, line, 'the whole line is kept')
  })
}

test('a JSON object without a message field, or with one of the wrong type, is a dead letter', () => {
  const cases: Array<[string, string]> = [
    ['{"level":"info","time":"2024-01-15T10:00:00Z"}', 'missing-text'],
    ['{"msg":""}', 'missing-text'],
    ['{"msg":5}', 'wrong-type'],
    ['{"message":{"nested":true}}', 'wrong-type'],
  ]
  for (const [line, reason] of cases) {
    const out = parseRecord(record(line, 0), opts)
    assert.ok('reason' in out && out.reason === reason, `${line} → ${reason}`)
  }
})

test("the replaced job's message format is read as it always was: `text` wins over other message fields", () => {
  const entry = read('{"text":"processed","msg":"other","timestamp":"2025-09-27T10:30:45.123"}')
  assert.equal(entry.text, 'processed')
  assert.equal(entry.timestamp, '2025-09-27T10:30:45.123')
  assert.equal(entry.msg, 'other', 'other fields pass through')
  assert.equal(entry.source, 'unknown')
})

test('fields beyond the entry come first, in the message order, as own fields, for both message shapes (a __proto__ field too)', () => {
  for (const line of [
    '{"zeta":1,"text":"x","alpha":{"b":2},"__proto__":{"polluted":true},"log_level":"WARN","toString":"t"}',
    '{"zeta":1,"msg":"x","alpha":{"b":2},"__proto__":{"polluted":true},"level":"warn","toString":"t"}',
  ]) {
    const entry = read(line)
    assert.deepEqual(Object.keys(entry).slice(0, 4), ['zeta', 'alpha', '__proto__', 'toString'], line)
    assert.equal(Object.getPrototypeOf(entry), Object.prototype, 'the prototype is untouched')
    assert.deepEqual(Object.getOwnPropertyDescriptor(entry, '__proto__')?.value, { polluted: true })
    assert.equal(entry.log_level, 'WARN')
    assert.equal(entry.text, 'x')
    assert.equal(({} as Record<string, unknown>).polluted, undefined)
  }
})
