import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { closeSync, existsSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import test from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'
import { uuidText } from '../../src/adapters/sqlite-store-layout.ts'
import { LogstreamError } from '../../core/errors.ts'
import { DIM, point, vectorStoreContract } from '../helpers/vector-store-contract.ts'
import type { Point } from '../../operators/contracts.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const dirs = new Map<unknown, string>()
vectorStoreContract('embedded store', async (t, { collection, dim }) => {
  // Stores opened by one test share its file, as two jobs on one machine would.
  let dir = dirs.get(t)
  if (!dir) dirs.set(t, (dir = tempDir(t)))
  return createSqliteVectorStore({ path: join(dir, 'vectors.sqlite'), collection, dim, distance: 'Cosine' })
})

test('jobs that create one collection of a file at the same instant all succeed (no UNIQUE constraint or schema race)', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'vectors.sqlite')
  // Create the schema first so the race is on the collection row alone (the race on moving an older file is the layout test's).
  const first = createSqliteVectorStore({ path, collection: 'other', dim: 4, distance: 'Cosine' })
  await first.ensureCollection()
  await first.close()
  const racer = fileURLToPath(new URL('../helpers/collection-racer.ts', import.meta.url))
  const goFile = join(dir, 'go')
  const runs = Array.from({ length: 6 }, (_, i) => {
    const ready = join(dir, `ready-${i}`)
    const child = execFile(process.execPath, ['--import', 'tsx', racer, path, ready, goFile], { encoding: 'utf8' })
    const run = { ready, exited: false, done: Promise.resolve('') }
    run.done = new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout!.on('data', (d) => (out += d))
      child.on('error', reject)
      child.on('close', (code) => ((run.exited = true), resolve(out || `exit ${code}`)))
    })
    return run
  })
  // A process that dies before it is ready fails the test below instead of hanging it here.
  while (!runs.every((r) => r.exited || existsSync(r.ready))) await delay(20)
  writeFileSync(goFile, '')
  const results = await Promise.all(runs.map((r) => r.done))
  assert.deepEqual(results, Array(6).fill('ok'))
  const check = createSqliteVectorStore({ path, collection: 'shared', dim: 4, distance: 'Cosine' })
  t.after(() => check.close())
  assert.deepEqual((await check.listCollections()).map((c) => c.name), ['other', 'shared'])
})

test('a new store file uses 16 KiB pages; a file made with 4 KiB pages keeps them and still works', async (t) => {
  const dir = tempDir(t)
  const pageSize = (path: string) => {
    const db = new Database(path, { readonly: true })
    try {
      return db.pragma('page_size', { simple: true })
    } finally {
      db.close()
    }
  }
  const fresh = join(dir, 'fresh.sqlite')
  const a = createSqliteVectorStore({ path: fresh, collection: 'c', dim: DIM, distance: 'Cosine' })
  await a.ensureCollection()
  await a.close()
  assert.equal(pageSize(fresh), 16384)

  const old = join(dir, 'old.sqlite')
  const made = new Database(old)
  made.pragma('journal_mode = WAL')
  made.exec('CREATE TABLE t (x)')
  made.close()
  assert.equal(pageSize(old), 4096)
  const b = createSqliteVectorStore({ path: old, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => b.close())
  await b.ensureCollection()
  await b.upsert([point(1), point(2)])
  assert.equal(await b.count(), 2)
  assert.equal(pageSize(old), 4096)
})

test('upserts run on the writer thread: acknowledged means committed (another connection reads them at once); writes in flight at close are finished first', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'vectors.sqlite')
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  await store.ensureCollection()
  const points = Array.from({ length: 300 }, (_, i) => point(i))
  await store.upsert(points.slice(0, 100))
  const other = new Database(path, { readonly: true })
  t.after(() => other.close())
  const count = () => (other.prepare("SELECT COUNT(*) AS n FROM points WHERE collection = (SELECT key FROM collections WHERE name = 'c')").get() as { n: number }).n
  assert.equal(count(), 100)
  // Two writes in flight, then close: both land.
  const inFlight = [store.upsert(points.slice(100, 200)), store.upsert(points.slice(200))]
  await store.close()
  await Promise.all(inFlight)
  assert.equal(count(), 300)
  const [stored] = other.prepare("SELECT payload, vector FROM points WHERE collection = (SELECT key FROM collections WHERE name = 'c') AND id = unhex(?, '-')").all(points[7]!.id) as Array<{ payload: string; vector: Buffer }>
  assert.deepEqual(JSON.parse(stored!.payload), points[7]!.payload)
  assert.deepEqual(new Float32Array(stored!.vector.buffer.slice(stored!.vector.byteOffset, stored!.vector.byteOffset + stored!.vector.byteLength)), Float32Array.from(points[7]!.vector))
})

