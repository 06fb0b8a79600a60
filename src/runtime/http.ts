/**
 * The one small HTTP layer of logstream's servers (the job's status server,
 * the score service, the embedding server): routes by path and method, JSON
 * bodies read within a size bound, JSON replies, refusals as `HttpError`s
 * with their code, and listening that reports the address actually bound.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpError } from '../../core/errors.ts'

/** What a handler answers: JSON, or a body of its own type. */
export type Reply =
  | { readonly status?: number; readonly json: unknown; readonly headers?: Readonly<Record<string, string>> }
  | { readonly status?: number; readonly type: string; readonly body: string | Buffer; readonly headers?: Readonly<Record<string, string>> }

export type Handler = (req: IncomingMessage) => Promise<Reply> | Reply

/** Handlers by path, then method (HEAD is answered by GET). */
export type Routes = Readonly<Record<string, Partial<Record<'GET' | 'POST', Handler>>>>

export interface ServerHooks {
  /** Told of every answer, for request metrics. */
  readonly onResponse?: (path: string, status: number, seconds: number) => void
  /** Told of an error that is not a refusal (the client gets a 500). */
  readonly onError?: (err: unknown, req: IncomingMessage) => void
}

/** A JSON reply. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

/**
 * The body of a request as a JSON value; refuses with 413 past `maxBytes`
 * (declared or sent), 400 when it is not JSON, and 415 when `requireJsonType`
 * and the content type says something else.
 */
export async function readJson(req: IncomingMessage, maxBytes: number, opts: { requireJsonType?: boolean } = {}): Promise<unknown> {
  if (opts.requireJsonType && !/application\/json/.test(req.headers['content-type'] ?? 'application/json')) throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'send JSON (content-type: application/json)')
  const tooLarge = () => new HttpError('TOO_LARGE', `request body larger than ${maxBytes} bytes`)
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge()
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw tooLarge()
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError('BAD_JSON', 'request body is not JSON')
  }
}

/** `readJson` for bodies that must be a JSON object. */
export async function readJsonObject(req: IncomingMessage, maxBytes: number, opts: { requireJsonType?: boolean } = {}): Promise<Record<string, unknown>> {
  const body = await readJson(req, maxBytes, opts)
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError('BAD_REQUEST', 'request body must be a JSON object')
  return body as Record<string, unknown>
}

/** A server over `routes`: unknown paths get 404, other methods 405, refusals their status, the rest 500. */
export function createRouter(routes: Routes, hooks: ServerHooks = {}): Server {
  return createServer(async (req, res) => {
    const started = performance.now()
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    try {
      const route = routes[path]
      if (!route) throw new HttpError('NOT_FOUND', `no ${path} here`)
      const method = req.method === 'HEAD' ? 'GET' : req.method
      const handler = route[method as 'GET' | 'POST']
      if (!handler) {
        res.setHeader('allow', Object.keys(route).join(', '))
        throw new HttpError('METHOD_NOT_ALLOWED', `${path} takes ${Object.keys(route).join(' or ')}`)
      }
      const reply = await handler(req)
      if ('json' in reply) sendJson(res, reply.status ?? 200, reply.json, reply.headers)
      else res.writeHead(reply.status ?? 200, { 'content-type': reply.type, ...reply.headers }).end(reply.body)
    } catch (err) {
      if (!(err instanceof HttpError)) hooks.onError?.(err, req)
      const status = err instanceof HttpError ? err.status : 500
      const body = { error: { code: err instanceof HttpError ? err.code : 'INTERNAL', message: err instanceof HttpError ? err.message : 'internal error' } }
      if (res.headersSent) res.end()
      else sendJson(res, status, body)
    } finally {
      hooks.onResponse?.(path, res.statusCode, (performance.now() - started) / 1000)
    }
  })
}

export interface Listening {
  /** Where a client on this machine reaches the server (127.0.0.1 when it listens on every address). */
  readonly url: string
  /** The address actually bound, e.g. `0.0.0.0:9400` or `[::]:8000`: what logs say. */
  readonly address: string
  close(): Promise<void>
}

/** Listens (`port` 0 picks a free one) and gives back both addresses and a close that also ends keep-alive connections. */
export async function listen(server: Server, host: string, port: number): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, resolve)
  })
  const bound = server.address() as AddressInfo
  const address = bound.family === 'IPv6' ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`
  const everywhere = bound.address === '0.0.0.0' || bound.address === '::'
  return {
    url: `http://${everywhere ? '127.0.0.1' : bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
