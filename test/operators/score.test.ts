import { test } from 'node:test'
import assert from 'node:assert/strict'
import { firstValueFrom, of } from 'rxjs'
import type { AnomalyMessage, EmbeddedBatch, VectorStore } from '../../operators/contracts.ts'
import { deduped } from '../../operators/dedup.ts'
import { score, type ScoreOptions } from '../../operators/score.ts'
import { ShapeCache } from '../../operators/shape-cache.ts'
import { AnomalyTracker } from '../../operators/anomaly-tracker.ts'
import { pointsOf } from '../../operators/sink.ts'
import { batchReport } from '../../operators/checkpoint.ts'
import { checkpointPath, openCheckpointStore } from '../../checkpoints/sqlite-store.ts'
import type { CheckpointStore } from '../../checkpoints/store.ts'
import { createBuiltinEmbedder } from '../../src/adapters/builtin-embedder.ts'
import { scoreEntries } from '../../src/scoring/anomaly.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createMemoryStore, type MemoryStore } from '../helpers/memory-store.ts'
import { createTestContext, counterValue, type TestContext } from '../helpers/context.ts'
import { batchOf, entry } from '../helpers/batches.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const DIM = 64
const embedder = createBuiltinEmbedder({ dim: DIM })
let offset = 0

/** Lines of a kind: the same template with other numbers. */
const lines = (template: string, n: number) => Array.from({ length: n }, (_, i) => template.replace(/#/g, String(1000 + offset + i * 7)))

/** A batch of fresh lines, embedded, planned in the checkpoint (as the pipeline plans it before any work). */
async function embedded(texts: readonly string[], seq: number, checkpoints: CheckpointStore): Promise<EmbeddedBatch> {
  const entries = texts.map((t) => entry(t, offset++, 'logs/0', new Date(Date.UTC(2026, 0, 1, 0, 0, 0, offset)).toISOString()))
  const batch = batchOf(entries, seq)
  checkpoints.plan({ id: batch.id, seq, ranges: batch.ranges })
  return { ...deduped(batch, entries, 0, 0), vectors: await embedder.embed(texts) }
}

interface Rig {
  readonly store: MemoryStore
  readonly checkpoints: CheckpointStore
  readonly ctx: TestContext
  clock: number
  tracker: AnomalyTracker
  readonly cache: ShapeCache
  /** Scores a batch and stores its points, as score and sink do. */
  run(texts: readonly string[], seq: number, more?: Partial<ScoreOptions>): Promise<EmbeddedBatch>
}

function rig(t: { after(fn: () => unknown): void }, opts: { quietMs?: number; store?: MemoryStore } = {}): Rig {
  const checkpoints = openCheckpointStore({ path: checkpointPath(tempDir(t), 'j'), identity: { job: 'j', source: 's', sink: 'k', dim: DIM } })
  t.after(() => checkpoints.close())
  const quietMs = opts.quietMs ?? 3_600_000
  const r: Rig = {
    store: opts.store ?? createMemoryStore({ dim: DIM }),
    checkpoints,
    ctx: createTestContext('score'),
    clock: Date.UTC(2026, 0, 1),
    tracker: new AnomalyTracker({ ledger: checkpoints.anomalies(), threshold: 0.5, quietMs }),
    cache: new ShapeCache(1000),
    async run(texts, seq, more = {}) {
      const batch = await embedded(texts, seq, checkpoints)
      const out = await firstValueFrom(of(batch).pipe(score(r.ctx, { store: r.store, threshold: 0.5, cache: r.cache, tracker: r.tracker, job: 'j', now: () => r.clock, attempts: 2, delayMs: () => 1, ...more })))
      await r.store.upsert(pointsOf(out, new Date(r.clock).toISOString()))
      return out
    },
  }
  return r
}

const scoresOf = (b: EmbeddedBatch) => b.fresh.map((e) => e.entry.anomaly_score)
const messages = (checkpoints: CheckpointStore) => checkpoints.anomalies().pending(1e9).map((p) => JSON.parse(p.message) as AnomalyMessage)

test("each line's score is in its payload and is what the score service answers against the history before it", async (t) => {
  const r = rig(t)
  const first = await r.run([...lines('Receiving block blk_# src: /10.0.0.1:# dest: /10.0.0.2:#', 40), ...lines('PacketResponder # for block blk_# terminating', 30)], 0)
  const second = [...lines('Receiving block blk_# src: /10.0.0.1:# dest: /10.0.0.2:#', 5), ...lines('Got exception while serving blk_# to /10.0.0.3', 4), ...lines('PacketResponder # for block blk_# closing down', 6), 'Unexpected error trying to delete block blk_9. BlockInfo not found in volumeMap.']
  const history = new Map(r.store.points)
  const out = await r.run(second, 1)
  const stored = pointsOf(out, 'x')
  for (const [i, e] of out.fresh.entries()) {
    // The score service, asked about this line against a store holding exactly the history before it.
    const before = createMemoryStore({ dim: DIM })
    await before.upsert([...history.values(), ...stored.slice(0, i)])
    const [answer] = await scoreEntries([{ id: e.id, entry: e.entry }], { store: before, embedder }, { threshold: 0.5 })
    assert.ok(Math.abs(answer!.score - (e.entry.anomaly_score as number)) < 1e-9, `line ${i} (${e.entry.text}): ${e.entry.anomaly_score} at ingest, ${answer!.score} from the score service`)
  }
  const s = scoresOf(out) as number[]
  assert.ok(s[0]! < 0.5, 'a kind seen 40 times before is not anomalous')
  assert.equal(s[5], 1, 'the first line of a new kind scores 1')
  assert.ok(s[6]! < s[5]! && s[8]! < s[6]!, 'its next lines, less')
  assert.ok(s[9]! > 0.5 && s[9]! < 1, 'a new wording of a known kind is anomalous but near it')
  assert.equal(out.scoring!.scored, second.length)
  const anomalous = [...(scoresOf(first) as number[]), ...s].filter((x) => x >= 0.5).length
  assert.equal(await counterValue(r.ctx.metrics, 'anomalies', { level: 'INFO' }), anomalous, 'lines at or above the threshold, by level')
  assert.equal(first.scoring!.anomalous, (scoresOf(first) as number[]).filter((x) => x >= 0.5).length)
  assert.ok(first.scoring!.anomalous >= 16 && first.scoring!.anomalous <= 20, 'about the first nine of each new kind')
})

test('a shape seen recently is answered by the cache, kept up to date from the batches scored: no neighbour query, the same score', async (t) => {
  const r = rig(t)
  const first = await r.run([...lines('Verification succeeded for blk_#', 40), ...lines('Deleting block blk_# file /data/#', 2)], 0)
  assert.equal(first.scoring!.queried, 2, 'two shapes, one batched query')
  assert.equal(r.store.calls.searchMany, 1)
  const askedBefore = r.store.calls.vectorsSearched
  // The cache's answer for a known shape is the store's: compare with a cold cache on the same store.
  const next = [...lines('Deleting block blk_# file /data/#', 3), ...lines('Verification succeeded for blk_#', 70), ...lines('Served block blk_# to /10.0.0.#', 2)]
  const cold = await firstValueFrom(of(await embedded(next, 1, r.checkpoints)).pipe(score(createTestContext('score'), { store: r.store, threshold: 0.5, cache: new ShapeCache(1000), job: 'j' })))
  const warm = await r.run(next, 1)
  assert.equal(warm.scoring!.cached, 2)
  assert.equal(warm.scoring!.queried, 1, 'only the new shape is asked about')
  assert.equal(r.store.calls.vectorsSearched - askedBefore, 3 + 1, 'three by the cold cache, one by the warm one')
  const warmScores = scoresOf(warm) as number[]
  ;(scoresOf(cold) as number[]).forEach((s, i) => assert.ok(Math.abs(s - warmScores[i]!) < 1e-9, `line ${i}: ${warmScores[i]} from the cache, ${s} from the store`))
  // 110 lines of the shape stored: it scores 0 from now on, asked of nobody.
  const third = await r.run(lines('Verification succeeded for blk_#', 20), 2)
  assert.deepEqual(scoresOf(third), Array(20).fill(0))
  assert.deepEqual([third.scoring!.queried, third.scoring!.cached], [0, 1])
  assert.equal(await counterValue(r.ctx.metrics, 'shapeLookups', { answer: 'cache' }), 3)
  assert.match(batchReport({ ...warm, stored: 75 }).join('\n'), /Scored 75 new messages: \d+ at or above 0.5, highest 1.00 \(1 shapes asked of the store, 2 known to the cache\)/)
})

test('a shape whose neighbour query the store refuses is stored unscored, counted and logged; the rest of the batch is scored', async (t) => {
  const memory = createMemoryStore({ dim: DIM })
  const [poison] = await embedder.embed(['poison shape <num> here'])
  const refusing: MemoryStore = Object.assign(Object.create(memory) as MemoryStore, {
    async searchMany(vectors: readonly Float32Array[], o: { k: number }) {
      if (vectors.some((v) => v.every((x, i) => x === poison![i]))) throw new LogstreamError('STORE_REJECTED', 'Qdrant rejected neighbour search with 400')
      return memory.searchMany!(vectors, o)
    },
    probe: async () => true,
  })
  const r = rig(t, { store: refusing })
  const out = await r.run(['poison shape 1 here', ...lines('Receiving block blk_# src: /10.0.0.1:#', 3), 'poison shape 2 here'], 0)
  assert.deepEqual(scoresOf(out).map((s) => (s === null ? null : typeof s)), [null, 'number', 'number', 'number', null])
  assert.equal(out.scoring!.unscored, 2)
  assert.equal(await counterValue(r.ctx.metrics, 'linesUnscored'), 2)
  assert.ok(r.ctx.lines.some((l) => /could not answer the neighbour query of 2 lines/.test(String(l.msg))))
  assert.equal(memory.points.size, 5, 'every line is stored')
  // A fault no retry can mend stops the job instead.
  const lost: VectorStore = Object.assign(Object.create(memory) as VectorStore, {
    searchMany: async () => {
      throw new LogstreamError('COLLECTION_LOST', 'gone')
    },
  })
  await assert.rejects(r.run(lines('Something else entirely #', 2), 1, { store: lost }), { code: 'COLLECTION_LOST' })
})

test('a new kind of line is announced once in its quiet period, with its count; a restart does not announce it again; after the quiet period a still-rare shape is', async (t) => {
  const r = rig(t, { quietMs: 60_000 })
  await r.run(lines('PacketResponder # for block blk_# terminating', 150), 0)
  const announcedBefore = messages(r.checkpoints).length
  const burst = 'ERROR disk controller # failed: sector #'
  r.clock += 1000
  const b1 = await r.run([...lines('PacketResponder # for block blk_# terminating', 20), ...lines(burst, 30)], 1)
  assert.deepEqual(b1.scoring!.announced, ['ERROR disk controller <num> failed: sector <num>'])
  const published = messages(r.checkpoints).slice(announcedBefore)
  assert.equal(published.length, 1)
  const m = published[0]!
  assert.equal(m.point_id, b1.fresh[20]!.id, 'the first line of the new kind')
  assert.equal(m.score, 1)
  assert.equal(m.count, 30)
  assert.equal(m.line, b1.fresh[20]!.entry.original_text)
  assert.equal(m.source_position, `logs/0@${b1.fresh[20]!.record.offset}`)
  assert.equal(m.neighbours.length, 5)
  assert.ok(m.neighbours.every((n) => n.text.startsWith('PacketResponder') && typeof n.id === 'string' && n.similarity < 0.7), 'its nearest lines, with their texts')
  // More of it, in later batches and after a restart (a new tracker over the same checkpoint): counted, not announced.
  r.clock += 10_000
  await r.run(lines(burst, 25), 2)
  r.tracker = new AnomalyTracker({ ledger: r.checkpoints.anomalies(), threshold: 0.5, quietMs: 60_000 })
  r.clock += 10_000
  const b3 = await r.run(lines(burst, 5), 3)
  assert.deepEqual(b3.scoring!.announced, [])
  assert.equal(messages(r.checkpoints).length, announcedBefore + 1)
  const [pattern] = r.checkpoints.anomalies().patterns({ since: Date.UTC(2026, 0, 1) + 1 })
  assert.equal(pattern!.shape, 'ERROR disk controller <num> failed: sector <num>')
  assert.equal(pattern!.lines, 60)
  assert.deepEqual(r.tracker.recent(1).map((p) => p.lines), [60], 'the status page sees the count')
  // Long after its quiet period, a shape seen 60 times is not news; a rare one that comes back is.
  r.clock += 120_000
  const rare = 'WARN fan # speed low'
  await r.run(lines(rare, 1), 4)
  r.clock += 120_000
  const b6 = await r.run([...lines(burst, 1), ...lines(rare, 1)], 5)
  assert.deepEqual(b6.scoring!.announced, ['WARN fan <num> speed low'])
  const again = messages(r.checkpoints).at(-1)!
  assert.equal(again.announcement, 2)
  assert.equal(again.count, 2)
  assert.equal(r.tracker.firstSeenSince(Date.UTC(2026, 0, 1) + 1), 2)
})

test('a batch scored again after a crash (same id) counts its lines once', async (t) => {
  const r = rig(t)
  const burst = lines('FATAL kernel panic at #', 10)
  const batch = await embedded(burst, 0, r.checkpoints)
  const opts = { store: r.store, threshold: 0.5, cache: r.cache, tracker: r.tracker, job: 'j', now: () => r.clock }
  await firstValueFrom(of(batch).pipe(score(r.ctx, opts)))
  // The process died before the sink: the batch is rebuilt with the same id and scored again by a new process.
  const tracker = new AnomalyTracker({ ledger: r.checkpoints.anomalies(), threshold: 0.5, quietMs: 3_600_000 })
  const restarted = () => ({ ...opts, tracker, cache: new ShapeCache(1000) })
  const replayed = await firstValueFrom(of(batch).pipe(score(createTestContext('score'), restarted())))
  assert.deepEqual(replayed.scoring!.announced, [], 'announced by the first run, quiet now')
  assert.equal(r.checkpoints.anomalies().patterns()[0]!.lines, 10)
  assert.equal(r.checkpoints.anomalies().pending(0).length, 1, 'the first run\'s announcement is still to be published')
  assert.deepEqual(scoresOf(replayed), scoresOf(await firstValueFrom(of(batch).pipe(score(createTestContext('score'), restarted())))), 'the same scores')
})

test('no fresh entries: nothing is asked', async (t) => {
  const r = rig(t)
  const batch = await embedded([], 0, r.checkpoints)
  const out = await firstValueFrom(of(batch).pipe(score(r.ctx, { store: r.store, threshold: 0.5, cache: r.cache, tracker: r.tracker, job: 'j' })))
  assert.equal(out.scoring!.scored, 0)
  assert.equal(r.store.calls.searchMany, 0)
})

test("lines are grouped by shape whether they share their shape's vector (vectorPerShape) or hold their own; one vector for lines of several shapes is not taken for one shape", async (t) => {
  const r = rig(t)
  await r.run([...lines('Receiving block blk_# src: /10.0.0.1:# dest: /10.0.0.2:#', 20), ...lines('PacketResponder # for block blk_# terminating', 20)], 0)
  const texts = [...lines('Receiving block blk_# src: /10.0.0.1:# dest: /10.0.0.2:#', 3), ...lines('Deleting block blk_# file /data/#', 4), ...lines('Receiving block blk_# src: /10.0.0.1:# dest: /10.0.0.2:#', 2), ...lines('Served block blk_# to /10.0.0.#', 3)]
  const batch = await embedded(texts, 1, r.checkpoints)
  assert.equal(new Set(batch.vectors).size, 3, "the built-in embedder gives each shape one vector object")
  const scoreWith = (b: EmbeddedBatch, vectorPerShape: boolean) =>
    firstValueFrom(of(b).pipe(score(createTestContext('score'), { store: r.store, threshold: 0.5, cache: new ShapeCache(1000), job: 'j', now: () => r.clock, vectorPerShape })))
  const copy = (b: EmbeddedBatch): EmbeddedBatch => ({ ...b, fresh: b.fresh.map((e) => ({ ...e, entry: { ...e.entry } })) })
  const shared = await scoreWith(copy(batch), true)
  // As an embedding service's vectors: every line its own object, the same numbers.
  const own = await scoreWith({ ...copy(batch), vectors: batch.vectors.map((v) => Float32Array.from(v)) }, false)
  assert.equal(shared.scoring!.queried, 3, 'three shapes asked of the store')
  assert.equal(own.scoring!.queried, 3, 'three shapes asked of the store, though every line has a vector of its own')
  assert.deepEqual(scoresOf(shared), scoresOf(own))
  // The no-op embedder's one vector for every line: lines of three shapes stay three groups.
  const unit = batch.vectors[0]!
  const noop = await scoreWith({ ...copy(batch), vectors: batch.vectors.map(() => unit) }, false)
  assert.equal(noop.scoring!.queried, 3)
})
