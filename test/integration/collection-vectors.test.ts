/**
 * A collection records what its vectors are of, and a job or a search made to
 * mix another kind in refuses, naming the setting, with nothing changed: the
 * built-in embedder's vectors and a service's, or a service's vectors of
 * messages and of masked messages, are not comparable.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.ts'
import { SAMPLE, runCli, summaryOf } from '../helpers/cli.ts'
import { startEmbeddingStub } from '../helpers/embedding-stub.ts'
import { storedPoints } from '../helpers/store.ts'
import { toLayout2 } from '../helpers/store-layout2.ts'
import { dropCollection, suiteQdrant, suiteQdrantKind } from '../helpers/qdrant.ts'
import { createSqliteVectorStore } from '../../src/adapters/sqlite-vector-store.ts'

const LINES = readFileSync(SAMPLE, 'utf8').split('\n').filter(Boolean)

function job(dir: string, lines: readonly string[], embedder: string[]): string[] {
  const input = join(dir, `in-${lines.length}.log`)
  writeFileSync(input, `${lines.join('\n')}\n`)
  return ['run', '--source', `file:${input}`, '--job', `job-${lines.length}`, '--data-dir', join(dir, 'data'), '--checkpoint-dir', join(dir, 'checkpoints'), '--no-http', ...embedder]
}

const recorded = async (dir: string): Promise<string | undefined> => {
  const store = createSqliteVectorStore({ path: join(dir, 'data', 'vectors.sqlite'), collection: 'logs_embeddings', dim: 384, distance: 'Cosine' })
  try {
    return (await store.collectionInfo('logs_embeddings'))?.vectors
  } finally {
    await store.close()
  }
}

test('a job refuses to add vectors of another embedder, or of other texts, to a collection; the same embedder goes on', async (t) => {
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  const dir = tempDir(t)
  const http = (text: string) => ['--embedder', 'http', '--embedding-url', stub.url, '--embedding-text', text]

  const first = await runCli(job(dir, LINES.slice(0, 100), []))
  assert.equal(first.code, 0, first.stderr)
  assert.equal(summaryOf(first).stored, 100)
  assert.equal(await recorded(dir), 'builtin', 'the collection records the built-in embedder that created it')

  const service = await runCli(job(dir, LINES.slice(0, 150), http('message')))
  assert.equal(service.code, 3, service.stderr)
  assert.match(service.stderr, /COLLECTION_MISMATCH/)
  assert.match(service.stderr, /records vectors of the built-in embedder \(embedder\.kind builtin\); this job would add vectors of an embedding service sent each line's message \(embedder\.kind http, embedder\.text message\)/)
  // The field to change, on a line of its own: the error's details.
  assert.match(service.stderr, /\n  field: embedder\.kind, collection: \S+, recorded: builtin, configured: http\/message\n/)
  assert.equal(stub.asked.length, 0, 'nothing was embedded')
  assert.equal((await storedPoints(dir)).length, 100, 'nothing was stored')

  const more = await runCli(job(dir, LINES.slice(0, 200), []))
  assert.equal(more.code, 0, more.stderr)
  assert.equal((await storedPoints(dir)).length, 200, 'the built-in embedder goes on')

  // Another collection of the service's vectors of messages refuses masked ones: the setting named is embedder.text.
  const other = ['--collection', 'service_vectors']
  const messages = await runCli([...job(dir, LINES.slice(0, 50), http('message')), ...other])
  assert.equal(messages.code, 0, messages.stderr)
  const masked = await runCli([...job(dir, LINES.slice(0, 60), http('masked')), ...other])
  assert.equal(masked.code, 3, masked.stderr)
  assert.match(masked.stderr, /records vectors of an embedding service sent each line's message \(embedder\.kind http, embedder\.text message\); this job would add vectors of an embedding service sent each line's masked message \(embedder\.kind http, embedder\.text masked\)/)
  assert.match(masked.stderr, /\n  field: embedder\.text, collection: \S+, recorded: http\/message, configured: http\/masked\n/)

  // A search compares its text's vector with the stored ones: with another embedder it refuses too.
  const search = await runCli(['search', 'Receiving block', '--json', '--data-dir', join(dir, 'data'), ...http('message')])
  assert.equal(search.code, 3, search.stderr)
  assert.match(search.stderr, /COLLECTION_MISMATCH/)
  const builtinSearch = await runCli(['search', 'Receiving block', '--json', '--data-dir', join(dir, 'data')])
  assert.equal(builtinSearch.code, 0, builtinSearch.stderr)
  assert.equal((JSON.parse(builtinSearch.stdout) as { results: unknown[] }).results.length, 5)
})

test('a collection from before the record takes the first job\'s embedder, and says so when it holds points', async (t) => {
  const dir = tempDir(t)
  const first = await runCli(job(dir, LINES.slice(0, 30), []))
  assert.equal(first.code, 0, first.stderr)
  // The store as logstream wrote it before collections recorded their vectors.
  toLayout2(join(dir, 'data', 'vectors.sqlite'), { withVectorsColumn: false })
  const again = await runCli(job(dir, LINES.slice(0, 40), []))
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout + again.stderr, /recorded no kind of vectors; recorded this job's, the built-in embedder/)
  assert.equal(await recorded(dir), 'builtin')
  assert.equal((await storedPoints(dir)).length, 40)
})

test(`Qdrant (${suiteQdrantKind()}): a collection the replaced job filled takes the vectors of messages from a service, and refuses the built-in embedder's`, async (t) => {
  const qdrant = await suiteQdrant(t)
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  const dir = tempDir(t)
  const collection = `replaced_${randomBytes(4).toString('hex')}`
  t.after(() => dropCollection(qdrant.url, collection))
  // As the replaced job made it: no metadata of logstream's, one point of a service's vector.
  const put = (path: string, body: unknown) => fetch(`${qdrant.url}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  assert.equal((await put(`/collections/${collection}`, { vectors: { size: 384, distance: 'Cosine' } })).status, 200)
  const vector = Array.from({ length: 384 }, (_, i) => (i === 0 ? 1 : 0))
  assert.equal((await put(`/collections/${collection}/points?wait=true`, { points: [{ id: randomUUID(), vector, payload: { text: 'old' } }] })).status, 200)
  const where = ['--sink', 'qdrant', '--qdrant-url', qdrant.url, '--collection', collection]

  const builtin = await runCli([...job(dir, LINES.slice(0, 20), []), ...where])
  assert.equal(builtin.code, 3, builtin.stderr)
  assert.match(builtin.stderr, /was not made by logstream and holds 1 points: vectors presumably of the replaced job, an embedding service sent each line's message/)
  const metadata = async () => ((await (await fetch(`${qdrant.url}/collections/${collection}`)).json()) as { result: { config: { metadata?: Record<string, unknown> } } }).result.config.metadata ?? {}
  assert.equal((await metadata()).logstream_vectors, undefined, 'nothing was recorded')

  const service = await runCli([...job(dir, LINES.slice(0, 20), ['--embedder', 'http', '--embedding-url', stub.url]), ...where])
  assert.equal(service.code, 0, service.stderr)
  assert.equal(summaryOf(service).stored, 20)
  assert.match(service.stdout + service.stderr, /was not made by logstream; its 1 points are taken as the replaced job's, an embedding service sent each line's message \(embedder\.kind http, embedder\.text message\), as this job's are: recorded that/)
  assert.doesNotMatch(service.stdout + service.stderr, /recorded no kind of vectors/)
  assert.equal((await metadata()).logstream_vectors, 'http/message')
})

test('collections vectors shows a wrong record corrected only with --yes, and the job of the corrected kind then goes on', async (t) => {
  const dir = tempDir(t)
  const stub = await startEmbeddingStub(t, { api: 'logstream', dim: 384 })
  const first = await runCli(job(dir, LINES.slice(0, 10), []))
  assert.equal(first.code, 0, first.stderr)
  const store = ['--data-dir', join(dir, 'data')]
  const http = ['--embedder', 'http', '--embedding-url', stub.url]
  const refused = await runCli(['collections', 'vectors', ...store, ...http])
  assert.equal(refused.code, 2, refused.stderr)
  assert.match(refused.stderr, /records vectors of builtin; pass --yes to record http\/message instead/)
  assert.equal(await recorded(dir), 'builtin', 'nothing changed without --yes')
  const same = await runCli(['collections', 'vectors', '--json', ...store])
  assert.equal(same.code, 0, same.stderr)
  assert.deepEqual(JSON.parse(same.stdout), { collection: 'logs_embeddings', vectors: 'builtin', was: 'builtin' })
  const corrected = await runCli(['collections', 'vectors', '--yes', ...store, ...http])
  assert.equal(corrected.code, 0, corrected.stderr)
  assert.match(corrected.stdout, /logs_embeddings: vectors of http\/message \(was builtin\)/)
  assert.equal(await recorded(dir), 'http/message')
  const service = await runCli(job(dir, LINES.slice(0, 20), http))
  assert.equal(service.code, 0, service.stderr)
  const builtin = await runCli(job(dir, LINES.slice(0, 30), []))
  assert.equal(builtin.code, 3, 'and now the built-in embedder is the one refused')
})
