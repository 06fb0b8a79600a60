/**
 * No answer of the embedding service stops the job: malformed answers are
 * retried, a text the service always fails on is found and dead-lettered with
 * reason `embedding-failed` while the rest of its batch is stored, and a
 * service that fails for everything is waited for.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, eventually, runCli, startCli, summaryOf } from '../helpers/cli.ts'
import { BAD_SHAPES, startEmbeddingStub } from '../helpers/embedding-stub.ts'
import { storedPayloads } from '../helpers/store.ts'

const LINES = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean).slice(0, 40)
const textOf = (line: string) => parseHdfsLine(line)!.text

function job(dir: string, url: string, extra: string[] = []): string[] {
  const input = join(dir, 'in.log')
  writeFileSync(input, `${LINES.join('\n')}\n`)
  return ['run', '--source', `file:${input}`, '--embedder', 'http', '--embedding-url', url, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--batch-size', '20', '--trigger', '200ms', ...extra]
}

test('each malformed answer the service gives for a while is retried: everything is stored, nothing dead-lettered, exit 0', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  for (const shape of BAD_SHAPES) {
    const dir = tempDir(t)
    stub.answerBadly(2, shape)
    const run = await runCli([...job(dir, stub.url), '--no-http'])
    assert.equal(run.code, 0, `${shape}: ${run.stderr}`)
    assert.equal(summaryOf(run).deadLettered, 0, `${shape}: nothing dead-lettered`)
    assert.equal((await storedPayloads(dir)).length, new Set(LINES.map(textOf)).size, `${shape}: every line stored`)
    assert.ok(run.logs.some((l) => /refused the batch; retrying it/.test(String(l.msg))), `${shape}: the retry is logged`)
  }
})

test('a text the service always refuses, and one it always answers null for, are dead-lettered; the rest is stored; retries and the split show in logs and metrics', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  const refused = textOf(LINES[7]!)
  const nulled = textOf(LINES[23]!)
  stub.poison(refused, 'refuse')
  stub.poison(nulled, 'null')
  const dir = tempDir(t)
  const running = startCli([...job(dir, stub.url), '--follow', '--metrics-port', '0'])
  t.after(() => running.child.kill('SIGKILL'))
  const listening = await running.waitFor((l) => /metrics and status on/.test(String(l.msg)))
  const metricsUrl = `${String(listening.url).replace('0.0.0.0', '127.0.0.1')}/metrics`
  const metric = async (name: string) => {
    const text = await (await fetch(metricsUrl)).text()
    return text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0)
  }
  const distinct = new Set(LINES.map(textOf)).size
  await eventually(async () => (await metric('logstream_points_inserted_total')) === distinct - 2)
  assert.equal(await metric('logstream_messages_malformed_total{reason="embedding-failed"}'), 2)
  assert.ok((await metric('logstream_batch_retries_total{step="embed"}')) >= 2, 'the refused batch was retried')
  assert.ok((await metric('logstream_batch_splits_total{step="embed"}')) >= 1, 'then split')
  assert.ok(running.logs.some((l) => /splitting it to find the records at fault/.test(String(l.msg))))
  running.child.kill('SIGTERM')
  const done = await running.done
  assert.equal(done.code, 0, done.stderr)
  const texts = (await storedPayloads(dir)).map((p) => p.text)
  assert.ok(!texts.includes(refused) && !texts.includes(nulled))
  const dead = JSON.parse((await runCli(['dlq', 'list', '--json', '--source', `file:${join(dir, 'in.log')}`, '--checkpoint-dir', join(dir, 'checkpoints')])).stdout) as Array<{ reason: string; offset: number; value: string }>
  assert.deepEqual(dead.map((d) => d.reason), ['embedding-failed', 'embedding-failed'])
  // Refused after the parse, they still carry their lines' bytes exactly (the file source reads a CRLF line without its CR), for a replay once the service is mended.
  assert.deepEqual(dead.map((d) => Buffer.from(d.value, 'base64').toString('utf8')).sort(), [LINES[7]!, LINES[23]!].map((l) => l.replace(/\r$/, '')).sort())
})

test('a service that answers wrongly for everything, a probe too, is waited for; nothing is dead-lettered and the job goes on when it is right again', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  stub.answerBadly(6, 'wrong-dimension')
  const dir = tempDir(t)
  const run = await runCli([...job(dir, stub.url), '--no-http', '--batch-size', '100'])
  assert.equal(run.code, 0, run.stderr)
  assert.equal(summaryOf(run).deadLettered, 0)
  assert.equal((await storedPayloads(dir)).length, new Set(LINES.map(textOf)).size)
  assert.ok(run.logs.some((l) => /fails for every record and for a probe; the batch waits/.test(String(l.msg))))
})