test('searchMany lets the event loop run between its queries, so many new shapes do not hold it for all of them; a store closed meanwhile answers ABORTED', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => store.close())
  await store.ensureCollection()
  await store.upsert(Array.from({ length: 20 }, (_, i) => point(i)))
  const queries = [0, 1, 2].map((i) => point(i).vector)
  const order: string[] = []
  setImmediate(() => order.push('other work'))
  const answers = await store.searchMany!(queries, { k: 3 })
  order.push('answered')
  assert.deepEqual(order, ['other work', 'answered'], 'other work ran before the last query')
  for (const [i, q] of queries.entries()) assert.deepEqual(answers[i], (await store.search(q, { k: 3 })).map((h) => ({ id: h.id, score: h.score })), `query ${i}: as search answers`)

  // A store that only searches (no writer thread to finish first) closes within one turn of the event loop.
  const searcher = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  const searching = searcher.searchMany!(queries, { k: 3 })
  setImmediate(() => void searcher.close())
  await assert.rejects(searching, { code: 'ABORTED' })
})

test('a vector that points share is stored once, across batches and the jobs sharing the file; one of a single point stays in its row; a deleted collection takes its shared vectors', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  const other = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => Promise.all([store.close(), other.close()]))
  await store.ensureCollection()
  const file = new Database(path, { readonly: true })
  t.after(() => file.close())
  const sharedVectors = () => file.prepare('SELECT COUNT(*) FROM vectors').pluck().get() as number
  const rows = () => file.prepare('SELECT length(vector) AS bytes, shared IS NOT NULL AS refers, COUNT(*) AS n FROM points GROUP BY 1, 2 ORDER BY 1').all()
  const shape = [1, 0, 0, 0, 0, 0, 0, 0.5]
  const rare = [0, 1, 0, 0, 0, 0, 0, 0.5]
  // Shape seen by 30 points in one batch; the rare one by one point (kept in its row).
  await store.upsert([...Array.from({ length: 30 }, (_, i) => ({ ...point(i), vector: shape })), { ...point(30), vector: rare }])
  assert.equal(sharedVectors(), 1)
  assert.deepEqual(rows(), [{ bytes: 0, refers: 1, n: 30 }, { bytes: DIM * 4, refers: 0, n: 1 }])
  // The same shape in later batches, by one point, and by two of the other job's (its own object of equal content): still one copy.
  await store.upsert([{ ...point(31), vector: shape }])
  const othersShape = [...shape]
  await other.upsert([{ ...point(32), vector: othersShape }, { ...point(33), vector: othersShape }])
  assert.equal(sharedVectors(), 1)
  assert.deepEqual(rows(), [{ bytes: 0, refers: 1, n: 33 }, { bytes: DIM * 4, refers: 0, n: 1 }])
  const read = await other.get([point(0).id, point(31).id, point(33).id, point(30).id], { withVector: true })
  assert.deepEqual(read.map((p) => [p.id, p.vector]), [
    [point(0).id, shape],
    [point(31).id, shape],
    [point(33).id, shape],
    [point(30).id, rare],
  ].sort((a, b) => read.findIndex((p) => p.id === a[0]) - read.findIndex((p) => p.id === b[0])))
  const nearest = await store.searchMany!([rare, shape], { k: 2 })
  assert.deepEqual(nearest[0]!.map((h) => h.id)[0], point(30).id)
  assert.ok(nearest[1]!.every((h) => h.score > 1 - 1e-6))
  assert.equal(await store.deleteCollection('c'), true)
  assert.equal(sharedVectors(), 0, 'the collection took its shared vectors with it')
  assert.equal(file.prepare('SELECT COUNT(*) FROM points').pluck().get(), 0)
})

