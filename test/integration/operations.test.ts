/**
 * Operations: /metrics agrees with the store and the input, the status page
 * shows a run in a real browser, and SIGTERM turns /readyz not-ready before
 * the batch in flight completes and the process exits 0.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, startCli, eventually, metricsUrl, summaryOf, type RunningCli } from '../helpers/cli.ts'
import { storedIds } from '../helpers/store.ts'
import { launchBrowser } from '../helpers/browser.ts'
import { startEmbeddingStub } from '../helpers/embedding-stub.ts'
import { metricSum } from '../helpers/metrics.ts'
import { REPEATED_SIGNAL_MS } from '../../src/cli/run.ts'

/** A copy of the sample with malformed lines mixed in, followed, so the job (and its server) stays up. */
function mixedInput(dir: string): { path: string; good: number; bad: number } {
  const path = join(dir, 'input.log')
  copyFileSync(SAMPLE, path)
  appendFileSync(path, '{"text": broken\n\n{"level":"x"}\n')
  return { path, good: 2000, bad: 3 }
}

const runArgs = (dir: string, input: string, extra: string[] = []) => ['run', '--source', `file:${input}`, '--follow', '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--metrics-host', '127.0.0.1', '--metrics-port', '0', '--trigger', '300ms', ...extra]

test('after a run on the HDFS sample, /metrics matches the store and the input: received = stored + skipped + dead-lettered', async (t) => {
  const dir = tempDir(t)
  const input = mixedInput(dir)
  const job = startCli(runArgs(dir, input.path))
  t.after(() => job.child.kill('SIGKILL'))
  const url = await metricsUrl(job)
  let text = ''
  await eventually(async () => {
    text = await (await fetch(`${url}/metrics`)).text()
    return metricSum(text, 'logstream_messages_received_total') === input.good + input.bad && metricSum(text, 'logstream_batches_committed_total') > 0 && metricSum(text, 'logstream_records_in_flight') === 0
  })
  const received = metricSum(text, 'logstream_messages_received_total')
  const stored = metricSum(text, 'logstream_points_inserted_total')
  const skipped = metricSum(text, 'logstream_entries_skipped_existing_total') + metricSum(text, 'logstream_duplicates_in_batch_total')
  const dead = metricSum(text, 'logstream_dead_lettered_total', { destination: 'checkpoint' })
  assert.equal(received, stored + skipped + dead)
  assert.equal(dead, input.bad)
  assert.equal(metricSum(text, 'logstream_messages_malformed_total'), input.bad)
  assert.equal(metricSum(text, 'logstream_embeddings_generated_total'), stored)
  assert.ok(metricSum(text, 'logstream_batch_duration_seconds_count') > 0)
  assert.ok(metricSum(text, 'logstream_stage_duration_seconds_count', { step: 'embed' }) > 0)
  assert.ok(text.includes('process_resident_memory_bytes'), 'default process metrics')
  assert.ok(metricSum(text, 'logstream_checkpoint_age_seconds') >= 0)
  job.child.kill('SIGTERM')
  assert.equal((await job.done).code, 0)
  assert.equal((await storedIds(dir)).length, stored, 'the store holds what /metrics says')
})

test('the status page shows the run in headless Chromium, draws its charts, refreshes, and logs no console errors', async (t) => {
  const dir = tempDir(t)
  const input = mixedInput(dir)
  const job = startCli(runArgs(dir, input.path, ['--qdrant-api-key', 'very-secret-key']))
  t.after(() => job.child.kill('SIGKILL'))
  const url = await metricsUrl(job)
  await eventually(async () => {
    const s = (await (await fetch(`${url}/status.json`)).json()) as { totals: { received: number } }
    return s.totals.received === input.good + input.bad
  })
  const browser = await launchBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } })
  const problems: string[] = []
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(url)
  await page.waitForSelector('#tiles .tile')
  const received = await page.textContent('[data-metric="received"] b')
  assert.equal(received, (input.good + input.bad).toLocaleString('en-US'))
  assert.equal(await page.textContent('[data-metric="dead letters"] b'), String(input.bad))
  assert.ok((await page.locator('#throughput path.series').count()) === 1, 'throughput drawn')
  assert.ok((await page.locator('#duplicates circle').count()) >= 1, 'duplicate ratio drawn')
  assert.ok((await page.locator('#batches tbody tr').count()) >= 1, 'recent batches listed')
  assert.match((await page.textContent('#partitions tbody')) ?? '', /file:/)
  const config = (await page.textContent('#config')) ?? ''
  assert.ok(config.includes('"apiKey": "***"') && !config.includes('very-secret-key'), 'secrets are masked')
  // It refreshes by itself: new lines show up without a reload.
  appendFileSync(input.path, readFileSync(SAMPLE, 'utf8').split('\n').slice(0, 5).join('\n') + '\nextra line one for the refresh\n')
  await page.waitForFunction(`document.querySelector('[data-metric="received"] b')?.textContent === '2,009'`, undefined, { timeout: 15_000 })
  await page.screenshot({ path: process.env.LOGSTREAM_SCREENSHOT ?? join(dir, 'status.png'), fullPage: true })
  assert.deepEqual(problems, [])
  job.child.kill('SIGTERM')
  assert.equal((await job.done).code, 0)
})

