/**
 * The Qdrant sink: the contract suite against the suite's Qdrant — the real
 * server wherever it can run (or any Qdrant at QDRANT_URL, with QDRANT_API_KEY
 * if it needs one), else the stand-in — then tests that inspect the requests
 * or inject faults, which only the stand-in can do.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createQdrantStore, PAYLOAD_INDEXES, qdrantFilter } from '../../src/adapters/qdrant-store.ts'
import { createPipelineMetrics } from '../../operators/metrics.ts'
import { pointId } from '../../operators/point-id.ts'
import { startQdrantStandIn } from '../helpers/qdrant-stand-in.ts'
import { ownQdrant, suiteQdrant, suiteQdrantKind, type QdrantServer } from '../helpers/qdrant.ts'
import { join } from 'node:path'
import { SAMPLE, eventually, runCli } from '../helpers/cli.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { vectorStoreContract } from '../helpers/vector-store-contract.ts'

const fast = { initialDelayMs: 20, maxDelayMs: 200 }

const servers = new Map<unknown, Promise<QdrantServer>>()
const kind = process.env.QDRANT_URL && !process.env.LOGSTREAM_TEST_QDRANT ? `Qdrant at ${process.env.QDRANT_URL}` : suiteQdrantKind() === 'real' ? 'Qdrant (real server)' : 'Qdrant (stand-in)'
vectorStoreContract(kind, async (t, { collection, dim }) => {
  // Stores opened by one test talk to one server, as two jobs would.
  if (!servers.has(t)) servers.set(t, suiteQdrant(t))
  const { url } = await servers.get(t)!
  const store = createQdrantStore({ url, apiKey: process.env.QDRANT_API_KEY, collection, dim, retry: { ...fast, maxAttempts: 3 } })
  t.after(() => store.deleteCollection(collection).catch(() => undefined))
  return store
})

// The same contract with upserts over gRPC, where the suite's Qdrant is a real server (the stand-in serves REST only).
if (suiteQdrantKind() === 'real') {
  vectorStoreContract(`${kind}, upserts over gRPC`, async (t, { collection, dim }) => {
    if (!servers.has(t)) servers.set(t, suiteQdrant(t))
    const { url, grpcPort } = await servers.get(t)!
    const store = createQdrantStore({ url, apiKey: process.env.QDRANT_API_KEY, preferGrpc: true, grpcPort, collection, dim, retry: { ...fast, maxAttempts: 3 } })
    t.after(() => store.deleteCollection(collection).catch(() => undefined))
    return store
  })
}

const point = (n: number) => ({
  id: pointId(`t${n}`, 'ts'),
  vector: [1, n, 0, 0],
  payload: { text: `t${n}`, original_text: '', log_level: 'INFO', source: 's', timestamp: '2008-11-09T20:36:15.000', node_type: 'datanode', label: null, block_id: null, component: null, source_position: `p@${n}`, ingested_at: '' },
})

test('stand-in (requests inspected): a new collection gets its cluster settings and payload indexes; an existing one is announced', async (t) => {
  const q = await startQdrantStandIn(t)
  const lines: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) })
  const store = createQdrantStore({ url: q.url, collection: 'logs_embeddings', dim: 4, shardNumber: 2, replicationFactor: 2, writeConsistencyFactor: 2, onDiskPayload: true, quantization: 'int8', logger })
  await store.ensureCollection()
  const create = q.requests.find((r) => r.method === 'PUT' && r.path === '/collections/logs_embeddings')!
  assert.deepEqual((create.body as { vectors: unknown }).vectors, { size: 4, distance: 'Cosine', on_disk: false })
  assert.equal((create.body as { shard_number: number }).shard_number, 2)
  assert.equal((create.body as { replication_factor: number }).replication_factor, 2)
  assert.deepEqual((create.body as { quantization_config: unknown }).quantization_config, { scalar: { type: 'int8', quantile: 0.99, always_ram: true } })
  const indexes = q.requests.filter((r) => r.path === '/collections/logs_embeddings/index').map((r) => r.body)
  assert.deepEqual(indexes, [
    { field_name: 'log_level', field_schema: 'keyword' },
    { field_name: 'node_type', field_schema: 'keyword' },
    { field_name: 'source', field_schema: 'keyword' },
    { field_name: 'timestamp', field_schema: 'datetime' },
    { field_name: 'anomaly_score', field_schema: 'float' },
  ])
  await createQdrantStore({ url: q.url, collection: 'logs_embeddings', dim: 4, logger }).ensureCollection()
  assert.ok(lines.some((l) => l.msg === 'Using existing Qdrant collection: logs_embeddings'))
  assert.equal(q.requests.filter((r) => r.path === '/collections/logs_embeddings/index').length, 5, 'an existing collection with every index gets no more')
  assert.deepEqual(q.responseProblems, [])
})

test(`${kind}: an existing collection without the payload indexes (made by hand, by the replaced job, or before a field was indexed) gets them`, async (t) => {
  const q = await suiteQdrant(t)
  const collection = `no_indexes_${randomBytes(4).toString('hex')}`
  const headers = { 'content-type': 'application/json', ...(process.env.QDRANT_API_KEY ? { 'api-key': process.env.QDRANT_API_KEY } : {}) }
  const made = await fetch(`${q.url}/collections/${collection}`, { method: 'PUT', headers, body: JSON.stringify({ vectors: { size: 4, distance: 'Cosine' } }) })
  assert.equal(made.status, 200, await made.text())
  const store = createQdrantStore({ url: q.url, apiKey: process.env.QDRANT_API_KEY, collection, dim: 4, retry: { ...fast, maxAttempts: 3 } })
  t.after(() => store.deleteCollection(collection).catch(() => undefined))
  await store.ensureCollection()
  const schema = async () => ((await (await fetch(`${q.url}/collections/${collection}`, { headers })).json()) as { result: { payload_schema: Record<string, { data_type: string }> } }).result.payload_schema
  // Asked for without waiting: Qdrant builds them in the background.
  await eventually(async () => Object.keys(await schema()).length === PAYLOAD_INDEXES.length, 30_000, 100)
  assert.deepEqual(Object.fromEntries(Object.entries(await schema()).map(([field, s]) => [field, s.data_type])), Object.fromEntries(PAYLOAD_INDEXES))
  // The points that scored at least a threshold are found through the new index.
  await store.upsert([point(1), { ...point(2), payload: { ...point(2).payload, anomaly_score: 0.9 } }])
  const page = await store.scroll({ limit: 10, filter: { minAnomalyScore: 0.5 } })
  assert.deepEqual(page.points.map((p) => p.id), [point(2).id])
})

test('stand-in (requests inspected): dedup look-ups and upserts are chunked; upserts wait and carry the write ordering', async (t) => {
  const q = await startQdrantStandIn(t)
  const store = createQdrantStore({ url: q.url, collection: 'c', dim: 4, upsertBatchSize: 64, upsertConcurrency: 3, writeOrdering: 'medium' })
  await store.ensureCollection()
  await store.upsert(Array.from({ length: 300 }, (_, i) => point(i)))
  const upserts = q.requests.filter((r) => r.method === 'PUT' && r.path === '/collections/c/points')
  assert.equal(upserts.length, 5, '300 points in chunks of 64')
  assert.equal(q.pointCount('c'), 300)
  const found = await store.existing(Array.from({ length: 12_000 }, (_, i) => pointId(`t${i}`, 'ts')))
  assert.equal(found.size, 300)
  const lookups = q.requests.filter((r) => r.method === 'POST' && r.path === '/collections/c/points')
  assert.equal(lookups.length, 3, '12,000 ids in chunks of 5,000')
  assert.deepEqual(Object.keys(lookups[0]!.body as object).sort(), ['ids', 'with_payload', 'with_vector'])
  // Compressing id lists and acknowledgements cost both sides CPU for nothing on a local network.
  assert.deepEqual([...new Set(q.requests.map((r) => r.acceptEncoding))], ['identity'])
  assert.deepEqual(q.responseProblems, [])
})

test('stand-in (requests inspected): upserts of batches stored at once share the upsert concurrency: never more requests in flight', async (t) => {
  const q = await startQdrantStandIn(t)
  const store = createQdrantStore({ url: q.url, collection: 'c', dim: 4, upsertBatchSize: 64, upsertConcurrency: 2 })
  await store.ensureCollection()
  // Slow answers, so that the two batches' chunks would overlap if nothing held them.
  q.delay(100)
  await Promise.all([store.upsert(Array.from({ length: 300 }, (_, i) => point(i))), store.upsert(Array.from({ length: 300 }, (_, i) => point(300 + i)))])
  assert.equal(q.pointCount('c'), 600)
  assert.ok(q.mostInFlight <= 2, `${q.mostInFlight} requests in flight at once`)
})

test('stand-in (requests inspected): upserts are chunked by body size too', async (t) => {
  const q = await startQdrantStandIn(t)
  const store = createQdrantStore({ url: q.url, collection: 'c', dim: 4, upsertBatchSize: 1000, maxRequestBytes: 4000 })
  await store.ensureCollection()
  await store.upsert(Array.from({ length: 40 }, (_, i) => point(i)))
  const upserts = q.requests.filter((r) => r.method === 'PUT' && r.path === '/collections/c/points')
  assert.ok(upserts.length >= 4, `split by size (${upserts.length} requests)`)
  assert.equal(q.pointCount('c'), 40)
})

test('stand-in (fault injection): 503s and a Qdrant that is down for a while: the write waits, retries and lands once', async (t) => {
  const q = await startQdrantStandIn(t)
  const metrics = createPipelineMetrics(new Registry())
  const store = createQdrantStore({ url: q.url, collection: 'c', dim: 4, metrics, retry: fast })
  await store.ensureCollection()
  q.failNext(3)
  await store.upsert([point(1)])
  q.setDown(true)
  setTimeout(() => q.setDown(false), 1500)
  await store.upsert([point(2), point(1)])
  assert.equal(q.pointCount('c'), 2)
  q.failNext(2)
  assert.deepEqual(await store.existing([point(1).id, point(3).id]), new Set([point(1).id]), 'a look-up waits through 503s too')
  const retries = (await metrics.dependencyRetries.get()).values.find((v) => v.labels.dependency === 'qdrant')?.value ?? 0
  assert.ok(retries >= 6)
})

test(`${kind}: a request Qdrant rejects fails at once with a clear error`, async (t) => {
  const q = await suiteQdrant(t)
  const collection = `rejects_${randomBytes(4).toString('hex')}`
  const store = createQdrantStore({ url: q.url, apiKey: process.env.QDRANT_API_KEY, collection, dim: 4, retry: { ...fast, maxAttempts: 3 } })
  t.after(() => store.deleteCollection(collection).catch(() => undefined))
  await store.ensureCollection()
  await assert.rejects(store.upsert([{ ...point(1), id: 'not-a-uuid' }]), (err: Error & { code?: string }) => err.code === 'STORE_REJECTED' && /400/.test(err.message))
  await assert.rejects(store.existing(['not-a-uuid']), (err: Error & { code?: string }) => err.code === 'STORE_REJECTED' && /id look-up/.test(err.message))
  await store.upsert([point(1)])
  assert.deepEqual(await store.existing([point(1).id, point(2).id]), new Set([point(1).id]))
  await store.deleteCollection(collection)
  await assert.rejects(store.existing([point(1).id]), (err: Error & { code?: string }) => err.code === 'COLLECTION_LOST')
  await assert.rejects(store.upsert([point(2)]), (err: Error & { code?: string }) => err.code === 'COLLECTION_LOST')
})

test('filters translate to Qdrant payload filters', () => {
  assert.deepEqual(qdrantFilter({ logLevel: 'ERROR', nodeType: 'datanode', since: '2008-11-09T00:00:00', until: '2008-11-10T00:00:00' }), {
    must: [
      { key: 'log_level', match: { value: 'ERROR' } },
      { key: 'node_type', match: { value: 'datanode' } },
      { key: 'timestamp', range: { gte: '2008-11-09T00:00:00Z', lte: '2008-11-10T00:00:00Z' } },
    ],
  })
  assert.equal(qdrantFilter({}), undefined)
})

test('stand-in (requests inspected): searchMany is one batch query request per 256 vectors, asking for ids and scores only', async (t) => {
  const q = await startQdrantStandIn(t)
  const store = createQdrantStore({ url: q.url, collection: 'batched', dim: 4, retry: fast })
  await store.ensureCollection()
  await store.upsert(Array.from({ length: 10 }, (_, i) => point(i)))
  const before = q.requests.length
  const vectors = Array.from({ length: 300 }, (_, i) => [1, i % 10, 0, 0])
  const answers = await store.searchMany!(vectors, { k: 3 })
  const batches = q.requests.slice(before).filter((r) => r.path === '/collections/batched/points/query/batch')
  assert.equal(batches.length, 2, 'two requests for 300 vectors')
  assert.equal(q.requests.length - before, 2, 'nothing else was asked')
  const searches = (batches[0]!.body as { searches: Array<Record<string, unknown>> }).searches
  assert.equal(searches.length, 256)
  assert.equal(searches[0]!.with_payload, false)
  assert.equal(searches[0]!.limit, 3)
  assert.equal(answers.length, 300)
  assert.equal(answers[7]![0]!.id, point(7).id, 'each answer is its own vector\'s')
  assert.ok(answers.every((a) => a.length === 3))
  assert.deepEqual(q.responseProblems, [])
})

const grpcSkip = suiteQdrantKind() === 'real' ? false : 'the stand-in serves REST only'

test(`${kind}: points upserted over gRPC read back as the same points upserted over REST: payload values of every JSON type, vectors`, { skip: grpcSkip }, async (t) => {
  const q = await suiteQdrant(t)
  const tag = randomBytes(4).toString('hex')
  const dim = 384
  const open = (collection: string, preferGrpc: boolean) => {
    const store = createQdrantStore({ url: q.url, apiKey: process.env.QDRANT_API_KEY, preferGrpc, grpcPort: q.grpcPort, collection, dim, retry: { ...fast, maxAttempts: 3 } })
    t.after(async () => {
      await store.deleteCollection(collection).catch(() => undefined)
      await store.close()
    })
    return store
  }
  const rest = open(`rest_${tag}`, false)
  const grpc = open(`grpc_${tag}`, true)
  await rest.ensureCollection()
  await grpc.ensureCollection()
  const points = Array.from({ length: 300 }, (_, n) => ({
    id: pointId(`line ${n} ✓ ünïcödé`, `2008-11-09T20:36:${String(n % 60).padStart(2, '0')}.000`),
    vector: Float32Array.from({ length: dim }, (_, i) => Math.sin(n * 7 + i) * (i % 5 === 0 ? 1e-7 : 1)),
    payload: {
      ...point(n).payload,
      text: `line ${n} ✓ ünïcödé`,
      label: n % 3 === 0 ? 'anomaly' : null,
      anomaly_score: n / 7,
      count: n,
      negative: -n,
      flag: n % 2 === 0,
      nested: { list: [n, `${n}`, null, { deep: n * 0.5 }], empty: {} },
      long: 'x'.repeat(200 + n),
    },
  }))
  await rest.upsert(points)
  await grpc.upsert(points)
  assert.equal(await grpc.count(), points.length)
  const ids = points.map((p) => p.id)
  const byId = (got: Awaited<ReturnType<typeof rest.get>>) => new Map(got.map((p) => [p.id, p]))
  const fromRest = byId(await rest.get(ids, { withVector: true }))
  const fromGrpc = byId(await grpc.get(ids, { withVector: true }))
  for (const id of ids) {
    assert.deepEqual(fromGrpc.get(id)?.payload, fromRest.get(id)?.payload, id)
    assert.deepEqual(fromGrpc.get(id)?.vector, fromRest.get(id)?.vector, id)
  }
  // Qdrant keeps an integer an integer: the filter on a payload written over gRPC finds what it finds over REST.
  assert.deepEqual(await grpc.existing(ids), new Set(ids))
  assert.equal(await grpc.count({ minAnomalyScore: 10 }), await rest.count({ minAnomalyScore: 10 }))
})

test(`${kind}: over gRPC, a point Qdrant rejects fails at once with a clear error, and a deleted collection is named`, { skip: grpcSkip }, async (t) => {
  const q = await suiteQdrant(t)
  const collection = `grpc_rejects_${randomBytes(4).toString('hex')}`
  const store = createQdrantStore({ url: q.url, apiKey: process.env.QDRANT_API_KEY, preferGrpc: true, grpcPort: q.grpcPort, collection, dim: 4, retry: { ...fast, maxAttempts: 3 } })
  t.after(async () => {
    await store.deleteCollection(collection).catch(() => undefined)
    await store.close()
  })
  await store.ensureCollection()
  await assert.rejects(store.upsert([{ ...point(1), id: 'not-a-uuid' }]), (err: Error & { code?: string }) => err.code === 'STORE_REJECTED' && /INVALID_ARGUMENT/.test(err.message))
  await store.upsert([point(1)])
  await store.deleteCollection(collection)
  await assert.rejects(store.upsert([point(2)]), (err: Error & { code?: string }) => err.code === 'COLLECTION_LOST')
})

test('over gRPC, a Qdrant killed mid-stream is waited for: the upsert retries and lands once, when it is back', { skip: grpcSkip }, async (t) => {
  const own = await ownQdrant(t)
  const metrics = createPipelineMetrics(new Registry())
  const store = createQdrantStore({ url: own.url, preferGrpc: true, grpcPort: own.grpcPort, collection: 'c', dim: 4, metrics, retry: fast, timeout: 2000 })
  t.after(() => store.close())
  await store.ensureCollection()
  await store.upsert([point(1)])
  await own.stop()
  const landed = store.upsert([point(2), point(1)])
  await eventuallyRetried(metrics, 3)
  await own.start()
  await landed
  assert.equal(await own.pointCount('c'), 2)
})

/** Resolves once the store has retried Qdrant `n` times. */
async function eventuallyRetried(metrics: ReturnType<typeof createPipelineMetrics>, n: number): Promise<void> {
  for (;;) {
    const retries = (await metrics.dependencyRetries.get()).values.find((v) => v.labels.dependency === 'qdrant')?.value ?? 0
    if (retries >= n) return
    await new Promise((r) => setTimeout(r, 50))
  }
}

