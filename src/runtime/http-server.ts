/**
 * The job's HTTP server: `/metrics` (Prometheus), `/healthz` (alive),
 * `/readyz` (running, and not stuck), and the status page at `/`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { JobState } from './job-state.ts'

export interface StatusServerOptions {
  readonly host: string
  readonly port: number
  readonly state: JobState
  readonly logger: Logger
  /** Not ready when nothing committed for this long while records wait. */
  readonly stallMs: number
}

export interface StatusServer {
  readonly registry: Registry
  readonly url: string
  close(): Promise<void>
}

/** Why the job is not ready, or null when it is. */
export function readinessProblem(state: JobState, stallMs: number, now = Date.now()): string | null {
  if (state.phase !== 'running') return `job is ${state.phase}`
  const waiting = state.flow?.inFlight ?? 0
  const since = state.lastCommitAt ?? state.startedAt
  if (waiting > 0 && now - since > stallMs) return `no batch committed for ${Math.round((now - since) / 1000)} s while ${waiting} records wait`
  return null
}

export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const log = opts.logger.child({ step: 'http' })
  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error({ err, url: req.url }, 'request failed')
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
      res.end('internal error\n')
    })
  })
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    switch (path) {
      case '/metrics':
        res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics())
        return
      case '/healthz':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'alive', phase: opts.state.phase }))
        return
      case '/readyz': {
        const problem = readinessProblem(opts.state, opts.stallMs)
        res.writeHead(problem ? 503 : 200, { 'content-type': 'application/json' }).end(JSON.stringify(problem ? { status: 'not ready', reason: problem } : { status: 'ready' }))
        return
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const url = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}`
  log.info({ url }, `metrics and status on ${url}`)
  return {
    registry,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