test('payloads with newlines, line separators, quotes and lone surrogates, and missing filter fields, are stored exactly, each in its own row', async (t) => {
  const store = createSqliteVectorStore({ path: join(tempDir(t), 'vectors.sqlite'), collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => store.close())
  await store.ensureCollection()
  const texts = ['two\nlines', 'a\u2028separator\u2029and "quotes" \\ \t', 'lone \ud800 surrogate', '\n\n', '']
  const points = texts.map((text, i) => {
    const p = point(i)
    const payload: Record<string, unknown> = { ...p.payload, text, original_text: `${text}\n${i}` }
    if (i === 3) delete payload.log_level
    if (i === 4) payload.source = null
    return { ...p, payload: payload as typeof p.payload }
  })
  await store.upsert(points)
  const stored = new Map((await store.get(points.map((p) => p.id))).map((s) => [s.id, s.payload]))
  for (const p of points) assert.deepEqual(stored.get(p.id), JSON.parse(JSON.stringify(p.payload)))
  // The filter columns line up with their rows: one point has no level, one no source.
  assert.equal(await store.count({ logLevel: 'WARN' }), points.filter((p) => p.payload.log_level === 'WARN').length)
  assert.equal(await store.count({ source: 'hdfs_datanode' }), 4)
})

test('a look-up that fails on the reader thread (a damaged file) rejects with the typed error, not an untyped or lost one', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const points = Array.from({ length: 4000 }, (_, i) => point(i))
  const ids = points.map((p) => p.id)
  const first = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  await first.ensureCollection()
  await first.upsert(points)
  assert.equal((await first.existing(ids)).size, 4000)
  await first.close()
  // The second half of the file's pages overwritten: the schema and the collection (first pages) read, the id index's leaves do not.
  const page = 16384
  const size = statSync(path).size
  const fd = openSync(path, 'r+')
  for (let p = Math.floor(size / page / 2); p * page < size; p++) writeSync(fd, Buffer.alloc(page, 0x5a), 0, page, p * page)
  closeSync(fd)
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => store.close())
  for (let round = 0; round < 2; round++) {
    await assert.rejects(store.existing(ids), (err: LogstreamError) => err instanceof LogstreamError && err.code === 'STORAGE_FAILED' && /id look-up \(SQLITE_CORRUPT\)/.test(err.message))
  }
})

test('a writer thread that cannot work fails its writes with a typed error, and the ones after, instead of leaving them waiting', async (t) => {
  const { startPointWriter } = await import('../../src/adapters/sqlite-point-writer.ts')
  const { SqliteThreadError } = await import('../../src/adapters/sqlite-thread.ts')
  const dir = tempDir(t)
  const writer = startPointWriter({ path: join(dir, 'missing', 'dir', 'vectors.sqlite'), cacheMb: 1, upsertSql: 'SELECT 1', keySql: 'SELECT 1', findVectorSql: 'SELECT 1', addVectorSql: 'SELECT 1', recentIdsSql: 'SELECT 1' })
  t.after(() => writer.close())
  await assert.rejects(writer.write('c', [point(1)]), (err: InstanceType<typeof SqliteThreadError>) => err instanceof SqliteThreadError && err.stage === 'worker')
  await assert.rejects(writer.write('c', [point(2)]), (err: InstanceType<typeof SqliteThreadError>) => err.stage === 'worker')
})

test('jobs sharing one file write into it at once: every write lands without a lock error, and each point is stored once', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const stores = Array.from({ length: 3 }, () => createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' }))
  t.after(() => Promise.all(stores.map((s) => s.close())))
  for (const s of stores) await s.ensureCollection()
  const points = Array.from({ length: 200 }, (_, i) => point(i))
  // Each store writes every point, in batches of 20, starting at another batch.
  await Promise.all(
    stores.map(async (s, k) => {
      for (let i = 0; i < 10; i++) {
        const from = ((i + 3 * k) % 10) * 20
        await s.upsert(points.slice(from, from + 20))
      }
    }),
  )
  assert.equal(await stores[0]!.count(), 200)
})

