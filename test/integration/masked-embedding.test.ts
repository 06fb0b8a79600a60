/**
 * `--embedding-text masked` against an HTTP embedding service: the service is
 * sent each line's shape, once, lines of a shape are stored with its one
 * vector, and a shape the service refuses is dead-lettered for each of its
 * lines while the rest is stored. The default still sends each message as it
 * came, as the replaced job did.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseHdfsLine } from '../../operators/hdfs-line.ts'
import { shapeOf } from '../../operators/mask.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli, summaryOf } from '../helpers/cli.ts'
import { startEmbeddingStub } from '../helpers/embedding-stub.ts'
import { storedPoints } from '../helpers/store.ts'

const LINES = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean)
const textOf = (line: string) => parseHdfsLine(line)!.text

function job(dir: string, url: string, lines: readonly string[], extra: string[] = []): string[] {
  const input = join(dir, 'in.log')
  writeFileSync(input, `${lines.join('\n')}\n`)
  return ['run', '--source', `file:${input}`, '--embedder', 'http', '--embedding-url', url, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', ...extra]
}

/** Every stored point's message and vector. */
const storedVectors = async (dir: string) => (await storedPoints(dir, { withVector: true })).map((p) => ({ text: String(p.payload.text), vector: Array.from(p.vector!) }))

test("masked: the HDFS sample's 2,000 lines ask the service for their shapes, each once; a shape's lines share its vector", async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  const dir = tempDir(t)
  const run = await runCli(job(dir, stub.url, LINES, ['--embedding-text', 'masked', '--batch-size', '500']))
  assert.equal(run.code, 0, run.stderr)
  assert.equal(summaryOf(run).stored, LINES.length)

  const shapes = new Set(LINES.map((l) => shapeOf(textOf(l))))
  assert.ok(shapes.size < 50, `the sample has a few dozen shapes at most, not ${shapes.size}`)
  assert.deepEqual([...stub.asked].sort(), [...shapes].sort(), 'each shape asked once, across four batches, and nothing else')
  assert.ok(!stub.asked.some((t) => /blk_|\d{3}/.test(t)), 'no block id or address reaches the service')

  const stored = await storedVectors(dir)
  assert.equal(stored.length, LINES.length)
  const vectorOfShape = new Map<string, string>()
  for (const { text, vector } of stored) {
    const shape = shapeOf(text)
    const v = JSON.stringify(vector)
    assert.equal(vectorOfShape.get(shape) ?? v, v, `every line of "${shape}" has one vector`)
    vectorOfShape.set(shape, v)
  }
  assert.equal(new Set(vectorOfShape.values()).size, shapes.size, 'and each shape its own')

  // A query is masked too: a line with ids the store never saw finds the lines of its kind, at similarity 1.
  const query = 'Receiving block blk_123456789 src: /10.9.8.7:1234 dest: /10.9.8.6:50010'
  const asked = stub.asked.length
  const search = await runCli(['search', query, '-k', '5', '--json', '--embedder', 'http', '--embedding-url', stub.url, '--embedding-text', 'masked', '--data-dir', join(dir, 'data')])
  assert.equal(search.code, 0, search.stderr)
  const hits = (JSON.parse(search.stdout) as { results: Array<{ score: number; text: string }> }).results
  assert.equal(hits.length, 5)
  for (const hit of hits) {
    assert.equal(shapeOf(hit.text), shapeOf(query))
    assert.ok(hit.score > 0.9999, `similarity ${hit.score}`)
  }
  assert.deepEqual(stub.asked.slice(asked), [shapeOf(query)])
})

test('masked: a shape the service refuses is dead-lettered for each of its lines; the rest is stored', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  const byShape = new Map<string, string[]>()
  for (const l of LINES) {
    const shape = shapeOf(textOf(l))
    const lines = byShape.get(shape) ?? []
    lines.push(l)
    byShape.set(shape, lines)
  }
  const [refusedShape, refusedLines] = [...byShape].find(([, lines]) => lines.length === 2)!
  const others = LINES.filter((l) => shapeOf(textOf(l)) !== refusedShape).slice(0, 38)
  const lines = [...others.slice(0, 19), refusedLines[0]!, ...others.slice(19), refusedLines[1]!]
  stub.poison(refusedShape, 'refuse')
  const dir = tempDir(t)
  const run = await runCli(job(dir, stub.url, lines, ['--embedding-text', 'masked', '--batch-size', '20', '--trigger', '200ms']))
  assert.equal(run.code, 0, run.stderr)
  assert.equal(summaryOf(run).deadLettered, 2)
  assert.deepEqual((await storedVectors(dir)).map((p) => p.text).sort(), others.map(textOf).sort())
  const dead = JSON.parse((await runCli(['dlq', 'list', '--json', '--source', `file:${join(dir, 'in.log')}`, '--checkpoint-dir', join(dir, 'checkpoints')])).stdout) as Array<{ reason: string; value: string }>
  assert.deepEqual(dead.map((d) => d.reason), ['embedding-failed', 'embedding-failed'])
  assert.deepEqual(dead.map((d) => Buffer.from(d.value, 'base64').toString('utf8')), refusedLines.map((l) => l.replace(/\r$/, '')))
})

test('the default sends each message as it came, as the replaced job did', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  const dir = tempDir(t)
  const lines = LINES.slice(0, 40)
  const run = await runCli(job(dir, stub.url, lines, ['--batch-size', '20']))
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual([...stub.asked].sort(), lines.map(textOf).sort())
})
