/**
 * The unary gRPC client against an HTTP/2 server of the test's own, for the
 * answers a real Qdrant gives rarely or never on demand: statuses in trailers
 * or in headers alone, encoded messages, non-gRPC answers, a server that does
 * not answer or is not there. (The Qdrant store's tests run it against the
 * real server.)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'
import { createGrpcClient, GrpcError, grpcTimeout } from '../../src/adapters/grpc-client.ts'

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, body: Buffer) => void

/** Listens; on teardown drops its sessions, so closing does not wait on a client still open. */
async function listen(t: { after(fn: () => unknown): void }, s: http2.Http2Server): Promise<string> {
  const sessions = new Set<http2.ServerHttp2Session>()
  s.on('session', (session) => {
    sessions.add(session)
    session.on('close', () => sessions.delete(session))
  })
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  t.after(
    () =>
      new Promise((r) => {
        for (const session of sessions) session.destroy()
        s.close(r)
      }),
  )
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`
}

async function server(t: { after(fn: () => unknown): void }, handler: Handler): Promise<string> {
  const s = http2.createServer()
  s.on('stream', (stream, headers) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => handler(stream, headers, Buffer.concat(chunks)))
  })
  return listen(t, s)
}

/** A message as one uncompressed gRPC frame. */
const frame = (message: Buffer): Buffer => {
  const prefix = Buffer.alloc(5)
  prefix.writeUInt32BE(message.length, 1)
  return Buffer.concat([prefix, message])
}

test('a call sends one framed message with the gRPC headers and metadata, and resolves with the answer message', async (t) => {
  let seen: http2.IncomingHttpHeaders | undefined
  let got: Buffer | undefined
  const url = await server(t, (stream, headers, body) => {
    seen = headers
    got = body
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
    stream.end(frame(Buffer.from('answer')))
  })
  const client = createGrpcClient({ url, timeoutMs: 5000, metadata: { 'api-key': 'k' } })
  t.after(() => client.close())
  const sent = frame(Buffer.from('question'))
  const answer = await client.unary('/qdrant.Points/Upsert', sent)
  assert.equal(answer.toString(), 'answer')
  assert.deepEqual(got, sent)
  assert.equal(seen?.[':path'], '/qdrant.Points/Upsert')
  assert.equal(seen?.['content-type'], 'application/grpc')
  assert.equal(seen?.te, 'trailers')
  assert.equal(seen?.['api-key'], 'k')
  assert.equal(seen?.['grpc-timeout'], '5000m')
})

test('statuses become errors with their HTTP meaning: from trailers, from headers alone, and a size limit apart from a rate limit', async (t) => {
  const cases: Array<[Record<string, string>, boolean, number, RegExp]> = [
    [{ 'grpc-status': '3', 'grpc-message': 'Wrong%20input%3A%20bad%20id' }, true, 400, /INVALID_ARGUMENT: Wrong input: bad id/],
    [{ 'grpc-status': '5', 'grpc-message': 'Not found: Collection `c` doesn\'t exist!' }, false, 404, /NOT_FOUND: Not found: Collection/],
    [{ 'grpc-status': '14' }, false, 503, /UNAVAILABLE/],
    [{ 'grpc-status': '8', 'grpc-message': 'rate limit' }, true, 429, /RESOURCE_EXHAUSTED/],
    [{ 'grpc-status': '8', 'grpc-message': 'message length too large: found 40000000 bytes' }, true, 413, /too large/],
    [{ 'grpc-status': '16', 'grpc-message': '%E0%A4%A' }, true, 401, /UNAUTHENTICATED: %E0%A4%A/],
  ]
  let i = 0
  const url = await server(t, (stream) => {
    const [status, inTrailers] = cases[i++]!
    if (inTrailers) {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers(status))
      stream.end()
    } else {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...status }, { endStream: true })
    }
  })
  const client = createGrpcClient({ url, timeoutMs: 5000 })
  t.after(() => client.close())
  for (const [status, , http, message] of cases) {
    await assert.rejects(client.unary('/x.Y/Z', frame(Buffer.alloc(0))), (err: GrpcError) => {
      assert.ok(err instanceof GrpcError)
      assert.equal(err.code, Number(status['grpc-status']))
      assert.equal(err.status, http)
      assert.match(err.message, message)
      return true
    })
  }
})

test('an answer that is not gRPC, a server that does not answer in time, and no server at all', async (t) => {
  let mode = 'http404'
  const url = await server(t, (stream) => {
    if (mode === 'http404') stream.respond({ ':status': 404 }, { endStream: true })
    else if (mode === 'compressed') {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
      stream.end(Buffer.from([1, 0, 0, 0, 1, 9]))
    }
    // 'silent': never answers
  })
  const client = createGrpcClient({ url, timeoutMs: 300 })
  t.after(() => client.close())
  await assert.rejects(client.unary('/x.Y/Z', frame(Buffer.alloc(0))), (err: GrpcError) => err.status === 404 && err.code === undefined)
  mode = 'compressed'
  await assert.rejects(client.unary('/x.Y/Z', frame(Buffer.alloc(0))), (err: GrpcError) => err.status === 502 && /not one uncompressed message/.test(err.message))
  mode = 'silent'
  await assert.rejects(client.unary('/x.Y/Z', frame(Buffer.alloc(0))), (err: GrpcError) => err.status === 504 && /within 300 ms/.test(err.message))
  const aborted = new AbortController()
  const call = client.unary('/x.Y/Z', frame(Buffer.alloc(0)), aborted.signal)
  aborted.abort()
  await assert.rejects(call, (err: GrpcError) => err.status === 499)

  const nobody = createGrpcClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 })
  t.after(() => nobody.close())
  await assert.rejects(nobody.unary('/x.Y/Z', frame(Buffer.alloc(0))), (err: GrpcError) => err.status === 503)
})

test('a session the server closed is opened again for the next call', async (t) => {
  let sessions = 0
  const s = http2.createServer()
  s.on('session', () => sessions++)
  s.on('stream', (stream) => {
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true })
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }))
    stream.end(frame(Buffer.from('ok')))
    // The server goes away after each answer, as a restarted Qdrant would.
    setImmediate(() => stream.session?.close())
  })
  const client = createGrpcClient({ url: await listen(t, s), timeoutMs: 5000 })
  t.after(() => client.close())
  for (let i = 0; i < 3; i++) {
    // A call can race the closing session; what matters is that the client recovers and later calls succeed.
    for (;;) {
      try {
        assert.equal((await client.unary('/x.Y/Z', frame(Buffer.alloc(0)))).toString(), 'ok')
        break
      } catch (err) {
        assert.equal((err as GrpcError).status, 503)
      }
    }
  }
  assert.ok(sessions >= 3, `${sessions} sessions`)
})

test('grpc-timeout is at most eight digits', () => {
  assert.equal(grpcTimeout(30_000), '30000m')
  assert.equal(grpcTimeout(0.2), '1m')
  assert.equal(grpcTimeout(99_999_999), '99999999m')
  assert.equal(grpcTimeout(100_000_000), '100000S')
  assert.equal(grpcTimeout(1e15), '99999999S')
})
