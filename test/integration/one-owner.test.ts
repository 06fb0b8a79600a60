/**
 * One owner per checkpoint: a second instance of a running job is refused at
 * once with a distinct exit code and the holder's PID, host and start time;
 * `checkpoint reset` is refused too while the job runs; a job killed with
 * SIGKILL leaves no stale lock, and its restart starts at once.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli, startCli, summaryOf } from '../helpers/cli.ts'

test('a second instance of one job exits 4 naming the holder; after a kill -9 of the first, a restart works at once', async (t) => {
  const dir = tempDir(t)
  const input = join(dir, 'in.log')
  const lines = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean)
  writeFileSync(input, `${lines.slice(0, 500).join('\n')}\n`)
  const job = ['--source', `file:${input}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', '--trigger', '200ms']
  const first = startCli(['run', ...job, '--follow'])
  t.after(() => first.child.kill('SIGKILL'))
  await first.waitFor((l) => /Batch \d+ processed/.test(String(l.msg)))

  const second = await runCli(['run', ...job, '--follow'])
  assert.equal(second.code, 4, second.stderr)
  assert.match(second.stderr, new RegExp(`CHECKPOINT_LOCKED.*job logs is already running: its checkpoint in .* is held by process ${first.child.pid} on ${hostname()}, running since \\d{4}-\\d\\d-\\d\\dT`))
  const reset = await runCli(['checkpoint', 'reset', '--to', 'earliest', '--yes', ...job])
  assert.equal(reset.code, 4, 'no reset under a running job')

  first.child.kill('SIGKILL')
  await first.done
  appendFileSync(input, `${lines.slice(500, 800).join('\n')}\n`)
  const restarted = await runCli(['run', ...job])
  assert.equal(restarted.code, 0, restarted.stderr)
  assert.ok(summaryOf(restarted).received >= 300, 'the restart reads on from the checkpoint')
})
