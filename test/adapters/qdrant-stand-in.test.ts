/** The stand-in itself: it accepts what Qdrant accepts and rejects what Qdrant rejects. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startQdrantStandIn } from '../helpers/qdrant-stand-in.ts'

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: res.status, body: (await res.json().catch(() => null)) as { result?: unknown; status?: unknown } | null }
}

const uuid = '504f1ec0-1db3-8314-a93a-6491a872661e'

test('collections, upsert, retrieve, scroll, count and query behave like Qdrant, and every response matches the document', async (t) => {
  const q = await startQdrantStandIn(t)
  assert.equal((await call(q.url, 'PUT', '/collections/c', { vectors: { size: 3, distance: 'Cosine' } })).status, 200)
  assert.equal((await call(q.url, 'PUT', '/collections/c/index', { field_name: 'log_level', field_schema: 'keyword' })).status, 200)
  const up = await call(q.url, 'PUT', '/collections/c/points?wait=true', {
    points: [
      { id: uuid, vector: [1, 0, 0], payload: { log_level: 'INFO', timestamp: '2008-11-09T20:36:15.000' } },
      { id: 7, vector: [0, 1, 0], payload: { log_level: 'WARN', timestamp: '2008-11-10T20:36:15.000' } },
    ],
  })
  assert.equal(up.status, 200)
  const got = await call(q.url, 'POST', '/collections/c/points', { ids: [uuid, 8], with_payload: false, with_vector: false })
  assert.deepEqual(got.body?.result, [{ id: uuid }])
  const count = await call(q.url, 'POST', '/collections/c/points/count', { filter: { must: [{ key: 'log_level', match: { value: 'WARN' } }] }, exact: true })
  assert.deepEqual(count.body?.result, { count: 1 })
  const range = await call(q.url, 'POST', '/collections/c/points/count', { filter: { must: [{ key: 'timestamp', range: { gte: '2008-11-10T00:00:00Z' } }] } })
  assert.deepEqual(range.body?.result, { count: 1 })
  const query = await call(q.url, 'POST', '/collections/c/points/query', { query: [0.9, 0.1, 0], limit: 1, with_payload: true })
  assert.equal((query.body?.result as { points: Array<{ id: unknown }> }).points[0]!.id, uuid)
  const page = await call(q.url, 'POST', '/collections/c/points/scroll', { limit: 1, with_payload: false })
  assert.equal((page.body?.result as { next_page_offset: unknown }).next_page_offset, uuid)
  const info = await call(q.url, 'GET', '/collections/c')
  assert.equal((info.body?.result as { points_count: number }).points_count, 2)
  assert.deepEqual(q.responseProblems, [])
})

test('what Qdrant rejects is rejected: bad point ids, wrong vector sizes, malformed filters, missing collections', async (t) => {
  const q = await startQdrantStandIn(t)
  await call(q.url, 'PUT', '/collections/c', { vectors: { size: 3, distance: 'Cosine' } })
  const badId = await call(q.url, 'PUT', '/collections/c/points', { points: [{ id: 'not-a-uuid', vector: [1, 0, 0] }] })
  assert.equal(badId.status, 400)
  assert.match(JSON.stringify(badId.body), /error/)
  assert.equal((await call(q.url, 'PUT', '/collections/c/points', { points: [{ id: -1, vector: [1, 0, 0] }] })).status, 400)
  const wrongSize = await call(q.url, 'PUT', '/collections/c/points', { points: [{ id: uuid, vector: [1, 0] }] })
  assert.equal(wrongSize.status, 400)
  assert.match(JSON.stringify(wrongSize.body), /expected dim: 3, got 2/)
  assert.equal((await call(q.url, 'POST', '/collections/c/points/count', { filter: { must: [{ key: 'x', match: { nope: 1 } }] } })).status, 400)
  assert.equal((await call(q.url, 'POST', '/collections/c/points/scroll', { limit: 'ten' })).status, 400)
  assert.equal((await call(q.url, 'PUT', '/collections/c', { vectors: { size: 3, distance: 'Cosine' } })).status, 400, 'exists already')
  assert.equal((await call(q.url, 'GET', '/collections/missing')).status, 404)
  assert.equal((await call(q.url, 'PUT', '/collections/d', { vectors: { size: 'x', distance: 'Cosine' } })).status, 400)
  assert.deepEqual(q.responseProblems, [])
})

test('it can be told to fail, be slow, or drop connections', async (t) => {
  const q = await startQdrantStandIn(t)
  q.failNext(2)
  assert.equal((await call(q.url, 'GET', '/collections')).status, 503)
  assert.equal((await call(q.url, 'GET', '/collections')).status, 503)
  assert.equal((await call(q.url, 'GET', '/collections')).status, 200)
  q.setDown(true)
  await assert.rejects(fetch(`${q.url}/collections`))
  q.setDown(false)
  q.delay(150)
  const started = Date.now()
  assert.equal((await call(q.url, 'GET', '/collections')).status, 200)
  assert.ok(Date.now() - started >= 140)
})

test('a Cosine collection keeps its vectors normalised, as Qdrant does; other distances keep them as sent', async (t) => {
  const q = await startQdrantStandIn(t)
  for (const [name, distance] of [['cos', 'Cosine'], ['dot', 'Dot']] as const) {
    assert.equal((await call(q.url, 'PUT', `/collections/${name}`, { vectors: { size: 3, distance } })).status, 200)
    assert.equal((await call(q.url, 'PUT', `/collections/${name}/points?wait=true`, { points: [{ id: 1, vector: [3, 4, 0] }] })).status, 200)
  }
  const vectorOf = async (name: string) => ((await call(q.url, 'POST', `/collections/${name}/points`, { ids: [1], with_vector: true })).body?.result as Array<{ vector: number[] }>)[0]!.vector
  assert.deepEqual(await vectorOf('cos'), [0.6, 0.8, 0])
  assert.deepEqual(await vectorOf('dot'), [3, 4, 0])
  assert.deepEqual(q.responseProblems, [])
})