test('the ids stored last: up to the limit, oldest first, of this collection only; an upsert of a stored id keeps its place', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  const other = createSqliteVectorStore({ path, collection: 'other', dim: DIM, distance: 'Cosine' })
  t.after(() => Promise.all([store.close(), other.close()]))
  await store.ensureCollection()
  await other.ensureCollection()
  assert.equal((await store.recentIds!(10)).length, 0, 'an empty collection has none')
  const points = Array.from({ length: 50 }, (_, i) => point(i))
  // Stored in three batches, the other collection's between them; then points[5] stored again.
  await store.upsert(points.slice(0, 20))
  await other.upsert([point(100), point(101)])
  await store.upsert(points.slice(20, 35))
  await store.upsert(points.slice(35))
  await store.upsert([points[5]!])
  const idsOf = (packed: Uint8Array) => Array.from({ length: packed.length / 16 }, (_, i) => uuidText(packed.subarray(i * 16, i * 16 + 16)))
  assert.deepEqual(idsOf(await store.recentIds!(12)), points.slice(38).map((p) => p.id))
  assert.deepEqual(idsOf(await store.recentIds!(1000)), points.map((p) => p.id))
  assert.deepEqual(idsOf(await other.recentIds!(5)), [point(100).id, point(101).id])
  assert.equal((await store.recentIds!(0)).length, 0)
})

test('the store knows it holds only the ids it named and stored since, until a census stops at its limit or another connection writes to the file', async (t) => {
  const path = join(tempDir(t), 'vectors.sqlite')
  const store = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  const otherJob = createSqliteVectorStore({ path, collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => Promise.all([store.close(), otherJob.close()]))
  await store.ensureCollection()
  await otherJob.ensureCollection()
  await store.upsert(Array.from({ length: 10 }, (_, i) => point(i)))
  assert.equal(store.knowsAllIds!(), false, 'no census yet')
  assert.equal((await store.recentIds!(100)).length, 10 * 16)
  assert.equal(store.knowsAllIds!(), true, 'the census named all 10')
  await store.upsert(Array.from({ length: 10 }, (_, i) => point(10 + i)))
  await store.upsert([point(3)])
  assert.equal(store.knowsAllIds!(), true, 'its own writes, new ids and a stored one again')
  await store.recentIds!(20)
  assert.equal(store.knowsAllIds!(), false, 'a census that stops at its limit may leave ids out')
  await store.recentIds!(100)
  assert.equal(store.knowsAllIds!(), true)
  await otherJob.upsert([point(50)])
  await store.upsert([point(20)])
  assert.equal(store.knowsAllIds!(), false, "the next write sees the other connection's")
  await store.upsert([point(21)])
  assert.equal(store.knowsAllIds!(), false, 'and it stays seen')
  assert.equal((await store.recentIds!(100)).length, 23 * 16)
  assert.equal(store.knowsAllIds!(), true, 'a new census names them all again')
})

test("a point's payload is stored as JSON.stringify gives it, its filter columns as text, a missing one as none", async (t) => {
  const store = createSqliteVectorStore({ path: join(tempDir(t), 'vectors.sqlite'), collection: 'c', dim: DIM, distance: 'Cosine' })
  t.after(() => store.close())
  await store.ensureCollection()
  const odd = point(1)
  const payload = { ...odd.payload, log_level: 7, node_type: undefined, ratio: NaN, fields: { thread: 'main' } } as unknown as Point['payload']
  await store.upsert([{ ...odd, payload }])
  assert.equal(await store.count({ logLevel: '7' }), 1, 'a number filters as its text')
  assert.equal(await store.count({ nodeType: 'datanode' }) + (await store.count({ nodeType: 'namenode' })), 0, 'no node type')
  const [got] = await store.get([odd.id])
  assert.deepEqual(got!.payload, JSON.parse(JSON.stringify(payload)))
})
