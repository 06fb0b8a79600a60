import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger, prettyLine } from '../../src/runtime/logger.ts'
import { loadConfig } from '../../src/config.ts'

test('terminal lines: time, level and message; fields only for warnings and errors', () => {
  const info = prettyLine(JSON.stringify({ level: 30, time: 0, msg: 'Processing batch 0...', batch: 0 }), false)
  assert.match(info, /^\d\d:\d\d:\d\d INFO  Processing batch 0\.\.\.\n$/)
  const warn = prettyLine(JSON.stringify({ level: 40, time: 0, msg: 'malformed', reason: 'bad-json', offset: 3 }), false)
  assert.match(warn, /WARN  malformed reason=bad-json offset=3/)
})

test('secrets never reach a log line', () => {
  let out = ''
  const destination = new Writable({ write: (c, _e, d) => ((out += c), d()) })
  const logger = createLogger({ level: 'info', format: 'json', destination: destination as never })
  const config = loadConfig({ env: { QDRANT_API_KEY: 'q-secret', EMBEDDING_API_KEY: 'e-secret' }, flags: new Map([['kafka-property', ['sasl.password=k-secret']]]) })
  logger.info({ config }, 'configuration')
  logger.info({ properties: config.kafka.properties }, 'kafka properties')
  assert.ok(out.includes('"configuration"'))
  for (const secret of ['q-secret', 'e-secret', 'k-secret']) assert.ok(!out.includes(secret), `${secret} leaked: ${out}`)
})
