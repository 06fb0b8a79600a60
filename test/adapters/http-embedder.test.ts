import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { createHttpEmbedder, retryAfterMs, vectorsOf, type EmbeddingApi } from '../../src/adapters/http-embedder.ts'
import { embedText } from '../../src/adapters/builtin-embedder.ts'
import { createPipelineMetrics } from '../../operators/metrics.ts'
import { startEmbeddingStub } from '../helpers/embedding-stub.ts'

const DIM = 16
const fast = { initialDelayMs: 20, maxDelayMs: 200 }
const embedderFor = (url: string, api: EmbeddingApi, more: Partial<Parameters<typeof createHttpEmbedder>[0]> = {}) =>
  createHttpEmbedder({ url, api, dim: DIM, batchSize: 3, concurrency: 2, timeout: 2000, retry: fast, ...more })

for (const api of ['logstream', 'tei', 'openai', 'ollama'] as const) {
  test(`the ${api} request shape: chunks of the batch size, vectors in text order`, async (t) => {
    const stub = await startEmbeddingStub(t, { api, dim: DIM })
    const texts = ['alpha one', 'beta two', 'gamma three', 'delta four', 'epsilon five', 'zeta six', 'eta seven']
    const vectors = await embedderFor(stub.url, api).embed(texts)
    assert.equal(vectors.length, texts.length)
    vectors.forEach((v, i) => assert.deepEqual(Array.from(v), Array.from(embedText(texts[i]!, DIM))))
    assert.equal(stub.requests, 3, '7 texts in chunks of 3')
  })
}

test('a service down at start and up 10 s later: the call waits and then succeeds', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: DIM, startDown: true })
  const metrics = createPipelineMetrics(new Registry())
  const started = Date.now()
  setTimeout(() => void stub.up(), 10_000)
  const vectors = await embedderFor(stub.url, 'logstream', { metrics, retry: { initialDelayMs: 100, maxDelayMs: 1000 } }).embed(['a', 'b'])
  assert.equal(vectors.length, 2)
  assert.ok(Date.now() - started >= 9_900)
  const retries = (await metrics.dependencyRetries.get()).values.find((v) => v.labels.dependency === 'embedder')?.value ?? 0
  assert.ok(retries >= 5, `retried while down (${retries})`)
})

test('500s for a while are retried; 429 honours Retry-After', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: DIM })
  stub.failNext(4, 500)
  assert.equal((await embedderFor(stub.url, 'logstream').embed(['a'])).length, 1)
  assert.equal(stub.requests, 5)
  stub.failNext(1, 429, '1')
  const started = Date.now()
  await embedderFor(stub.url, 'logstream').embed(['b'])
  assert.ok(Date.now() - started >= 950, 'waited the second the service asked for')
})

test('a 4xx that retrying cannot fix fails at once; vectors come back as answered, for the embed stage to check one by one', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: DIM })
  stub.failNext(1, 400)
  await assert.rejects(embedderFor(stub.url, 'logstream').embed(['a']), { code: 'EMBEDDER_REJECTED' })
  assert.equal(stub.requests, 1)
  stub.wrongDim(DIM + 1)
  const [wrong] = await embedderFor(stub.url, 'logstream').embed(['a'])
  assert.equal(wrong!.length, DIM + 1)
})

test('an answer with a null vector or a non-number keeps its place; one with a vector too few is refused whole', () => {
  const [a, b, c] = vectorsOf('logstream', { embeddings: [[1, 2], null, [1, 'x']] })
  assert.deepEqual([a, b, c], [[1, 2], [], [1, 'x']])
  assert.deepEqual(vectorsOf('openai', { data: [{ index: 1, embedding: [2] }, { index: 0 }] }), [[], [2]])
  assert.throws(() => vectorsOf('tei', { not: 'a list' }), { code: 'EMBEDDER_BAD_RESPONSE' })
})

test('vectors in base64 are decoded to their float32 values; bytes that are not whole float32s give an empty vector', () => {
  const v = Float32Array.from([0.1, -2.5, 3e-7])
  const [decoded, cut] = vectorsOf('logstream', { embeddings: [Buffer.from(v.buffer).toString('base64'), Buffer.from([1, 2, 3]).toString('base64')] })
  assert.deepEqual(Array.from(decoded!), Array.from(v))
  assert.equal(cut!.length, 0)
})

test('an answer slower than the timeout is retried, and the batch goes on when the service is fast again', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'tei', dim: DIM })
  stub.delay(500)
  setTimeout(() => stub.delay(0), 1200)
  const vectors = await embedderFor(stub.url, 'tei', { timeout: 200 }).embed(['slow'])
  assert.equal(vectors.length, 1)
  assert.ok(stub.requests >= 2)
})

test('Retry-After in seconds or as a date; rate-limit reset headers', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' }), now), 3000)
  assert.equal(retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now), 5000)
  assert.equal(retryAfterMs(new Headers({ 'x-ratelimit-reset-requests': '1m30s' }), now), 90_000)
  assert.equal(retryAfterMs(new Headers({}), now), undefined)
})

test("the replaced job's contract offers to take vector bytes: read when answered, refused when not whole vectors, JSON still read", async (t) => {
  const { createServer } = await import('node:http')
  const { vectorsToBytes } = await import('../../src/adapters/vector-bytes.ts')
  let answer: (texts: string[]) => { type: string; body: Buffer } = () => ({ type: 'application/json', body: Buffer.from('{}') })
  const accepts: Array<string | undefined> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      accepts.push(req.headers.accept)
      const { type, body } = answer((JSON.parse(Buffer.concat(chunks).toString()) as { texts: string[] }).texts)
      res.writeHead(200, { 'content-type': type }).end(body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.after(() => server.close())
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/embed`
  const texts = ['alpha one', 'beta two', 'gamma three', 'delta four']
  const expected = texts.map((x) => Array.from(embedText(x, DIM)))

  answer = (asked) => ({ type: 'application/octet-stream', body: vectorsToBytes(asked.map((x) => embedText(x, DIM))) })
  const vectors = await embedderFor(url, 'logstream').embed(texts)
  assert.deepEqual(vectors.map((v) => Array.from(v)), expected)
  assert.deepEqual(accepts, ['application/octet-stream, application/json;q=0.9', 'application/octet-stream, application/json;q=0.9'])

  // A vector's last float32 cut off: the whole answer is refused, nothing is guessed.
  answer = (asked) => ({ type: 'application/octet-stream', body: vectorsToBytes(asked.map((x) => embedText(x, DIM))).subarray(0, -4) })
  await assert.rejects(embedderFor(url, 'logstream').embed(texts), { code: 'EMBEDDER_BAD_RESPONSE' })

  // Asked for numbers, the job asks JSON only.
  answer = (asked) => ({ type: 'application/json', body: Buffer.from(JSON.stringify({ embeddings: asked.map((x) => Array.from(embedText(x, DIM))) })) })
  accepts.length = 0
  assert.deepEqual((await embedderFor(url, 'logstream', { encoding: 'float' }).embed(texts)).map((v) => Array.from(v)), expected)
  assert.deepEqual(accepts, ['application/json', 'application/json'])
})
