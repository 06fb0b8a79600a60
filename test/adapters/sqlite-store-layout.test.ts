/**
 * The embedded store's file layout: files of layout 1 (collection names and
 * text ids in every row) move to the current layout when a store opens them,
 * all or nothing; files of layout 2 take its table of shared vectors in place;
 * ids are UUIDs kept as 16 bytes and answered as Qdrant does.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import test from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { STORE_LAYOUT } from '../../src/adapters/sqlite-store-layout.ts'
import { DIM, point } from '../helpers/vector-store-contract.ts'
import { writeLayout1 } from '../helpers/store-layout1.ts'
import { toLayout2 } from '../helpers/store-layout2.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const layoutOf = (path: string) => {
  const db = new Database(path, { readonly: true })
  try {
    return db.pragma('user_version', { simple: true }) as number
  } finally {
    db.close()
  }
}

/** Opens the store file in `processes` processes at the same instant (`layout-racer.ts`); what each did, sorted. */
async function openAtOnce(dir: string, path: string, processes: number): Promise<string[]> {
  const racer = fileURLToPath(new URL('../helpers/layout-racer.ts', import.meta.url))
  const goFile = join(dir, 'go')
  const runs = Array.from({ length: processes }, (_, i) => {
    const ready = join(dir, `ready-${i}`)
    const run = { ready, exited: false, done: Promise.resolve('') }
    run.done = new Promise<string>((resolve, reject) => {
      const child = execFile(process.execPath, ['--import', 'tsx', racer, path, 'c', ready, goFile], { encoding: 'utf8' }, (err, out) => {
        run.exited = true
        resolve(out || String(err))
      })
      child.on('error', reject)
    })
    return run
  })
  // A process that dies before it is ready fails the test instead of hanging it here.
  while (!runs.every((r) => r.exited || existsSync(r.ready))) await delay(20)
  writeFileSync(goFile, '')
  return (await Promise.all(runs.map((r) => r.done))).sort()
}

test('a layout 1 file moves to the current layout when a store opens it: every point keeps its id, payload, vector and order; collections keep their marker', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const a = Array.from({ length: 120 }, (_, i) => point(i))
  const b = Array.from({ length: 30 }, (_, i) => point(1000 + i))
  writeLayout1(path, [{ name: 'logs_embeddings', points: a }, { name: 'other', points: b }], { withMarker: true })
  assert.equal(layoutOf(path), 0)

  const told: Array<{ points: number; collections: number; orphanCollections: readonly string[] }> = []
  const store = createSqliteVectorStore({ path, collection: 'logs_embeddings', dim: DIM, distance: 'Cosine', onMigrated: (m) => told.push(m) })
  t.after(() => store.close())
  assert.deepEqual(told.slice(), [{ points: 150, collections: 2, orphanCollections: [] }])
  assert.equal(layoutOf(path), STORE_LAYOUT)

  assert.deepEqual(
    (await store.listCollections()).map((c) => [c.name, c.points, c.marker]),
    [
      ['logs_embeddings', 120, 'marker-of-logs_embeddings'],
      ['other', 30, 'marker-of-other'],
    ],
  )
  const asked = [...a.map((p) => p.id), ...b.slice(0, 5).map((p) => p.id)]
  assert.deepEqual([...(await store.existing(asked))].sort(), a.map((p) => p.id).sort(), 'look-ups find this collection’s ids only')
  const got = await store.get([a[7]!.id, a[99]!.id], { withVector: true })
  assert.deepEqual(got.map((p) => p.id).sort(), [a[7]!.id, a[99]!.id].sort())
  const seven = got.find((p) => p.id === a[7]!.id)!
  assert.deepEqual(seven.payload, a[7]!.payload)
  assert.deepEqual(seven.vector, Array.from(Float32Array.from(a[7]!.vector)))
  // Pages come in the order of the ids' text, as before the move.
  const seen: string[] = []
  for (let after: string | undefined; ; ) {
    const page = await store.scroll({ limit: 50, after })
    seen.push(...page.points.map((p) => p.id))
    if (page.next === null) break
    after = page.next
  }
  assert.deepEqual(seen, a.map((p) => p.id).sort())
  // Points 3, 11, 19… share a direction: the nearest is one of them, by its id.
  const [nearest] = await store.search(a[3]!.vector, { k: 1 })
  assert.ok(a.filter((_, i) => i % DIM === 3).some((p) => p.id === nearest!.id) && nearest!.score > 0.99, `nearest ${JSON.stringify(nearest)}`)
  // The moved store takes writes as any other; a second open moves nothing.
  await store.ensureCollection()
  await store.upsert([point(5000), a[0]!])
  assert.equal(await store.count(), 121)
  const again = createSqliteVectorStore({ path, collection: 'other', dim: DIM, distance: 'Cosine', onMigrated: (m) => told.push(m) })
  t.after(() => again.close())
  assert.equal(told.length, 1)
  assert.equal(await again.count(), 30)
})

