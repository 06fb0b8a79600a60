/** view, stats (with its HTML charts in a real browser) and collections, on the stored HDFS sample. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { existsSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli } from '../helpers/cli.ts'
import { launchBrowser } from '../helpers/browser.ts'

async function storedSample(t: { after(fn: () => unknown): void }) {
  const dir = tempDir(t)
  const store = ['--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--source', `file:${SAMPLE}`]
  assert.equal((await runCli(['run', ...store, '--no-http'])).code, 0)
  return { dir, store }
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

test('view pages through entries with filters; collections list, count, info and delete (with --yes only)', async (t) => {
  const { store } = await storedSample(t)
  const first = JSON.parse((await runCli(['view', '--limit', '5', '--filter', 'level=WARN', '--json', ...store])).stdout) as { points: Array<{ log_level: string }>; next: string }
  assert.equal(first.points.length, 5)
  assert.ok(first.points.every((p) => p.log_level === 'WARN'))
  const second = JSON.parse((await runCli(['view', '--limit', '100', '--level', 'WARN', '--after', first.next, '--json', ...store])).stdout) as { points: unknown[]; next: string | null }
  assert.equal(second.points.length, 75)
  assert.equal(second.next, null)

  const list = JSON.parse((await runCli(['collections', 'list', '--json', ...store])).stdout) as Array<{ name: string; points: number; dim: number }>
  assert.deepEqual(list, [{ name: 'logs_embeddings', dim: 384, distance: 'Cosine', points: 2000 }])
  assert.equal((await runCli(['collections', 'count', '--node-type', 'namenode', ...store])).stdout.trim(), '659')
  const refused = await runCli(['collections', 'delete', ...store])
  assert.equal(refused.code, 2, 'no terminal and no --yes')
  assert.equal(JSON.parse((await runCli(['collections', 'info', '--json', ...store])).stdout).points, 2000)
  assert.equal((await runCli(['collections', 'delete', '--yes', ...store])).code, 0)
  assert.deepEqual(JSON.parse((await runCli(['collections', 'list', '--json', ...store])).stdout), [])
  const search = await runCli(['search', 'Verification succeeded', '--level', 'INFO', '--since', '2008-11-10', '--json', '-k', '3', '--data-dir', store[1]!])
  assert.equal(search.code, 2, 'the deleted collection is not created again by a search')
  assert.match(search.stderr, /collection: collection logs_embeddings does not exist/)
})

test('search, view, stats and score-service refuse a data directory or a collection that does not exist, and create neither', async (t) => {
  const missing = join(tempDir(t), 'no-such-dir')
  for (const args of [['search', 'x'], ['view'], ['stats'], ['score-service', '--port', '0']]) {
    const res = await runCli([...args, '--data-dir', missing])
    assert.equal(res.code, 2, `${args[0]}: ${res.stderr}`)
    assert.match(res.stderr, /dataDir: no vector store at .*no-such-dir/)
  }
  assert.equal(existsSync(missing), false)
  const { store } = await storedSample(t)
  for (const args of [['search', 'x'], ['view'], ['stats'], ['score-service', '--port', '0']]) {
    const res = await runCli([...args, ...store, '--collection', 'other'])
    assert.equal(res.code, 2, `${args[0]}: ${res.stderr}`)
    assert.match(res.stderr, /collection: collection other does not exist/)
  }
  assert.deepEqual((JSON.parse((await runCli(['collections', 'list', '--json', ...store])).stdout) as Array<{ name: string }>).map((c) => c.name), ['logs_embeddings'])
})
