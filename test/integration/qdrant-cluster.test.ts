/**
 * The job against a local three-peer Qdrant cluster (the real server): a
 * collection of 3 shards, replication factor 2, write consistency factor 2; one
 * peer killed with SIGKILL in the middle of a Kafka stream and started again
 * later; the final collection equals one clean run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.ts'
import { eventually, runCli, startCli } from '../helpers/cli.ts'
import { kcatProduce, sharedBroker, topicName } from '../helpers/kafka-broker.ts'
import { qdrantCluster, realQdrantAvailable } from '../helpers/qdrant.ts'
import { storedPayloads } from '../helpers/store.ts'
import { hdfsMessages, kcatLine, type HdfsMessage } from '../helpers/hdfs-messages.ts'

const idOf = (m: HdfsMessage) => m.id

async function rest<T>(url: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { result: T }).result
}

/** Every point, payloads without the ingest time and the anomaly score (which differ between runs by design, see helpers/store.ts), read with `consistency=all` (every replica answers). */
async function clusterPayloads(url: string, collection: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = []
  let offset: unknown
  for (;;) {
    const page = await rest<{ points: Array<{ id: string; payload: Record<string, unknown> }>; next_page_offset: unknown }>(url, `/collections/${collection}/points/scroll?consistency=all`, { limit: 1000, offset, with_payload: true })
    for (const p of page.points) out.push({ ...p.payload, id: p.id, ingested_at: undefined, anomaly_score: undefined })
    if (page.next_page_offset === null || page.next_page_offset === undefined) return out
    offset = page.next_page_offset
  }
}

interface ShardReplicas {
  local_shards: Array<{ shard_id: number; state: string; points_count: number }>
  remote_shards: Array<{ shard_id: number; peer_id: number; state: string }>
  shard_transfers: unknown[]
}

/** Replica states as one peer sees them: `shard@peer: state`. */
async function replicaStates(url: string, collection: string): Promise<string[]> {
  const c = await rest<ShardReplicas & { peer_id: number }>(url, `/collections/${collection}/cluster`)
  return [...c.local_shards.map((s) => `${s.shard_id}@${c.peer_id}: ${s.state}`), ...c.remote_shards.map((s) => `${s.shard_id}@${s.peer_id}: ${s.state}`)].sort()
}

const byId = (a: Record<string, unknown>, b: Record<string, unknown>) => String(a.id).localeCompare(String(b.id))
const storedSoFar = (logs: ReadonlyArray<Record<string, unknown>>) => logs.reduce((n, l) => n + (typeof l.stored === 'number' ? l.stored : 0), 0)

test(
  'a three-peer Qdrant cluster (3 shards, replication 2, write consistency 2): a peer killed with SIGKILL mid-stream and started again; the collection equals one clean run',
  { skip: realQdrantAvailable() ? false : 'needs the real Qdrant binary (scripts/qdrant.sh fetch); the stand-in has no cluster' },
  async (t) => {
    const broker = await sharedBroker()
    const topic = topicName('cluster')
    await broker.createTopic(topic, 3)
    // HDFS traffic with exact duplicates.
    const messages = hdfsMessages(4500, 21, 0.15)
    const expected = new Set(messages.map(idOf))
    const thirds = [messages.slice(0, 1500), messages.slice(1500, 3000), messages.slice(3000)]

    const cluster = await qdrantCluster(t, 3)
    const [url] = cluster.urls
    const collection = `cluster_${topic.replace(/-/g, '_')}`
    const dir = tempDir(t)
    const source = ['--source', 'kafka', '--brokers', broker.bootstrap, '--topics', topic, '--partitions', `${topic}:0-2`, '--no-http', '--batch-size', '200', '--trigger', '300ms']
    // The job talks to the first peer; another peer goes away.
    const job = startCli([
      'run', ...source, '--checkpoint-dir', join(dir, 'checkpoints'),
      '--sink', 'qdrant', '--qdrant-url', url!, '--collection', collection, '--qdrant-timeout', '5s',
      '--qdrant-shards', '3', '--qdrant-replication-factor', '2', '--qdrant-write-consistency', '2',
    ])
    t.after(() => job.child.kill('SIGKILL'))

    await kcatProduce(broker.bootstrap, topic, thirds[0]!.map(kcatLine), { keyed: true })
    await eventually(() => storedSoFar(job.logs) > 0, 120_000)
    const info = await rest<{ config: { params: Record<string, unknown> } }>(url!, `/collections/${collection}`)
    assert.deepEqual([info.config.params.shard_number, info.config.params.replication_factor, info.config.params.write_consistency_factor], [3, 2, 2])

    await cluster.kill(2)
    const killedAt = job.logs.length
    const storedBefore = storedSoFar(job.logs)
    await kcatProduce(broker.bootstrap, topic, thirds[1]!.map(kcatLine), { keyed: true })
    // While the peer is away, two of the three shards have one live replica of the two the write
    // consistency asks for: Qdrant answers their upserts with 500 (the replicas stay Active, not Dead),
    // so the job retries and commits nothing of those batches until the peer is back.
    const firstTwo = new Set([...thirds[0]!, ...thirds[1]!].map(idOf)).size
    const retrying = (l: Record<string, unknown>) => l.msg === 'Qdrant unavailable; the batch waits and retries'
    await eventually(() => storedSoFar(job.logs) === firstTwo || job.logs.slice(killedAt).some(retrying), 120_000)
    const whileAway = job.logs.slice(killedAt)
    console.log(`peer 3 away: ${storedSoFar(whileAway)} of ${firstTwo - storedBefore} points committed when the first retry was logged: ${JSON.stringify(whileAway.find(retrying)?.err)}`)
    assert.ok(storedSoFar(job.logs) < firstTwo, 'the job waits while the write consistency factor cannot be met')
    assert.ok((await replicaStates(url!, collection)).every((r) => r.endsWith(': Active')), 'no replica is marked dead: the writes fail instead')

    await cluster.restart(2)
    await kcatProduce(broker.bootstrap, topic, thirds[2]!.map(kcatLine), { keyed: true })
    await eventually(() => storedSoFar(job.logs) === expected.size, 180_000)
    // The returning peer's replicas are brought back by Qdrant (shard transfers from the replicas that stayed).
    await eventually(async () => {
      const states = await Promise.all(cluster.urls.map((u) => replicaStates(u, collection)))
      return states.every((s) => s.length === 6 && s.every((r) => r.endsWith(': Active')))
    }, 180_000, 500)
    job.child.kill('SIGTERM')
    const result = await job.done
    assert.equal(result.code, 0, result.stderr)

    const reference = tempDir(t)
    const clean = await runCli(['run', ...source, '--data-dir', join(reference, 'data'), '--checkpoint-dir', join(reference, 'checkpoints'), '--stop-when-idle', '2s'])
    assert.equal(clean.code, 0, clean.stderr)
    const want = (await storedPayloads(reference)).sort(byId)
    assert.deepEqual(new Set(want.map((p) => p.id)), expected)
    const got = (await clusterPayloads(url!, collection)).sort(byId)
    assert.equal(got.length, expected.size, 'every id once')
    assert.deepEqual(got, want, 'the payloads of one clean run')
    for (const u of cluster.urls) assert.equal((await rest<{ count: number }>(u, `/collections/${collection}/points/count`, { exact: true })).count, expected.size, `count through ${u}`)
  },
)