test('a layout 1 file from before collection markers, and points whose collection entry was deleted mid-write, move with nothing left behind', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  writeLayout1(path, [{ name: 'c', points: [point(1), point(2)] }, { name: 'gone', points: [point(3)], entry: false }], { withMarker: false })
  const told: Array<{ orphanCollections: readonly string[] }> = []
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine', onMigrated: (m) => told.push(m) })
  t.after(() => store.close())
  assert.deepEqual(told[0]!.orphanCollections, ['gone'])
  const listed = await store.listCollections()
  assert.deepEqual(listed.map((c) => [c.name, c.dim, c.points, c.marker]), [['c', DIM, 2, undefined], ['gone', DIM, 1, undefined]])
  // A collection without a marker gets one on first use, as before.
  assert.equal(typeof (await store.ensureCollection()).marker, 'string')
})

test('jobs that open one layout 1 file at the same instant all open it; one of them moves it, once', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'vectors.sqlite')
  writeLayout1(path, [{ name: 'c', points: Array.from({ length: 400 }, (_, i) => point(i)) }], { withMarker: true })
  const results = await openAtOnce(dir, path, 4)
  assert.deepEqual(results, ['moved 400', 'opened 400', 'opened 400', 'opened 400'])
  assert.equal(layoutOf(path), STORE_LAYOUT)
})

test('a layout 1 file that cannot move (an id that is not a UUID) is refused with a typed error naming it, and left as it was', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  writeLayout1(path, [{ name: 'c', points: [point(1), { ...point(2), id: 'not-a-uuid' }] }], { withMarker: true })
  assert.throws(() => createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' }), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'STORAGE_FAILED')
    assert.match(err.message, /"not-a-uuid" in collection c.*nothing was changed/)
    return true
  })
  const db = new Database(path, { readonly: true })
  t.after(() => db.close())
  assert.equal(db.pragma('user_version', { simple: true }), 0)
  assert.deepEqual(db.prepare('SELECT collection, id FROM points ORDER BY seq').all(), [
    { collection: 'c', id: point(1).id },
    { collection: 'c', id: 'not-a-uuid' },
  ])
})

test('a file of a newer layout is refused, not written', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const db = new Database(path)
  db.pragma(`user_version = ${STORE_LAYOUT + 1}`)
  db.close()
  assert.throws(() => createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' }), {
    code: 'STORAGE_FAILED',
    message: new RegExp(`has layout ${STORE_LAYOUT + 1}, newer than this logstream knows \\(${STORE_LAYOUT}\\)`),
  })
})