test(`${kind}: a gRPC port that is not Qdrant's gRPC API is a configuration error naming the field, at start (exit 2), not an outage waited for`, { skip: grpcSkip }, async (t) => {
  const q = await suiteQdrant(t)
  const restPort = Number(new URL(q.url).port)
  const collection = `grpc_port_${randomBytes(4).toString('hex')}`
  const store = createQdrantStore({ url: q.url, apiKey: process.env.QDRANT_API_KEY, preferGrpc: true, grpcPort: restPort, collection, dim: 4, retry: { ...fast, maxAttempts: 3 } })
  t.after(async () => {
    await store.deleteCollection(collection).catch(() => undefined)
    await store.deleteCollection(`${collection}_job`).catch(() => undefined)
    await store.close()
  })
  await assert.rejects(store.ensureCollection(), (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /^qdrant\.grpcPort: /.test(err.message))
  const dir = tempDir(t)
  const run = await runCli(['run', '--source', `file:${SAMPLE}`, '--data-dir', join(dir, 'data'), '--sink', 'qdrant', '--qdrant-url', q.url, '--collection', `${collection}_job`, '--qdrant-prefer-grpc', '--qdrant-grpc-port', String(restPort), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http'], { timeoutMs: 60_000 })
  assert.equal(run.code, 2, run.stderr)
  assert.match(run.stderr, /qdrant\.grpcPort: .* does not answer as Qdrant's gRPC API/)
})
