/**
 * `collections share`'s work: the vectors that older rows of the embedded
 * store hold alike (written before layout 3) kept once, beside a job that
 * goes on writing, with nothing read back otherwise.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import test from 'node:test'
import Database from 'better-sqlite3'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { DIM, point } from '../helpers/vector-store-contract.ts'
import { toLayout2 } from '../helpers/store-layout2.ts'
import { tempDir } from '../helpers/temp-dir.ts'

test('rows that hold one vector alike come to refer to one stored copy, a chunk at a time, beside a job writing; rows of their own stay; everything reads back the same', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const shapes = [0, 1, 2, 3, 4].map((i) => Array.from({ length: DIM }, (_, j) => (j === i ? 1 : 0.1)))
  // 90 rows of three shapes, 10 of their own, then the file as layout 2 wrote it (every vector in its row).
  const before = [...Array.from({ length: 90 }, (_, i) => ({ ...point(i), vector: shapes[i % 3]! })), ...Array.from({ length: 10 }, (_, i) => ({ ...point(200 + i), vector: Array.from({ length: DIM }, (_, j) => Math.sin(i * 7.1 + j * 3.3) + 1.2) })), { ...point(250), vector: shapes[4]! }]
  const first = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  await first.ensureCollection()
  await first.upsert(before)
  await first.close()
  toLayout2(path, { withVectorsColumn: true })

  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  const job = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => Promise.all([store.close(), job.close()]))
  // After the move, shapes 0 and 4 stored once already: a shape stored once counts even where one old row alone holds it (point 250).
  await job.upsert([300, 301].map((n) => ({ ...point(n), vector: shapes[0]! })))
  await job.upsert([302, 303].map((n) => ({ ...point(n), vector: shapes[4]! })))
  const file = new Database(path, { readonly: true })
  t.after(() => file.close())
  const rows = () => file.prepare('SELECT shared IS NOT NULL AS refers, COUNT(*) AS n FROM points GROUP BY 1 ORDER BY 1').all()
  assert.deepEqual(rows(), [{ refers: 0, n: 101 }, { refers: 1, n: 4 }])
  const ids = new Set([...before.map((p) => p.id), point(300).id, point(301).id])
  const queries = [shapes[1]!, before[95]!.vector]
  const search = async () => (await store.searchMany!(queries, { k: 500 })).map((hits) => hits.filter((h) => ids.has(h.id)))
  const searchedBefore = await search()
  const readBefore = await store.get([...before.map((p) => p.id), point(300).id], { withVector: true })

  // The job writes (another shape) while the rows move, 7 a transaction.
  const writing = job.upsert(Array.from({ length: 40 }, (_, i) => ({ ...point(400 + i), vector: shapes[3]! })))
  const shared = (await store.shareVectors!('c', { chunk: 7 }))!
  await writing
  assert.deepEqual(shared, { points: 91, vectors: 2, bytes: 91 * DIM * 4, unused: 0 })
  assert.equal(file.prepare('SELECT COUNT(*) FROM vectors').pluck().get(), 5)
  assert.deepEqual(rows(), [{ refers: 0, n: 10 }, { refers: 1, n: 135 }])
  assert.deepEqual(await store.get([...before.map((p) => p.id), point(300).id], { withVector: true }), readBefore)
  assert.deepEqual(await search(), searchedBefore)
  assert.equal(await store.count(), 145)

  assert.deepEqual(await store.shareVectors!('c'), { points: 0, vectors: 0, bytes: 0, unused: 0 }, 'a second run finds nothing to move')
  assert.equal(await store.shareVectors!('absent'), null)
})

test('a stored vector no point refers to any more is deleted, in its collection only; a job writing that vector meanwhile keeps a vector to refer to', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const shape = Array.from({ length: DIM }, (_, j) => (j === 2 ? 1 : 0.1))
  const own = (n: number) => Array.from({ length: DIM }, (_, j) => Math.sin(n * 7.1 + j * 3.3) + 1.2)
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  const other = createSqliteVectorStore({ path, collection: 'd', dim: DIM, distance: 'Cosine' })
  t.after(() => Promise.all([store.close(), other.close()]))
  await store.ensureCollection()
  await other.ensureCollection()
  // Six points of one shape, stored once; then each upserted again with a vector of its own: the shape's vector is left unused.
  await store.upsert(Array.from({ length: 6 }, (_, i) => ({ ...point(i), vector: shape })))
  await other.upsert(Array.from({ length: 3 }, (_, i) => ({ ...point(i), vector: shape })))
  const mine = Array.from({ length: 6 }, (_, i) => ({ ...point(i), vector: own(i) }))
  await store.upsert(mine)
  const file = new Database(path, { readonly: true })
  t.after(() => file.close())
  const vectorsOf = (name: string) => file.prepare('SELECT COUNT(*) FROM vectors WHERE collection = (SELECT key FROM collections WHERE name = ?)').pluck().get(name)
  assert.equal(vectorsOf('c'), 1)
  const readBefore = await store.get(mine.map((p) => p.id), { withVector: true })

  assert.deepEqual(await store.shareVectors!('c'), { points: 0, vectors: 0, bytes: DIM * 4, unused: 1 })
  assert.equal(vectorsOf('c'), 0)
  assert.equal(vectorsOf('d'), 1, "another collection's vector of the same bytes stays")
  assert.deepEqual(await store.get(mine.map((p) => p.id), { withVector: true }), readBefore)
  assert.equal((await other.get([point(0).id], { withVector: true }))[0]!.vector!.length, DIM)
  assert.deepEqual(await store.shareVectors!('c'), { points: 0, vectors: 0, bytes: 0, unused: 0 }, 'a second run finds nothing')

  // Unused again, and a job writes the shape again while share runs: whichever goes first, no row is left without its vector.
  await store.upsert(Array.from({ length: 4 }, (_, i) => ({ ...point(20 + i), vector: shape })))
  await store.upsert(Array.from({ length: 4 }, (_, i) => ({ ...point(20 + i), vector: own(20 + i) })))
  const job = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => job.close())
  const writing = job.upsert(Array.from({ length: 5 }, (_, i) => ({ ...point(40 + i), vector: shape })))
  const shared = (await store.shareVectors!('c'))!
  await writing
  assert.ok(shared.unused <= 1)
  assert.equal(file.prepare('SELECT COUNT(*) FROM points WHERE shared IS NOT NULL AND shared NOT IN (SELECT key FROM vectors)').pluck().get(), 0, 'every reference has its vector')
  for (const p of await store.get(Array.from({ length: 5 }, (_, i) => point(40 + i).id), { withVector: true })) {
    assert.deepEqual(p.vector!.map((x) => Math.fround(x)), shape.map((x) => Math.fround(x)))
  }
})
