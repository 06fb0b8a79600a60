/**
 * One secrets policy: every secret-shaped librdkafka property, every secret
 * field and every URL or broker string with credentials is masked in
 * `logstream config`, in `/status.json` and in log lines; a URL with
 * credentials reaches its service as an Authorization header.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { isSecret, maskCredentialsInText, maskSecrets } from '../../core/secrets.ts'
import { LogstreamError } from '../../core/errors.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/runtime/logger.ts'
import { JobState } from '../../src/runtime/job-state.ts'
import { statusDocument } from '../../src/services/status-server.ts'
import { createHttpEmbedder } from '../../src/adapters/http-embedder.ts'
import { createQdrantStore } from '../../src/adapters/qdrant-store.ts'
import { BIN, ROOT } from '../helpers/cli.ts'

/** librdkafka properties (and a few of other clients) whose values are secrets. */
const SECRET_PROPERTIES = [
  'sasl.password',
  'sasl.jaas.config',
  'sasl.oauthbearer.config',
  'sasl.oauthbearer.client.secret',
  'sasl.oauthbearer.assertion.private.key.passphrase',
  'ssl.key.pem',
  'ssl.key.password',
  'ssl.keystore.password',
  'ssl.truststore.password',
  'ssl_key',
  'sasl.oauthbearer.token.endpoint.credentials',
]
/** Look alike, hold no secret: shown as they are. */
const PLAIN_PROPERTIES = ['client.id', 'security.protocol', 'sasl.mechanisms', 'sasl.username', 'sasl.oauthbearer.method', 'ssl.key.location', 'ssl.keystore.location', 'ssl.certificate.pem', 'ssl.ca.pem', 'key.serializer', 'sasl.kerberos.keytab']

test('the rule: secret names and their look-alikes', () => {
  for (const name of [...SECRET_PROPERTIES, 'embedder.apiKey', 'qdrant.apiKey', 'authorization', 'api-key', 'x-api-key', 'accessToken']) assert.equal(isSecret(name), true, name)
  for (const name of [...PLAIN_PROPERTIES, 'key', 'kafka.dlqTopic', 'recentIds', 'collection', 'kafka.properties']) assert.equal(isSecret(name), false, name)
})

const URLS: ReadonlyArray<[string, string]> = [
  ['http://user:PASS1@embed:8000/embed', 'http://***@embed:8000/embed'],
  ['https://TOKEN2@qdrant.example:6333', 'https://***@qdrant.example:6333'],
  ['SASL_SSL://u:PASS3@b1:9092,u:PASS4@b2:9092', 'SASL_SSL://***@b1:9092,***@b2:9092'],
  ['u:PASS5@b1:9092', '***@b1:9092'],
]

test('credentials in URLs and broker strings are masked; other text is left alone', () => {
  for (const [raw, masked] of URLS) assert.equal(maskCredentialsInText(raw), masked)
  assert.equal(maskCredentialsInText('mail ops@example.com about blk_1'), 'mail ops@example.com about blk_1')
})

/** A configuration holding every kind of secret, and the secret values it must never show. */
function secretConfig() {
  const properties = [...SECRET_PROPERTIES.map((p, i) => `${p}=secret-prop-${i}`), ...PLAIN_PROPERTIES.map((p) => `${p}=plain-${p}`)]
  const config = loadConfig({
    env: { QDRANT_API_KEY: 'secret-qdrant-key', EMBEDDING_SERVICE_URL: 'http://user:secret-url-pass@embed:8000/embed', QDRANT_URL: 'https://secret-url-token@qdrant:6333', KAFKA_SERVERS: 'SASL_SSL://u:secret-broker-pass@b1:9092' },
    flags: new Map([['kafka-property', properties]]),
  })
  const secrets = ['secret-qdrant-key', 'secret-url-pass', 'secret-url-token', 'secret-broker-pass', ...SECRET_PROPERTIES.map((_, i) => `secret-prop-${i}`)]
  const plain = PLAIN_PROPERTIES.map((p) => `plain-${p}`)
  return { config, secrets, plain }
}

