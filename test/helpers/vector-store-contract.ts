/**
 * The sink contract: one suite every `VectorStore` passes unchanged — the
 * embedded store, the Qdrant stand-in, and a real Qdrant when QDRANT_URL is set.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { Point, VectorStore } from '../../operators/contracts.ts'
import { pointId } from '../../operators/point-id.ts'
import { cosine } from './cosine.ts'

export type StoreFactory = (t: { after(fn: () => unknown): void }, opts: { collection: string; dim: number }) => Promise<VectorStore>

export const DIM = 8
const unit = (i: number): number[] => Array.from({ length: DIM }, (_, j) => (j === i % DIM ? 1 : 0.05))

export function point(n: number, fields: Partial<Record<string, string>> = {}): Point {
  const text = `line ${n}`
  const timestamp = `2008-11-${String(9 + (n % 3)).padStart(2, '0')}T20:36:15.000`
  return {
    id: pointId(text, timestamp),
    vector: unit(n),
    payload: {
      text,
      original_text: text,
      log_level: n % 4 === 0 ? 'WARN' : 'INFO',
      source: 'hdfs_datanode',
      timestamp,
      node_type: n % 2 === 0 ? 'datanode' : 'namenode',
      label: null,
      block_id: `blk_-${n}`,
      component: null,
      source_position: `logs/0@${n}`,
      ingested_at: '2026-01-01T00:00:00.000Z',
      ...fields,
    },
  }
}

const collectionName = () => `contract_${randomBytes(4).toString('hex')}`

/** Registers the contract tests for a store kind. */
export function vectorStoreContract(kind: string, factory: StoreFactory): void {
  const open = async (t: { after(fn: () => unknown): void }, dim = DIM, collection = collectionName()) => {
    const store = await factory(t, { collection, dim })
    t.after(() => store.close())
    return { store, collection }
  }

  test(`${kind}: ensureCollection creates once, is idempotent, and refuses another dimension`, async (t) => {
    const { store, collection } = await open(t)
    const created = await store.ensureCollection()
    assert.equal(created.name, collection)
    assert.equal(created.dim, DIM)
    assert.equal(created.distance, 'Cosine')
    const again = await store.ensureCollection()
    assert.equal(again.dim, DIM)
    const { store: other } = await open(t, DIM + 1, collection)
    await assert.rejects(other.ensureCollection(), { code: 'COLLECTION_MISMATCH' })
  })

  test(`${kind}: a collection records what its vectors are of, once: when it is created, or when a job first uses it (or replaced when asked)`, async (t) => {
    const { store } = await open(t)
    const created = await store.ensureCollection({ vectors: 'builtin' })
    assert.equal(created.vectors, 'builtin')
    assert.equal(created.foreign, false, 'a collection logstream created is its own')
    assert.equal(await store.recordVectors!('http/masked'), 'builtin', 'a record is kept')
    assert.equal((await store.describeCollection!())!.vectors, 'builtin')
    assert.equal((await store.ensureCollection({ vectors: 'none' })).vectors, 'builtin', 'only a new collection takes the record at creation')
    assert.equal(await store.recordVectors!('http/masked', { replace: true }), 'http/masked', 'a record replaced when asked to')
    assert.equal((await store.describeCollection!())!.vectors, 'http/masked')
    const { store: unrecorded } = await open(t)
    assert.equal((await unrecorded.ensureCollection()).vectors, undefined)
    assert.equal(await unrecorded.recordVectors!('http/message'), 'http/message')
    assert.equal((await unrecorded.describeCollection!())!.vectors, 'http/message')
  })

  test(`${kind}: upsert is idempotent by id; existing answers the stored subset`, async (t) => {
    const { store } = await open(t)
    await store.ensureCollection()
    const points = Array.from({ length: 10 }, (_, i) => point(i))
    await store.upsert(points)
    await store.upsert(points.slice(0, 3))
    assert.equal(await store.count(), 10)
    const asked = [...points.slice(0, 4).map((p) => p.id), pointId('never', 'stored')]
    assert.deepEqual(await store.existing(asked), new Set(points.slice(0, 4).map((p) => p.id)))
    assert.deepEqual(await store.existing([]), new Set())
    await store.upsert([{ ...points[0]!, payload: { ...points[0]!.payload, label: 'anomaly' } }])
    const [got] = await store.get([points[0]!.id])
    assert.equal(got!.payload.label, 'anomaly', 'a second upsert replaces the payload')
    assert.equal(await store.count(), 10)
  })

  test(`${kind}: count and search honour level, node type, source and time filters`, async (t) => {
    const { store } = await open(t)
    await store.ensureCollection()
    await store.upsert(Array.from({ length: 12 }, (_, i) => point(i)))
    assert.equal(await store.count({ logLevel: 'WARN' }), 3)
    assert.equal(await store.count({ nodeType: 'datanode' }), 6)
    assert.equal(await store.count({ source: 'hdfs_datanode' }), 12)
    assert.equal(await store.count({ since: '2008-11-10T00:00:00.000' }), 8)
    assert.equal(await store.count({ since: '2008-11-10T00:00:00.000', until: '2008-11-10T23:59:59.000' }), 4)
    const hits = await store.search(unit(5), { k: 3, filter: { nodeType: 'namenode' } })
    assert.equal(hits.length, 3)
    assert.ok(hits.every((h) => h.payload.node_type === 'namenode'))
    assert.equal(hits[0]!.payload.text, 'line 5', 'the nearest first')
    assert.ok(hits[0]!.score > hits[1]!.score && hits[1]!.score >= hits[2]!.score)
    assert.ok(Math.abs(hits[0]!.score - 1) < 1e-4, 'cosine similarity of a vector with itself is 1')
  })

  test(`${kind}: get returns payloads and, when asked, vectors; scroll pages through every point once`, async (t) => {
    const { store } = await open(t)
    await store.ensureCollection()
    const points = Array.from({ length: 25 }, (_, i) => point(i))
    await store.upsert(points)
    const [withVector] = await store.get([points[5]!.id], { withVector: true })
    assert.equal(withVector!.payload.block_id, 'blk_-5')
    // A store promises the direction of a vector, not its length: Qdrant keeps the vectors of a Cosine collection normalised.
    assert.equal(withVector!.vector!.length, DIM)
    assert.ok(cosine(withVector!.vector!, unit(5)) > 1 - 1e-6, `the stored vector points where the upserted one did: ${withVector!.vector!.join(', ')}`)
    const seen: string[] = []
    let after: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const page = await store.scroll({ limit: 10, after })
      seen.push(...page.points.map((p) => p.id))
      if (!page.next) break
      after = page.next
    }
    assert.equal(seen.length, 25)
    assert.deepEqual(new Set(seen), new Set(points.map((p) => p.id)))
    const filtered = await store.scroll({ limit: 100, filter: { logLevel: 'WARN' } })
    assert.equal(filtered.points.length, 7)
  })

  test(`${kind}: points sharing one vector (lines of one shape) each read back theirs, beside points of their own, and a point moved between the two reads back its last`, async (t) => {
    const { store } = await open(t)
    await store.ensureCollection()
    // One object a shape, as the built-in embedder gives the lines of one shape.
    const shapeA = unit(1)
    const shapeB = unit(2)
    const first = [...Array.from({ length: 10 }, (_, i) => ({ ...point(i), vector: i % 2 === 1 ? shapeA : shapeB })), point(20)]
    await store.upsert(first)
    // Later batches: shape A again, one of its points now with a vector of its own, and the point of its own now of shape B.
    await store.upsert([...Array.from({ length: 5 }, (_, i) => ({ ...point(10 + i), vector: shapeA })), { ...point(1), vector: unit(5) }])
    await store.upsert([{ ...point(20), vector: shapeB }])
    const expected = new Map<string, number[]>([
      ...first.map((p) => [p.id, p.vector as number[]] as const),
      ...Array.from({ length: 5 }, (_, i) => [point(10 + i).id, shapeA] as const),
      [point(1).id, unit(5)],
      [point(20).id, shapeB],
    ])
    assert.equal(await store.count(), expected.size)
    const read = await store.get([...expected.keys()], { withVector: true })
    assert.equal(read.length, expected.size)
    for (const p of read) assert.ok(cosine(p.vector!, expected.get(p.id)!) > 1 - 1e-6, `point ${p.payload.text} reads back its vector: ${p.vector!.join(', ')}`)
    const scrolled = await store.scroll({ limit: 100, withVector: true })
    for (const p of scrolled.points) assert.ok(cosine(p.vector!, expected.get(p.id)!) > 1 - 1e-6, `scroll: point ${p.payload.text}`)
    const holdersOfA = [...expected].filter(([, v]) => v === shapeA).map(([id]) => id).sort()
    const nearest = await store.search(shapeA, { k: holdersOfA.length + 1 })
    assert.deepEqual(nearest.slice(0, holdersOfA.length).map((h) => h.id).sort(), holdersOfA, 'the points of shape A are its nearest')
    assert.ok(nearest.slice(0, holdersOfA.length).every((h) => h.score > 1 - 1e-5) && nearest.at(-1)!.score < 0.9)
    // Every point ranked, shared vectors and own alike: each its own similarity and its own payload.
    const query = [0.3, 0.9, 0.1, 0.7, 0.2, 0.8, 0.4, 0.6]
    const textOf = new Map([...first, point(1), ...Array.from({ length: 5 }, (_, i) => point(10 + i))].map((p) => [p.id, p.payload.text]))
    const ranked = await store.search(query, { k: expected.size })
    assert.equal(ranked.length, expected.size)
    for (const h of ranked) {
      assert.ok(Math.abs(h.score - cosine(query, expected.get(h.id)!)) < 1e-4, `point ${h.payload.text}: its own similarity, ${h.score}`)
      assert.equal(h.payload.text, textOf.get(h.id), 'its own payload')
    }
    assert.ok(ranked.every((h, i) => i === 0 || ranked[i - 1]!.score >= h.score - 1e-6), 'nearest first')
    const [many] = await store.searchMany!([query], { k: expected.size })
    assert.deepEqual(new Set(many!.map((h) => h.id)), new Set(expected.keys()))
    for (const h of many!) assert.ok(Math.abs(h.score - cosine(query, expected.get(h.id)!)) < 1e-4, 'searchMany: the same similarities')
  })

  test(`${kind}: searchMany answers each vector's nearest ids and similarities in one call, in order, as search does`, async (t) => {
    const { store } = await open(t)
    await store.ensureCollection()
    // Vectors all different, so no two points tie for a place.
    const spread = (n: number) => Array.from({ length: DIM }, (_, j) => Math.sin(n * 7.1 + j * 3.3) + 1.2)
    const points = Array.from({ length: 20 }, (_, i) => ({ ...point(i), vector: spread(i) }))
    await store.upsert(points)
    assert.ok(store.searchMany, 'the store has a batched search')
    const queries = [spread(3), spread(6.5), spread(40)]
    const many = await store.searchMany(queries, { k: 4 })
    assert.equal(many.length, queries.length)
    for (const [i, q] of queries.entries()) {
      const one = await store.search(q, { k: 4 })
      assert.deepEqual(many[i]!.map((h) => h.id), one.map((h) => h.id), `query ${i}: the same neighbours, nearest first`)
      for (const h of many[i]!) assert.ok(Math.abs(h.score - cosine(q, points.find((p) => p.id === h.id)!.vector)) < 1e-4, 'the cosine similarity')
    }
    assert.equal(many[0]![0]!.id, points[3]!.id)
    assert.deepEqual(await store.searchMany([], { k: 4 }), [])
    const filtered = await store.searchMany([spread(5)], { k: 3, filter: { logLevel: 'WARN' } })
    assert.deepEqual(filtered[0]!.length, 3)
    const warn = new Set(points.filter((p) => p.payload.log_level === 'WARN').map((p) => p.id))
    assert.ok(filtered[0]!.every((h) => warn.has(h.id)), 'filters hold')
  })

  test(`${kind}: a vector of the wrong size is rejected and nothing is stored`, async (t) => {
    const { store } = await open(t)
    await store.ensureCollection()
    await assert.rejects(store.upsert([{ ...point(1), vector: [1, 2, 3] }]), { code: 'STORE_REJECTED' })
    assert.equal(await store.count(), 0)
  })
}
