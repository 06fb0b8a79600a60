/**
 * The checkpoint from the command line: show, reset, a wrong or corrupt file,
 * and graceful stops.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { hdfsTraffic } from '../../bench/hdfs-traffic.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli, startCli, summaryOf } from '../helpers/cli.ts'
import { storedPayloads } from '../helpers/store.ts'

const jobArgs = (dir: string, source: string, extra: string[] = []) => ['--source', `file:${source}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), ...extra]

test('show prints positions and batches; reset moves them after confirmation, and refuses without one', async (t) => {
  const dir = tempDir(t)
  assert.equal((await runCli(['run', ...jobArgs(dir, SAMPLE), '--no-http'])).code, 0)
  const shown = await runCli(['checkpoint', 'show', '--json', ...jobArgs(dir, SAMPLE)])
  assert.equal(shown.code, 0, shown.stderr)
  const doc = JSON.parse(shown.stdout) as { positions: Record<string, number>; recent: Array<{ state: string; counts: { received: number } }> }
  assert.deepEqual(Object.values(doc.positions), [readFileSync(SAMPLE).length])
  assert.equal(doc.recent.reduce((s, b) => s + b.counts.received, 0), 2000)
  assert.ok(doc.recent.every((b) => b.state === 'committed'))
  const table = await runCli(['checkpoint', 'show', ...jobArgs(dir, SAMPLE)])
  assert.match(table.stdout, /Positions \(next offset to read\):/)

  const refused = await runCli(['checkpoint', 'reset', '--to', 'earliest', ...jobArgs(dir, SAMPLE)])
  assert.equal(refused.code, 2, 'no terminal and no --yes')
  assert.match(refused.stderr, /--yes/)
  const reset = await runCli(['checkpoint', 'reset', '--to', 'earliest', '--yes', ...jobArgs(dir, SAMPLE)])
  assert.equal(reset.code, 0, reset.stderr)
  const again = await runCli(['run', ...jobArgs(dir, SAMPLE), '--no-http'])
  assert.equal(summaryOf(again).received, 2000, 'reading starts over after the reset')
  assert.equal(summaryOf(again).stored, 0, 'and stores nothing twice')
})

test('a checkpoint of another job, or a corrupt one, stops the job with a clear error and is left untouched', async (t) => {
  const dir = tempDir(t)
  assert.equal((await runCli(['run', ...jobArgs(dir, SAMPLE), '--no-http'])).code, 0)
  const file = join(dir, 'checkpoints', 'logs.checkpoint.sqlite')
  const before = readFileSync(file)
  const otherDim = await runCli(['run', ...jobArgs(dir, SAMPLE), '--no-http', '--dim', '128', '--collection', 'other'])
  assert.equal(otherDim.code, 3)
  assert.match(otherDim.stderr, /CHECKPOINT_MISMATCH.*written for another job.*dim is 384 there, 128 here/)
  const copy = join(tempDir(t), 'x.log')
  copyFileSync(SAMPLE, copy)
  const otherSource = await runCli(['run', ...jobArgs(dir, copy), '--no-http'])
  assert.equal(otherSource.code, 3)
  assert.match(otherSource.stderr, /source is "file:/)
  assert.deepEqual(readFileSync(file), before)

  writeFileSync(file, Buffer.concat([before.subarray(0, 100), Buffer.alloc(8192, 0x41)]))
  const corrupt = await runCli(['run', ...jobArgs(dir, SAMPLE), '--no-http'])
  assert.equal(corrupt.code, 3)
  assert.match(corrupt.stderr, /CHECKPOINT_CORRUPT/)
})

test('SIGTERM mid-run finishes the batch in flight, commits and exits 0; a restart completes the same store', async (t) => {
  const input = join(tempDir(t), 'big.log')
  writeFileSync(input, [...hdfsTraffic({ count: 30_000, seed: 5 })].join('\n') + '\n')
  const reference = tempDir(t)
  assert.equal((await runCli(['run', ...jobArgs(reference, input), '--no-http', '--batch-size', '200'])).code, 0)

  const dir = tempDir(t)
  const job = startCli(['run', ...jobArgs(dir, input), '--no-http', '--batch-size', '200'])
  await job.waitFor((l) => l.batch === 2 && typeof l.stored === 'number')
  job.child.kill('SIGTERM')
  const stopped = await job.done
  assert.equal(stopped.code, 0, stopped.stderr)
  assert.ok(stopped.logs.some((l) => l.msg === 'stopping: finishing the batch in flight'))
  const s = summaryOf(stopped)
  assert.ok(s.received < 30_000, 'it stopped early')
  const shown = JSON.parse((await runCli(['checkpoint', 'show', '--json', ...jobArgs(dir, input)])).stdout) as { pending: unknown[]; positions: Record<string, number> }
  assert.deepEqual(shown.pending, [], 'nothing left half done')
  const resumed = await runCli(['run', ...jobArgs(dir, input), '--no-http', '--batch-size', '200'])
  assert.equal(resumed.code, 0)
  assert.equal(s.received + summaryOf(resumed).received, 30_000, 'every line read once across the two runs')
  assert.deepEqual(await storedPayloads(dir), await storedPayloads(reference))
})