/** The job on the sample with an embedding service that answers after `delayMs`, once its first batch is being embedded. */
async function jobEmbedding(t: { after(fn: () => unknown): void }, delayMs: number) {
  const dir = tempDir(t)
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  stub.delay(delayMs)
  const args = runArgs(dir, SAMPLE, ['--embedder', 'http', '--embedding-url', stub.url, '--batch-size', '500', '--max-in-flight', '500'])
  const job = startCli(args)
  t.after(() => job.child.kill('SIGKILL'))
  const url = await metricsUrl(job)
  await eventually(() => stub.requests > 0, 30_000, 20)
  return { dir, stub, args, job, url }
}

/** Asserts that a batch committed before the exit, and that the store holds exactly what the committed batches stored. */
async function assertBatchCommitted(result: Awaited<RunningCli['done']>, dir: string): Promise<void> {
  const committed = result.logs.filter((l) => typeof l.stored === 'number' && typeof l.batch === 'number')
  assert.ok(committed.length >= 1, 'the batch in flight committed')
  assert.equal((await storedIds(dir)).length, committed.reduce((s, l) => s + Number(l.stored), 0))
}

test('SIGTERM while a batch is in flight: /readyz turns not-ready first, the batch completes, exit 0', async (t) => {
  const { dir, job, url } = await jobEmbedding(t, 1500)
  assert.equal((await fetch(`${url}/readyz`)).status, 200)
  job.child.kill('SIGTERM')
  await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, 5000, 20)
  const notReady = (await (await fetch(`${url}/readyz`)).json()) as { reason: string }
  assert.match(notReady.reason, /stopping/)
  const result = await job.done
  assert.equal(result.code, 0, result.stderr)
  await assertBatchCommitted(result, dir)
})

test('the same stop signal delivered twice at once (GNU timeout signals the process and its group) still lets the batch in flight complete: exit 0', async (t) => {
  const { dir, job } = await jobEmbedding(t, 1500)
  job.child.kill('SIGTERM')
  // The second delivery comes once the first has been handled, as a group's signal after the process's own.
  await job.waitFor((l) => l.msg === 'stopping: finishing the batch in flight')
  job.child.kill('SIGTERM')
  const result = await job.done
  // Before, the second delivery exited at once with 130, leaving the batch to a replay.
  assert.equal(result.code, 0, result.stderr)
  assert.ok(result.logs.some((l) => String(l.msg).startsWith('the same signal again at once')), 'the repeat is logged')
  await assertBatchCommitted(result, dir)
})

test('a second stop signal sent later exits at once with 130, and a restart stores what the first run had not', async (t) => {
  // Answers slower than any test waits: the first signal's stop cannot finish.
  const { dir, stub, args, job } = await jobEmbedding(t, 120_000)
  job.child.kill('SIGTERM')
  await job.waitFor((l) => l.msg === 'stopping: finishing the batch in flight')
  // Past the window in which a repeat counts as the same delivery (the job handled the first before it logged it).
  await new Promise((resolve) => setTimeout(resolve, REPEATED_SIGNAL_MS + 200))
  job.child.kill('SIGTERM')
  const result = await job.done
  assert.equal(result.code, 130, result.stderr)
  assert.ok(result.logs.some((l) => String(l.msg).startsWith('second signal: exiting now')))
  assert.equal((await storedIds(dir)).length, 0, 'nothing was committed')
  stub.delay(0)
  const again = startCli(args)
  t.after(() => again.child.kill('SIGKILL'))
  const url = await metricsUrl(again)
  await eventually(async () => {
    const text = await (await fetch(`${url}/metrics`)).text()
    return metricSum(text, 'logstream_messages_received_total') === 2000 && metricSum(text, 'logstream_records_in_flight') === 0
  }, 60_000, 200)
  again.child.kill('SIGTERM')
  const done = await again.done
  assert.equal(done.code, 0, done.stderr)
  const stored = summaryOf(done).stored
  assert.ok(stored > 0)
  assert.equal((await storedIds(dir)).length, stored, 'the restart stored the batch the first run left, and nothing else was there')
})

