import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startEmbeddingServer } from '../../src/services/embedding-server.ts'
import { embedText } from '../../src/adapters/builtin-embedder.ts'
import { createHttpEmbedder } from '../../src/adapters/http-embedder.ts'

const post = (url: string, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })

test('serves the built-in embedder on the old contract, the TEI shape and the OpenAI shape', async (t) => {
  const server = await startEmbeddingServer({ host: '127.0.0.1', port: 0, dim: 32, maxTexts: 5, maxBytes: 10_000 })
  t.after(() => server.close())
  const old = (await (await post(`${server.url}/embed`, { texts: ['a b', 'c'] })).json()) as { embeddings: number[][] }
  assert.equal(old.embeddings.length, 2)
  assert.deepEqual(old.embeddings[0], Array.from(embedText('a b', 32)))
  const tei = (await (await post(`${server.url}/embed`, { inputs: ['a b'] })).json()) as number[][]
  assert.deepEqual(tei[0], old.embeddings[0])
  const vectors = await createHttpEmbedder({ url: `${server.url}/v1/embeddings`, api: 'openai', dim: 32, batchSize: 2, concurrency: 1, timeout: 1000 }).embed(['x', 'y', 'z'])
  assert.equal(vectors.length, 3)
  assert.equal((await fetch(`${server.url}/health`)).status, 200)
})

test('encoding_format base64 answers each vector as its float32 bytes, on the old contract and the OpenAI shape', async (t) => {
  const server = await startEmbeddingServer({ host: '127.0.0.1', port: 0, dim: 32 })
  t.after(() => server.close())
  const asFloats = (b64: string) => Array.from(new Float32Array(new Uint8Array(Buffer.from(b64, 'base64')).buffer))
  const old = (await (await post(`${server.url}/embed`, { texts: ['a b', 'c'], encoding_format: 'base64' })).json()) as { embeddings: string[] }
  assert.equal(typeof old.embeddings[0], 'string')
  assert.deepEqual(asFloats(old.embeddings[0]!), Array.from(embedText('a b', 32)))
  const openai = (await (await post(`${server.url}/v1/embeddings`, { input: ['c'], encoding_format: 'base64' })).json()) as { data: Array<{ embedding: string }> }
  assert.deepEqual(asFloats(openai.data[0]!.embedding), Array.from(embedText('c', 32)))
  assert.equal((await post(`${server.url}/embed`, { texts: ['a'], encoding_format: 'binary' })).status, 400)
  for (const api of ['logstream', 'openai'] as const) {
    for (const encoding of ['base64', 'float'] as const) {
      const url = `${server.url}${api === 'openai' ? '/v1/embeddings' : '/embed'}`
      const vectors = await createHttpEmbedder({ url, api, dim: 32, batchSize: 2, concurrency: 1, timeout: 1000, encoding }).embed(['x y', 'z'])
      assert.deepEqual(vectors.map((v) => Array.from(v)), [Array.from(embedText('x y', 32)), Array.from(embedText('z', 32))], `${api} ${encoding}`)
    }
  }
})

test('an /embed request that ranks application/octet-stream above JSON gets the vectors as float32 bytes; any other gets JSON', async (t) => {
  const server = await startEmbeddingServer({ host: '127.0.0.1', port: 0, dim: 32 })
  t.after(() => server.close())
  const ask = (accept: string | undefined) =>
    fetch(`${server.url}/embed`, { method: 'POST', headers: { 'content-type': 'application/json', ...(accept === undefined ? {} : { accept }) }, body: JSON.stringify({ texts: ['a b', 'c'], encoding_format: 'base64' }) })
  const answer = await ask('application/octet-stream, application/json;q=0.9')
  assert.equal(answer.headers.get('content-type'), 'application/octet-stream')
  const bytes = Buffer.from(await answer.arrayBuffer())
  assert.deepEqual(bytes, Buffer.concat([Buffer.from(embedText('a b', 32).buffer), Buffer.from(embedText('c', 32).buffer)]))
  const refused = await fetch(`${server.url}/embed`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/octet-stream' }, body: JSON.stringify({ texts: ['a'], encoding_format: 'binary' }) })
  assert.equal(refused.status, 400, 'an unknown encoding_format is refused whatever the answer type')
  for (const accept of [undefined, '*/*', 'application/json', 'application/json, application/octet-stream;q=0.5', 'application/*, application/octet-stream;q=0', 'application/octet-stream;q=0.5, */*']) {
    const other = await ask(accept)
    assert.match(other.headers.get('content-type') ?? '', /^application\/json/, String(accept))
    assert.equal(((await other.json()) as { embeddings: string[] }).embeddings.length, 2)
  }
})

test('bad or oversized requests get clear 4xx answers', async (t) => {
  const server = await startEmbeddingServer({ host: '127.0.0.1', port: 0, dim: 8, maxTexts: 2, maxBytes: 1000 })
  t.after(() => server.close())
  assert.equal((await post(`${server.url}/embed`, '{not json')).status, 400)
  assert.equal((await post(`${server.url}/embed`, { texts: [1, 2] })).status, 400)
  assert.equal((await post(`${server.url}/embed`, { other: [] })).status, 400)
  assert.equal((await post(`${server.url}/embed`, { texts: ['a', 'b', 'c'] })).status, 413)
  assert.equal((await post(`${server.url}/embed`, { texts: ['x'.repeat(2000)] })).status, 413)
  assert.equal((await fetch(`${server.url}/nowhere`)).status, 404)
})
