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
