import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { ConfigError } from '../core/errors.ts'
import { CONFIG_FIELDS, loadConfig } from '../src/config.ts'
import { configMarkdownTable } from '../src/config-docs.ts'
import { parseDuration } from '../src/options.ts'
import { maskSecrets } from '../core/secrets.ts'
import { tempDir } from './helpers/temp-dir.ts'

test('defaults are those of the replaced job', () => {
  const c = loadConfig()
  assert.equal(c.kafka.brokers, 'localhost:9092')
  assert.deepEqual(c.kafka.topics, ['logs'])
  assert.equal(c.embedder.url, 'http://localhost:8000/embed')
  assert.equal(c.qdrant.host, 'localhost')
  assert.equal(c.qdrant.port, 6333)
  assert.equal(c.collection, 'logs_embeddings')
  assert.equal(c.dim, 384)
  assert.equal(c.batch.trigger, 15_000)
  assert.equal(c.batch.maxSize, 1000)
})

test('the replaced job environment names keep working', () => {
  const c = loadConfig({
    env: { KAFKA_SERVERS: 'k1:9092,k2:9092', KAFKA_TOPICS: 'a, b', EMBEDDING_SERVICE_URL: 'http://e:1/embed', QDRANT_HOST: 'q', QDRANT_PORT: '7000', COLLECTION: 'c1', DIM: '768' },
  })
  assert.equal(c.kafka.brokers, 'k1:9092,k2:9092')
  assert.deepEqual(c.kafka.topics, ['a', 'b'])
  assert.equal(c.embedder.url, 'http://e:1/embed')
  assert.equal(c.qdrant.host, 'q')
  assert.equal(c.qdrant.port, 7000)
  assert.equal(c.collection, 'c1')
  assert.equal(c.dim, 768)
})

test('defaults < config file < environment < flags', (t) => {
  const file = join(tempDir(t), 'c.yaml')
  writeFileSync(file, 'batch:\n  maxSize: 10\n  trigger: 2s\ncollection: from_file\ndim: 16\n')
  const c = loadConfig({ file, env: { COLLECTION: 'from_env', DIM: '32' }, flags: new Map([['dim', ['64']]]) })
  assert.equal(c.batch.maxSize, 10)
  assert.equal(c.batch.trigger, 2000)
  assert.equal(c.collection, 'from_env')
  assert.equal(c.dim, 64)
})

test('every problem is reported together, naming the field and what is allowed', () => {
  try {
    loadConfig({ env: { DIM: 'abc', LOGSTREAM_EMBEDDER: 'magic', QDRANT_PORT: '70000' }, flags: new Map([['source', ['ftp:x']], ['partitions', ['logs:3-1']]]) })
    assert.fail('expected a ConfigError')
  } catch (err) {
    assert.ok(err instanceof ConfigError)
    assert.deepEqual([...err.issues.map((i) => i.field)].sort(), ['dim', 'embedder.kind', 'kafka.partitions', 'qdrant.port', 'source'])
    assert.match(err.message, /embedder\.kind: must be one of builtin, http, none, got "magic" \(from environment LOGSTREAM_EMBEDDER\)/)
    assert.match(err.message, /qdrant\.port: must be between 1 and 65535/)
  }
})

test('unknown fields in a config file are errors, not silently ignored', (t) => {
  const file = join(tempDir(t), 'c.json')
  writeFileSync(file, JSON.stringify({ colection: 'typo' }))
  assert.throws(() => loadConfig({ file }), (err: ConfigError) => err.issues.some((i) => i.field === 'colection'))
})

test('secrets are masked', () => {
  const c = loadConfig({ env: { QDRANT_API_KEY: 'qk', EMBEDDING_API_KEY: 'ek' }, flags: new Map([['kafka-property', ['sasl.password=pw', 'client.id=me']]]) })
  const masked = maskSecrets(c)
  assert.equal(masked.qdrant.apiKey, '***')
  assert.equal(masked.embedder.apiKey, '***')
  assert.deepEqual(masked.kafka.properties, { 'sasl.password': '***', 'client.id': 'me' })
  assert.equal(c.qdrant.apiKey, 'qk', 'the configuration itself keeps the value')
  assert.ok(!JSON.stringify(masked).includes('pw'))
})

test('durations and the generated reference table', () => {
  assert.equal(parseDuration('15s'), 15_000)
  assert.equal(parseDuration('250ms'), 250)
  assert.equal(parseDuration('2m'), 120_000)
  assert.equal(parseDuration('soon'), null)
  const table = configMarkdownTable()
  for (const f of CONFIG_FIELDS) assert.ok(table.includes(`\`${f.key}\``), f.key)
})

test('invalid configuration exits the CLI with code 2 and names the field', () => {
  const r = spawnSync(process.execPath, ['bin/logstream.js', 'run', '--batch-size', '0'], { encoding: 'utf8', env: { ...process.env, DIM: 'x' } })
  assert.equal(r.status, 2)
  assert.match(r.stderr, /batch\.maxSize: must be between 1 and 1000000/)
  assert.match(r.stderr, /dim: must be a whole number/)
  const unknown = spawnSync(process.execPath, ['bin/logstream.js', 'run', '--no-such-flag'], { encoding: 'utf8' })
  assert.equal(unknown.status, 2)
  assert.match(unknown.stderr, /unknown option --no-such-flag/)
})

test('--log-format takes auto, json, a format, or a header template; anything else exits 2 naming lineFormat', () => {
  assert.equal(loadConfig().lineFormat, 'auto')
  assert.equal(loadConfig({ flags: new Map([['log-format', ['syslog']]]) }).lineFormat, 'syslog')
  assert.equal(loadConfig({ env: { LOGSTREAM_LOG_FORMAT: '<Date> <Time> <Level> <Component>: <Content>' } }).lineFormat, '<Date> <Time> <Level> <Component>: <Content>')
  for (const bad of ['klingon', '<Date> <Time> <Level>']) {
    assert.throws(() => loadConfig({ flags: new Map([['log-format', [bad]]]) }), (err: ConfigError) => err.issues.length === 1 && err.issues[0]!.field === 'lineFormat')
  }
  const r = spawnSync(process.execPath, ['bin/logstream.js', 'run', '--log-format', '<Date> <Level>'], { encoding: 'utf8' })
  assert.equal(r.status, 2)
  assert.match(r.stderr, /lineFormat: a header template needs a <Content> field/)
  // logstream's own log format moved to --log-output (LOG_FORMAT as before).
  assert.equal(loadConfig({ flags: new Map([['log-output', ['json']]]) }).log.format, 'json')
  assert.equal(loadConfig({ env: { LOG_FORMAT: 'pretty' } }).log.format, 'pretty')
})

test('the README configuration table is the generated one', async () => {
  const { readFileSync } = await import('node:fs')
  const { withConfigTable } = await import('../scripts/readme-config.ts')
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  assert.equal(readme, withConfigTable(readme), 'run: node --import tsx scripts/readme-config.ts')
})
