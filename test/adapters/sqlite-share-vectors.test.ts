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
  assert.deepEqual(shared, { points: 91, vectors: 2, bytes: 91 * DIM * 4 })
  assert.equal(file.prepare('SELECT COUNT(*) FROM vectors').pluck().get(), 5)
  assert.deepEqual(rows(), [{ refers: 0, n: 10 }, { refers: 1, n: 135 }])
  assert.deepEqual(await store.get([...before.map((p) => p.id), point(300).id], { withVector: true }), readBefore)
  assert.deepEqual(await search(), searchedBefore)
  assert.equal(await store.count(), 145)

  assert.deepEqual(await store.shareVectors!('c'), { points: 0, vectors: 0, bytes: 0 }, 'a second run finds nothing to move')
  assert.equal(await store.shareVectors!('absent'), null)
})