test('the status page lists new patterns in headless Chromium (first seen, lines since, score, level, example line), and their counts grow as lines arrive', async (t) => {
  const dir = tempDir(t)
  const input = mixedInput(dir)
  // Lines of each shape the sample holds, as the panel counts them (every line of the sample is a distinct point).
  const { maskVariables } = await import('../../operators/mask.ts')
  const { parseHdfsLine } = await import('../../operators/hdfs-line.ts')
  const perShape = new Map<string, number>()
  for (const line of readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean)) {
    const shape = maskVariables(parseHdfsLine(line)!.text)
    perShape.set(shape, (perShape.get(shape) ?? 0) + 1)
  }
  const job = startCli(runArgs(dir, input.path))
  t.after(() => job.child.kill('SIGKILL'))
  const url = await metricsUrl(job)
  await eventually(async () => ((await (await fetch(`${url}/status.json`)).json()) as { totals: { received: number } }).totals.received === input.good + input.bad)
  const browser = await launchBrowser(t)
  const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } })
  const problems: string[] = []
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()))
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(url)
  await page.waitForSelector('#patterns tbody tr[data-shape]')
  const rows = page.locator('#patterns tbody tr[data-shape]')
  assert.equal(await rows.count(), perShape.size, 'every kind of line of the sample was new once')
  const packet = 'PacketResponder <num> for block <blk> terminating'
  const row = page.locator(`#patterns tbody tr[data-shape="${packet}"]`)
  const cells = await row.locator('td').allTextContents()
  assert.equal(cells[1], perShape.get(packet)!.toLocaleString('en-US'), 'lines since')
  assert.equal(cells[2], '1.00', 'the first line scored 1')
  assert.equal(cells[3], 'INFO')
  assert.match(cells[4]!, /^081109 203615 148 INFO dfs\.DataNode\$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating$/, 'its first line, whole')
  assert.ok(!Number.isNaN(Date.parse(new Date(cells[0]!).toISOString())), 'first seen')
  // A new kind of line three times and two more of a known kind: a new row, and the counts grow without a reload.
  const more = [0, 1, 2].map((i) => `081111 10000${i} 31 ERROR dfs.DataNode: Disk failure on /mnt/hadoop/dfs/data: volume sdb is read-only after an I/O error`)
  appendFileSync(input.path, [...more, '081111 100010 31 INFO dfs.DataNode$PacketResponder: PacketResponder 2 for block blk_77 terminating', '081111 100011 31 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_78 terminating', ''].join('\n'))
  const disk = 'Disk failure on <path>: volume sdb is read-only after an I/O error'
  await page.waitForFunction(`document.querySelector('#patterns tr[data-shape="${disk}"] td.lines')?.textContent === '3'`, undefined, { timeout: 30_000 })
  await page.waitForFunction(`document.querySelector('#patterns tr[data-shape="${packet}"] td.lines')?.textContent === '${(perShape.get(packet)! + 2).toLocaleString('en-US')}'`, undefined, { timeout: 30_000 })
  assert.equal(await page.locator('#patterns tbody tr[data-shape]').first().getAttribute('data-shape'), disk, 'the newest first')
  assert.equal(await page.locator(`#patterns tr[data-shape="${disk}"] td.level`).textContent(), 'ERROR')
  await page.screenshot({ path: process.env.LOGSTREAM_PATTERNS_SCREENSHOT ?? join(dir, 'patterns.png'), fullPage: true })
  assert.deepEqual(problems, [])
  job.child.kill('SIGTERM')
  assert.equal((await job.done).code, 0)
})
