/**
 * The production topology on one machine: Kafka (real broker) → job → HTTP
 * embedding service (`serve-embeddings`) → Qdrant (the real server wherever it
 * can run, else the stand-in), on the HDFS sample; each service stopped for 20 s
 * mid-stream (a real Qdrant killed with SIGKILL and started again on its
 * storage) loses nothing and stores nothing twice.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEmbeddingServer } from '../../src/services/embedding-server.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, eventually, startCli } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { dropCollection, ownQdrant, suiteQdrant, suiteQdrantKind } from '../helpers/qdrant.ts'
import { hdfsMessage, kcatLine } from '../helpers/hdfs-messages.ts'

const sample = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean).map(hdfsMessage)
const messages = sample.map(kcatLine)
const expected = new Set(sample.map((m) => m.id))

async function storedIds(qdrantUrl: string, collection: string): Promise<string[]> {
  const ids: string[] = []
  let offset: unknown = undefined
  for (;;) {
    const res = await fetch(`${qdrantUrl}/collections/${collection}/points/scroll`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ limit: 1000, offset, with_payload: false }) })
    const body = (await res.json()) as { result: { points: Array<{ id: string }>; next_page_offset: unknown } }
    ids.push(...body.result.points.map((p) => p.id))
    if (body.result.next_page_offset === null || body.result.next_page_offset === undefined) return ids
    offset = body.result.next_page_offset
  }
}

/** Points stored by the batches a job has committed so far, from its batch log lines. */
const storedSoFar = (logs: ReadonlyArray<Record<string, unknown>>) => logs.reduce((n, l) => n + (typeof l.stored === 'number' ? l.stored : 0), 0)

for (const [outage, grpc] of [['embedding service', false], ['Qdrant', false], ['Qdrant', true]] as const) {
  const over = grpc ? ', upserts over gRPC' : ''
  const skip = grpc && suiteQdrantKind() !== 'real' ? 'the stand-in serves REST only' : false
  test(`Kafka → job → HTTP embedder → Qdrant (${suiteQdrantKind()}${over}); the ${outage} stopped for 20 s mid-stream loses nothing and stores nothing twice`, { skip }, async (t) => {
    const broker = await sharedBroker()
    const topic = topicName()
    await broker.createTopic(topic, 3)
    // The Qdrant outage stops the server: one of the test's own.
    const own = outage === 'Qdrant' ? await ownQdrant(t) : undefined
    const qdrant = own ?? (await suiteQdrant(t))
    let embedder = await startEmbeddingServer({ host: '127.0.0.1', port: 0, dim: 384 })
    t.after(() => embedder.close())
    const port = Number(new URL(embedder.url).port)
    const dir = tempDir(t)
    const collection = `e2e_${topic.replace(/-/g, '_')}`
    t.after(() => dropCollection(qdrant.url, collection))
    await kcatProduce(broker.bootstrap, topic, messages.slice(0, 1000), { keyed: true })
    const job = startCli([
      'run', '--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-2`,
      '--embedder', 'http', '--embedding-url', `${embedder.url}/embed`, '--embedding-timeout', '2s',
      '--sink', 'qdrant', '--qdrant-url', qdrant.url, '--collection', collection, '--qdrant-timeout', '2s',
      '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--batch-size', '200', '--trigger', '300ms',
      ...(grpc ? ['--qdrant-prefer-grpc', '--qdrant-grpc-port', String(qdrant.grpcPort)] : []),
    ])
    t.after(() => job.child.kill('SIGKILL'))
    await eventually(async () => (await qdrant.pointCount(collection)) === 1000 && storedSoFar(job.logs) === 1000, 60_000)

    if (own) await own.stop()
    else await embedder.close()
    const logsAtStop = job.logs.length
    await kcatProduce(broker.bootstrap, topic, messages.slice(1000), { keyed: true })
    await new Promise((r) => setTimeout(r, 20_000))
    if (!own) assert.equal(await qdrant.pointCount(collection), 1000, 'nothing stored while the embedding service is away')
    assert.equal(storedSoFar(job.logs.slice(logsAtStop)), 0, 'no batch committed while a service is away')
    if (own) await own.start()
    else embedder = await startEmbeddingServer({ host: '127.0.0.1', port, dim: 384 })

    await eventually(async () => (await qdrant.pointCount(collection)) === expected.size, 90_000)
    job.child.kill('SIGTERM')
    const result = await job.done
    assert.equal(result.code, 0, result.stderr)
    const ids = await storedIds(qdrant.url, collection)
    assert.equal(ids.length, expected.size, 'stored once each')
    assert.deepEqual(new Set(ids), expected, 'nothing lost')
    assert.ok(result.logs.some((l) => String(l.msg).includes(outage === 'Qdrant' ? 'Qdrant unavailable' : 'embedding service failing')), 'the outage is reported')
    assert.deepEqual(qdrant.responseProblems, [])
  })
}
