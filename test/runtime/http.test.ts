import { test } from 'node:test'
import assert from 'node:assert/strict'
import { HttpError } from '../../core/errors.ts'
import { createRouter, listen, readJsonObject } from '../../src/runtime/http.ts'

test('a server reports the address it really listens on, and a URL to reach it', async (t) => {
  const everywhere = await listen(createRouter({ '/': { GET: () => ({ json: { ok: true } }) } }), '0.0.0.0', 0)
  t.after(() => everywhere.close())
  assert.match(everywhere.address, /^0\.0\.0\.0:\d+$/)
  assert.equal(everywhere.url, `http://127.0.0.1:${everywhere.address.split(':')[1]}`)
  assert.deepEqual(await (await fetch(everywhere.url)).json(), { ok: true })
  const local = await listen(createRouter({}), '127.0.0.1', 0)
  t.after(() => local.close())
  assert.match(local.address, /^127\.0\.0\.1:\d+$/)
})

test('routes: 404 and 405 with a code, refusals with theirs, bounded JSON bodies, other failures 500 without details', async (t) => {
  const failures: unknown[] = []
  const server = createRouter(
    {
      '/echo': { POST: async (req) => ({ json: await readJsonObject(req, 100, { requireJsonType: true }) }) },
      '/refuse': { GET: () => Promise.reject(new HttpError('BAD_REQUEST', 'no')) },
      '/fail': { GET: () => Promise.reject(new Error('secret detail')) },
    },
    { onError: (err) => failures.push(err) },
  )
  const s = await listen(server, '127.0.0.1', 0)
  t.after(() => s.close())
  const post = (body: string, type = 'application/json') => fetch(`${s.url}/echo`, { method: 'POST', headers: { 'content-type': type }, body })
  const answer = async (res: Response) => [res.status, ((await res.json()) as { error?: { code: string } }).error?.code] as const
  assert.deepEqual(await (await post('{"a":1}')).json(), { a: 1 })
  assert.deepEqual(await answer(await post('{"a":"' + 'x'.repeat(200) + '"}')), [413, 'TOO_LARGE'])
  assert.deepEqual(await answer(await post('{nope')), [400, 'BAD_JSON'])
  assert.deepEqual(await answer(await post('[1]')), [400, 'BAD_REQUEST'])
  assert.deepEqual(await answer(await post('{}', 'text/plain')), [415, 'UNSUPPORTED_MEDIA_TYPE'])
  assert.deepEqual(await answer(await fetch(`${s.url}/echo`)), [405, 'METHOD_NOT_ALLOWED'])
  assert.deepEqual(await answer(await fetch(`${s.url}/nowhere`)), [404, 'NOT_FOUND'])
  assert.deepEqual(await answer(await fetch(`${s.url}/refuse`)), [400, 'BAD_REQUEST'])
  const failed = await fetch(`${s.url}/fail`)
  assert.equal(failed.status, 500)
  assert.ok(!(await failed.text()).includes('secret detail'))
  assert.equal(failures.length, 1)
})
