/**
 * view, stats (with its HTML charts in a real browser) and collections, on the
 * stored HDFS sample: in the embedded store, and in Qdrant (the real server
 * wherever it can run, else the stand-in).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli } from '../helpers/cli.ts'
import { launchBrowser } from '../helpers/browser.ts'
import { dropCollection, suiteQdrant, suiteQdrantKind } from '../helpers/qdrant.ts'
import { toLayout2 } from '../helpers/store-layout2.ts'
import Database from 'better-sqlite3'

type StoreKind = 'embedded' | 'qdrant'
const STORES: ReadonlyArray<readonly [StoreKind, string]> = [
  ['embedded', 'the embedded store'],
  ['qdrant', `Qdrant (${suiteQdrantKind()})`],
]

/** The sample stored by a job; `store` are the flags that reach the store, `collection` its name. */
async function storedSample(t: { after(fn: () => unknown): void }, kind: StoreKind = 'embedded') {
  const dir = tempDir(t)
  let where: string[] = ['--data-dir', join(dir, 'data')]
  let collection = 'logs_embeddings'
  if (kind === 'qdrant') {
    const qdrant = await suiteQdrant(t)
    collection = `tools_${randomBytes(4).toString('hex')}`
    t.after(() => dropCollection(qdrant.url, collection))
    where = ['--sink', 'qdrant', '--qdrant-url', qdrant.url, '--collection', collection]
  }
  const store = [...where, '--checkpoint-dir', join(dir, 'checkpoints'), '--source', `file:${SAMPLE}`]
  const job = await runCli(['run', ...store, '--no-http'])
  assert.equal(job.code, 0, job.stderr)
  return { dir, store, where, collection }
}

test('stats counts by level, node type and message shape, reports the duplicate ratio, and --html draws its charts in Chromium', async (t) => {
  const { dir, store } = await storedSample(t)
  const html = join(dir, 'stats.html')
  const res = await runCli(['stats', '--json', '--html', html, '--sample', '200', ...store])
  assert.equal(res.code, 0, res.stderr)
  const s = JSON.parse(res.stdout) as { points: number; byLevel: Record<string, number>; byShape: Record<string, number>; duplicates: { ratio: number }; norms: { mean: number }; nearestDistance: { sampled: number } }
  assert.equal(s.points, 2000)
  assert.deepEqual(s.byLevel, { INFO: 1920, WARN: 80 })
  assert.equal(s.byShape['PacketResponder <num> for block <blk> terminating'], 311, "the count of LogHub's template E10 in the structured CSV")
  assert.equal(Object.keys(s.byShape).length, 16, "LogHub's 14 templates; two of E4's lines name more blocks")
  assert.equal(s.duplicates.ratio, 0)
  assert.ok(Math.abs(s.norms.mean - 1) < 1e-3)
  assert.equal(s.nearestDistance.sampled, 200)

  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()))
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(pathToFileURL(html).href)
  for (const id of ['by-level', 'by-node-type', 'by-shape', 'norms', 'nearest']) {
    const bars = await page.locator(`svg#${id} rect`).count()
    assert.ok(bars > 0, `chart ${id} has bars`)
    const box = await page.locator(`svg#${id}`).boundingBox()
    assert.ok(box && box.width > 100 && box.height > 20, `chart ${id} is drawn`)
  }
  assert.match((await page.textContent('#summary')) ?? '', /2,000/)
  assert.deepEqual(errors, [])
})

test(`${STORES[1]![1]}: stats counts by level, node type and message shape`, async (t) => {
  const { store } = await storedSample(t, 'qdrant')
  const res = await runCli(['stats', '--json', '--sample', '200', ...store])
  assert.equal(res.code, 0, res.stderr)
  const s = JSON.parse(res.stdout) as { points: number; byLevel: Record<string, number>; byShape: Record<string, number>; duplicates: { ratio: number }; norms: { mean: number }; nearestDistance: { sampled: number } }
  assert.equal(s.points, 2000)
  assert.deepEqual(s.byLevel, { INFO: 1920, WARN: 80 })
  assert.equal(s.byShape['PacketResponder <num> for block <blk> terminating'], 311)
  assert.equal(s.duplicates.ratio, 0)
  assert.ok(Math.abs(s.norms.mean - 1) < 1e-3)
  assert.equal(s.nearestDistance.sampled, 200)
})