function assertMasked(text: string, where: string, secrets: readonly string[], plain: readonly string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} shows ${s}`)
  for (const p of plain) assert.ok(text.includes(p), `${where} hides ${p}, which is no secret`)
}

test('masked in the configuration display and in /status.json', async () => {
  const { config, secrets, plain } = secretConfig()
  assertMasked(JSON.stringify(maskSecrets(config)), 'the masked configuration', secrets, plain)
  const state = new JobState()
  state.setConfig(config)
  assertMasked(JSON.stringify(await statusDocument(state, 60_000)), '/status.json', secrets, plain)
  assert.equal(config.qdrant.apiKey, 'secret-qdrant-key', 'the configuration itself keeps the value')
})

test('masked in `logstream config`', () => {
  const { secrets, plain } = secretConfig()
  const properties = [...SECRET_PROPERTIES.map((p, i) => `${p}=secret-prop-${i}`), ...PLAIN_PROPERTIES.map((p) => `${p}=plain-${p}`)]
  const r = spawnSync(process.execPath, [BIN, 'config', ...properties.flatMap((p) => ['--kafka-property', p])], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, QDRANT_API_KEY: 'secret-qdrant-key', EMBEDDING_SERVICE_URL: 'http://user:secret-url-pass@embed:8000/embed', QDRANT_URL: 'https://secret-url-token@qdrant:6333', KAFKA_SERVERS: 'SASL_SSL://u:secret-broker-pass@b1:9092' },
  })
  assert.equal(r.status, 0, r.stderr)
  assertMasked(r.stdout, '`logstream config`', secrets, plain)
})

test('masked in log lines: fields, nested configuration, messages and errors', () => {
  const { config, secrets, plain } = secretConfig()
  let out = ''
  const logger = createLogger({ level: 'info', format: 'json', destination: new Writable({ write: (c, _e, d) => ((out += c), d()) }) as never })
  logger.info({ config }, 'configuration')
  logger.info({ properties: config.kafka.properties, brokers: config.kafka.brokers }, `Connected to Kafka at ${config.kafka.brokers}`)
  logger.warn({ url: config.embedder.url, headers: { authorization: 'Basic c2VjcmV0', 'api-key': 'secret-header' } }, `embedding service at ${config.embedder.url} failing`)
  logger.error({ err: new LogstreamError('STORE_UNAVAILABLE', `Qdrant at ${config.qdrant.url} unavailable`, { details: { apiKey: config.qdrant.apiKey } }) }, 'failed')
  logger.child({ step: 'x' }).info('plain text %s', config.embedder.url)
  assert.equal(out.trim().split('\n').length, 5)
  assertMasked(out, 'the log', [...secrets, 'c2VjcmV0', 'secret-header'], plain)
  assert.match(out, /STORE_UNAVAILABLE/, 'errors keep their code')
})

/** A server that answers every request with `body` and remembers the request headers and paths. */
async function recorder(t: { after(fn: () => unknown): void }, body: unknown) {
  const seen: Array<{ path: string; headers: IncomingHttpHeaders }> = []
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers })
    req.resume()
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => new Promise<void>((r) => server.close(() => r())))
  return { port: (server.address() as AddressInfo).port, seen }
}

test('a URL with credentials reaches the embedding service as Authorization: Basic, the URL without them', async (t) => {
  const { port, seen } = await recorder(t, { embeddings: [[1, 0, 0, 0]] })
  const embedder = createHttpEmbedder({ url: `http://me:p%40ss@127.0.0.1:${port}/embed`, api: 'logstream', dim: 4, batchSize: 8, concurrency: 1, timeout: 5000, retry: { maxAttempts: 1 } })
  assert.equal((await embedder.embed(['one'])).length, 1)
  assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('me:p@ss').toString('base64')}`)
  assert.equal(seen[0]!.path, '/embed')
})

test('a Qdrant URL with credentials reaches Qdrant as Authorization: Basic', async (t) => {
  const { port, seen } = await recorder(t, { result: { collections: [] }, status: 'ok', time: 0 })
  const store = createQdrantStore({ url: `http://admin:s3cret@127.0.0.1:${port}`, collection: 'c', dim: 4, retry: { maxAttempts: 1 } })
  assert.deepEqual(await store.listCollections(), [])
  assert.equal(seen[0]!.headers.authorization, `Basic ${Buffer.from('admin:s3cret').toString('base64')}`)
  await store.close()
})
