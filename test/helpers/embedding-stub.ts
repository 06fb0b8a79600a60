/**
 * A local embedding service for tests, speaking any of the request shapes, that
 * can be told to be down, fail, be slow, rate-limit or answer wrongly.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { embedText } from '../../src/adapters/builtin-embedder.ts'
import type { EmbeddingApi } from '../../src/adapters/http-embedder.ts'

export interface EmbeddingStub {
  readonly url: string
  readonly port: number
  /** Texts asked for, in order. */
  readonly asked: string[]
  requests: number
  /** Answers the next `n` requests with `status` (and Retry-After, if given). */
  failNext(n: number, status: number, retryAfter?: string): void
  /** Answers after `ms`. */
  delay(ms: number): void
  /** Answers vectors of this size instead of the right one. */
  wrongDim(dim: number | null): void
  /** Answers the next `n` requests with a malformed answer of this shape (status 200 unless the shape is a status). */
  answerBadly(n: number, shape: BadShape): void
  /** Answers a null vector for this text, every time it is asked (`null`), or refuses every request holding it with 400 (`refuse`). */
  poison(text: string, how: 'null' | 'refuse'): void
  /** Closes the port (connections refused) until `up()`. */
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

/** Malformed answers an embedding service can give. */
export const BAD_SHAPES = ['wrong-dimension', 'nan', 'one-too-few', 'one-too-many', 'nulls', 'html', 'status-400', 'zero-vectors'] as const
export type BadShape = (typeof BAD_SHAPES)[number]

const PATHS: Record<EmbeddingApi, string> = { logstream: '/embed', tei: '/embed', openai: '/v1/embeddings', ollama: '/api/embed' }

export async function startEmbeddingStub(t: { after(fn: () => unknown): void }, opts: { api: EmbeddingApi; dim: number; port?: number; startDown?: boolean }): Promise<EmbeddingStub> {
  let failures: Array<{ status: number; retryAfter?: string | undefined }> = []
  let delayMs = 0
  let answerDim: number | null = null
  let badAnswers: BadShape[] = []
  const poisoned = new Map<string, 'null' | 'refuse'>()
  let server: Server | null = null
  let port = opts.port ?? 0
  const stub: EmbeddingStub = {
    url: '',
    port: 0,
    asked: [],
    requests: 0,
    failNext(n, status, retryAfter) {
      failures = Array.from({ length: n }, () => ({ status, retryAfter }))
    },
    delay(ms) {
      delayMs = ms
    },
    wrongDim(dim) {
      answerDim = dim
    },
    answerBadly(n, shape) {
      badAnswers = Array.from({ length: n }, () => shape)
    },
    poison(text, how) {
      poisoned.set(text, how)
    },
    async down() {
      const s = server
      server = null
      if (s) await new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))
    },
    async up() {
      if (server) return
      const s = createServer(async (req, res) => {
        const chunks: Buffer[] = []
        for await (const c of req) chunks.push(c as Buffer)
        stub.requests++
        // Unreferenced: an answer still delayed when the test ends does not hold its process open.
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs).unref())
        const failure = failures.shift()
        if (failure) {
          res.writeHead(failure.status, failure.retryAfter ? { 'retry-after': failure.retryAfter } : {}).end('{"error":"told to fail"}')
          return
        }
        if (req.url !== PATHS[opts.api]) return void res.writeHead(404).end()
        const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>
        const texts = (body.texts ?? body.inputs ?? body.input) as string[]
        stub.asked.push(...texts)
        if (texts.some((t) => poisoned.get(t) === 'refuse')) return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"input refused"}')
        const shape = badAnswers.shift()
        if (shape === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>')
        if (shape === 'status-400') return void res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad request"}')
        let vectors: Array<number[] | null> = texts.map((text) => (poisoned.get(text) === 'null' ? null : Array.from(embedText(text, answerDim ?? opts.dim))))
        if (shape === 'wrong-dimension') vectors = vectors.map((v) => v && [...v, 0.5])
        if (shape === 'nan') vectors = vectors.map((v) => v && v.map((x, i) => (i === 3 ? Number.NaN : x)))
        if (shape === 'one-too-few') vectors = vectors.slice(1)
        if (shape === 'one-too-many') vectors = [...vectors, vectors[0] ?? null]
        if (shape === 'nulls') vectors = vectors.map(() => null)
        if (shape === 'zero-vectors') vectors = vectors.map((v) => v && v.map(() => 0))
        const answer =
          opts.api === 'logstream' || opts.api === 'ollama' ? { embeddings: vectors } : opts.api === 'tei' ? vectors : { data: vectors.map((embedding, index) => ({ embedding, index })).reverse() }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
      })
      await new Promise<void>((r) => s.listen(port, '127.0.0.1', r))
      port = (s.address() as AddressInfo).port
      server = s
      Object.assign(stub, { port, url: `http://127.0.0.1:${port}${PATHS[opts.api]}` })
    },
    close() {
      return stub.down()
    },
  }
  if (opts.startDown) {
    // Reserve a port, then free it: the service is "down" there until `up()`.
    await stub.up()
    await stub.down()
  } else await stub.up()
  t.after(() => stub.close())
  return stub
}