test('ids are UUIDs, as in Qdrant: another string is refused; a UUID in capitals or without hyphens is the same point, answered in lowercase with hyphens', async (t) => {
  const store = createSqliteVectorStore({ path: join(tempDir(t), 'vectors.sqlite'), collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => store.close())
  await store.ensureCollection()
  await assert.rejects(store.upsert([{ ...point(1), id: 'line-1' }]), { code: 'STORE_REJECTED', message: /"line-1" is not a UUID/ })
  const p = point(2)
  await store.upsert([{ ...p, id: p.id.toUpperCase() }])
  await store.upsert([{ ...p, id: p.id.replaceAll('-', '') }])
  assert.equal(await store.count(), 1)
  assert.deepEqual([...(await store.existing([p.id, p.id.toUpperCase()]))].sort(), [p.id.toUpperCase(), p.id].sort())
  assert.deepEqual((await store.get([p.id])).map((x) => x.id), [p.id])
})

test('a collection deleted while the job writes into it stops the write as COLLECTION_LOST, not a retry', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => store.close())
  await store.ensureCollection()
  await store.upsert([point(1)])
  const other = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  assert.equal(await other.deleteCollection('c'), true)
  await other.close()
  await assert.rejects(store.upsert([point(2)]), { code: 'COLLECTION_LOST', message: /no collection c/ })
  assert.equal(await store.count(), 0)
})

for (const withVectorsColumn of [true, false]) {
  test(`a layout 2 file${withVectorsColumn ? '' : ' from before collections recorded their vectors'} takes layout 3 in place when a store opens it: its points keep their vectors, and shared ones are kept once from then on`, async (t) => {
    const path = join(tempDir(t), 'vectors.sqlite')
    const first = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
    await first.ensureCollection({ vectors: 'builtin' })
    const shape = [1, 0, 0, 0, 0, 0, 0, 0.5]
    const before = [...Array.from({ length: 20 }, (_, i) => ({ ...point(i), vector: shape })), point(20)]
    await first.upsert(before)
    await first.close()
    toLayout2(path, { withVectorsColumn })
    assert.equal(layoutOf(path), 2)

    let told = 0
    const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine', onLayout2Moved: () => told++ })
    t.after(() => store.close())
    assert.equal(told, 1)
    assert.equal(layoutOf(path), STORE_LAYOUT)
    const info = (await store.collectionInfo('c'))!
    assert.equal(info.points, 21)
    assert.equal(info.vectors, withVectorsColumn ? 'builtin' : undefined, 'what the collection recorded is kept; a file from before the record records nothing')
    const read = await store.get(before.map((p) => p.id), { withVector: true })
    for (const p of read) assert.deepEqual(p.vector, Array.from(Float32Array.from(before.find((b) => b.id === p.id)!.vector)))
    // New points of one shape refer to one stored copy; the old rows keep theirs.
    await store.upsert(Array.from({ length: 10 }, (_, i) => ({ ...point(100 + i), vector: shape })))
    const file = new Database(path, { readonly: true })
    t.after(() => file.close())
    assert.equal(file.prepare('SELECT COUNT(*) FROM vectors').pluck().get(), 1)
    assert.equal(file.prepare('SELECT COUNT(*) FROM points WHERE shared IS NOT NULL').pluck().get(), 10)
    assert.equal((await store.searchMany!([shape], { k: 40 }))[0]!.filter((h) => h.score > 1 - 1e-6).length, 30)
    if (!withVectorsColumn) assert.equal(await store.recordVectors!('builtin'), 'builtin')
    const again = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine', onLayout2Moved: () => told++ })
    await again.close()
    assert.equal(told, 1, 'moved once')
  })
}

test('jobs that open one layout 2 file at the same instant all open it; one of them moves it, once', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'vectors.sqlite')
  const first = createSqliteVectorStore({ path, collection: 'c', dim: 8, distance: 'Cosine' })
  await first.ensureCollection()
  await first.upsert(Array.from({ length: 50 }, (_, i) => point(i)))
  await first.close()
  toLayout2(path, { withVectorsColumn: false })
  const results = await openAtOnce(dir, path, 6)
  assert.deepEqual(results, ['moved 50', ...Array(5).fill('opened 50')])
  assert.equal(layoutOf(path), STORE_LAYOUT)
})