for (const [kind, name] of STORES) {
  test(`${name}: view pages through entries with filters; collections list, count, info and delete (with --yes only); search`, async (t) => {
    const { store, where, collection } = await storedSample(t, kind)
    const first = JSON.parse((await runCli(['view', '--limit', '5', '--filter', 'level=WARN', '--json', ...store])).stdout) as { points: Array<{ log_level: string }>; next: string }
    assert.equal(first.points.length, 5)
    assert.ok(first.points.every((p) => p.log_level === 'WARN'))
    const second = JSON.parse((await runCli(['view', '--limit', '100', '--level', 'WARN', '--after', first.next, '--json', ...store])).stdout) as { points: unknown[]; next: string | null }
    assert.equal(second.points.length, 75)
    assert.equal(second.next, null)

    const search = await runCli(['search', 'Verification succeeded', '--level', 'INFO', '--since', '2008-11-10', '--json', '-k', '3', ...where])
    assert.equal(search.code, 0, search.stderr)
    const hits = (JSON.parse(search.stdout) as { results: Array<{ text: string; log_level: string; timestamp: string }> }).results
    assert.equal(hits.length, 3)
    assert.ok(hits.every((h) => h.log_level === 'INFO' && h.timestamp >= '2008-11-10' && /^Verification succeeded for blk_/.test(h.text)), JSON.stringify(hits))

    // A shared Qdrant may hold other tests' collections: this test's is the one it looks at.
    const mine = <C extends { name: string }>(list: C[]) => list.filter((c) => c.name === collection)
    const list = JSON.parse((await runCli(['collections', 'list', '--json', ...store])).stdout) as Array<{ name: string; points: number; dim: number; marker?: string }>
    assert.match(mine(list)[0]?.marker ?? '', /^[0-9a-f-]{36}$/, 'the marker written when the collection was created')
    assert.deepEqual(mine(list).map(({ marker: _, ...c }) => c), [{ name: collection, dim: 384, distance: 'Cosine', points: 2000, vectors: 'builtin', foreign: false }])
    assert.match((await runCli(['collections', 'info', ...store])).stdout, /2000 points, vectors of builtin \(/)
    assert.equal((await runCli(['collections', 'count', '--node-type', 'namenode', ...store])).stdout.trim(), '659')
    const refused = await runCli(['collections', 'delete', ...store])
    assert.equal(refused.code, 2, 'no terminal and no --yes')
    assert.equal(JSON.parse((await runCli(['collections', 'info', '--json', ...store])).stdout).points, 2000)
    assert.equal((await runCli(['collections', 'delete', '--yes', ...store])).code, 0)
    assert.deepEqual(mine(JSON.parse((await runCli(['collections', 'list', '--json', ...store])).stdout) as Array<{ name: string }>), [])
    const again = await runCli(['search', 'Verification succeeded', '--json', ...where])
    assert.equal(again.code, 2, 'the deleted collection is not created again by a search')
    assert.match(again.stderr, new RegExp(`collection: collection ${collection} does not exist`))
  })
}

test('collections share keeps once the vectors that a store\'s older rows hold alike; searches answer as before; Qdrant is told it is for the embedded store', async (t) => {
  const { dir, store, where } = await storedSample(t)
  const path = join(dir, 'data', 'vectors.sqlite')
  // The store as a logstream before layout 3 wrote it: every vector in its row.
  toLayout2(path, { withVectorsColumn: true })
  const groups = () => {
    const db = new Database(path, { readonly: true })
    try {
      return db.prepare('SELECT COUNT(*) AS rows, COUNT(*) > 1 AS alike FROM points GROUP BY vector').all() as Array<{ rows: number; alike: number }>
    } finally {
      db.close()
    }
  }
  const alike = groups().filter((g) => g.alike)
  const searchArgs = ['search', 'Verification succeeded', '--json', '-k', '50', ...where]
  const answers = async () => JSON.parse((await runCli(searchArgs)).stdout) as unknown
  // The first to open the file moves it to the current layout, and says so on stderr: stdout stays the answer.
  const first = await runCli(searchArgs)
  assert.match(first.stderr, /gave the embedded store its current layout/)
  const before = JSON.parse(first.stdout) as unknown

  const res = await runCli(['collections', 'share', '--json', ...store])
  assert.equal(res.code, 0, res.stderr)
  const shared = JSON.parse(res.stdout) as { points: number; vectors: number; bytes: number; unused: number }
  assert.deepEqual(shared, { collection: 'logs_embeddings', points: alike.reduce((n, g) => n + g.rows, 0), vectors: alike.length, bytes: alike.reduce((n, g) => n + g.rows, 0) * 384 * 4, unused: 0 })
  assert.ok(shared.points > 1900, `most of the sample's lines share their shape: ${shared.points}`)
  assert.deepEqual(await answers(), before)
  const again = await runCli(['collections', 'share', ...store])
  assert.match(again.stdout, /logs_embeddings: 0 points now refer to a stored vector \(0 stored once by this run\), 0 stored vectors no point referred to deleted; 0\.0 MB/)

  const qdrant = await runCli(['collections', 'share', '--sink', 'qdrant', '--qdrant-url', 'http://127.0.0.1:1'])
  assert.equal(qdrant.code, 2)
  assert.match(qdrant.stderr, /share is for the embedded store/)
})
