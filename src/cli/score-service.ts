/**
 * `logstream score-service`: scores log lines against the stored history over
 * HTTP (default port 8003).
 *   POST /score    {"lines": ["081109 203615 148 INFO dfs…", {"text": "…"}], "k"?: 25, "threshold"?: 0.5}
 *                  → {"results": [{"id", "text", "score", "anomalous", "neighbours": [...]}]}
 *   POST /similar  {"text": "…", "k"?: 5, "level"?, "node_type"?, "since"?, "until"?} → {"results": [...]}
 *   GET  /metrics, /healthz
 * Requests are bounded in size and length; bad input gets a 4xx with a code and a message.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { configHelp, loadConfig } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { listen } from '../runtime/listen.ts'
import { createEmbedder, createVectorStore } from '../adapters/factory.ts'
import type { Embedder, LogEntry, SearchFilter, VectorStore } from '../../operators/contracts.ts'
import { parseRecord } from '../../operators/parse.ts'
import { scoreEntries } from '../scoring/anomaly.ts'

export interface ScoreServiceOptions {
  readonly host: string
  readonly port: number
  readonly store: VectorStore
  readonly embedder: Embedder
  readonly k: number
  readonly threshold: number
  readonly maxBytes?: number
  readonly maxLines?: number
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  if (!/application\/json/.test(req.headers['content-type'] ?? 'application/json')) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON (content-type: application/json)')
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > maxBytes) throw new HttpError(413, 'TOO_LARGE', `request body larger than ${maxBytes} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw new HttpError(413, 'TOO_LARGE', `request body larger than ${maxBytes} bytes`)
    chunks.push(chunk as Buffer)
  }
  let body: unknown
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'request body is not JSON')
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'BAD_REQUEST', 'request body must be a JSON object')
  return body as Record<string, unknown>
}

const intIn = (v: unknown, name: string, min: number, max: number, fallback: number): number => {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HttpError(400, 'BAD_REQUEST', `"${name}" must be a whole number from ${min} to ${max}`)
  return v
}

/** Lines of a /score request as entries: raw lines or message-format objects, parsed like the job parses them. */
function entriesOf(body: Record<string, unknown>, maxLines: number, maxBytes: number): LogEntry[] {
  const lines = body.lines ?? (body.line !== undefined ? [body.line] : undefined)
  if (!Array.isArray(lines) || lines.length === 0) throw new HttpError(400, 'BAD_REQUEST', 'expected {"lines": [...]} with at least one line')
  if (lines.length > maxLines) throw new HttpError(413, 'TOO_MANY_LINES', `at most ${maxLines} lines a request, got ${lines.length}`)
  return lines.map((line, i) => {
    const value = typeof line === 'string' ? line : line && typeof line === 'object' ? JSON.stringify(line) : null
    if (value === null) throw new HttpError(400, 'BAD_LINE', `line ${i} must be a string or a message object`)
    const out = parseRecord({ partition: 'request', offset: i, nextOffset: i + 1, key: null, value: Buffer.from(value) }, { maxMessageBytes: maxBytes })
    if (!('entry' in out)) throw new HttpError(400, 'BAD_LINE', `line ${i} is malformed (${out.reason}): ${out.detail}`)
    return out.entry
  })
}

export async function startScoreService(opts: ScoreServiceOptions): Promise<{ url: string; close(): Promise<void> }> {
  const maxBytes = opts.maxBytes ?? 1 << 20
  const maxLines = opts.maxLines ?? 256
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({ name: 'logstream_score_requests_total', help: 'Requests by path and status', labelNames: ['path', 'status'], registers: [registry] })
  const duration = new Histogram({ name: 'logstream_score_request_duration_seconds', help: 'Request duration', labelNames: ['path'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] })
  const flagged = new Counter({ name: 'logstream_score_anomalies_total', help: 'Lines scored at or above the threshold', registers: [registry] })
  const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

  const server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const started = performance.now()
    let status = 200
    try {
      if (req.method === 'GET' && path === '/healthz') return send(res, 200, { status: 'ok' })
      if (req.method === 'GET' && path === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics())
        return
      }
      if (path !== '/score' && path !== '/similar') throw new HttpError(404, 'NOT_FOUND', `no ${path} here: POST /score or /similar`)
      if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes POST`)
      const body = await readJson(req, maxBytes)
      if (path === '/score') {
        const k = intIn(body.k, 'k', 1, 100, opts.k)
        const threshold = body.threshold === undefined ? opts.threshold : Number(body.threshold)
        if (!(threshold >= 0 && threshold <= 1)) throw new HttpError(400, 'BAD_REQUEST', '"threshold" must be a number from 0 to 1')
        const results = await scoreEntries(entriesOf(body, maxLines, maxBytes), opts, { k, threshold })
        flagged.inc(results.filter((r) => r.anomalous).length)
        return send(res, 200, { k, threshold, results })
      }
      if (typeof body.text !== 'string' || body.text.trim() === '') throw new HttpError(400, 'BAD_REQUEST', 'expected {"text": "..."}')
      const k = intIn(body.k, 'k', 1, 100, 5)
      const filter: SearchFilter = { logLevel: body.level as string | undefined, nodeType: body.node_type as string | undefined, since: body.since as string | undefined, until: body.until as string | undefined }
      const [vector] = await opts.embedder.embed([body.text])
      const hits = await opts.store.search(vector!, { k, filter })
      return send(res, 200, { results: hits.map((h) => ({ id: h.id, score: h.score, ...h.payload })) })
    } catch (err) {
      status = err instanceof HttpError ? err.status : 500
      send(res, status, { error: { code: err instanceof HttpError ? err.code : 'INTERNAL', message: (err as Error).message } })
    } finally {
      requests.labels(path, String(res.statusCode || status)).inc()
      duration.labels(path).observe((performance.now() - started) / 1000)
    }
  })
  return listen(server, opts.host, opts.port)
}

export const command: Command = {
  name: 'score-service',
  summary: 'Score log lines against the stored history over HTTP (anomaly detection)',
  async run(argv) {
    const args = parseArgs(argv, { flags: { port: 'value', host: 'value', k: 'value', threshold: 'value' } })
    if (args.flags.has('help')) {
      process.stdout.write(`Usage: logstream score-service [--port 8003] [--host 0.0.0.0] [--k 25] [--threshold 0.5] [options]\n\n${configHelp()}\n`)
      return 0
    }
    const config = loadConfig({ flags: args.flags, env: process.env })
    const k = Number(args.flags.get('k')?.at(-1) ?? 25)
    const threshold = Number(args.flags.get('threshold')?.at(-1) ?? 0.5)
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new LogstreamError('USAGE', '--k must be a whole number from 1 to 100')
    if (!(threshold >= 0 && threshold <= 1)) throw new LogstreamError('USAGE', '--threshold must be from 0 to 1')
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const store = await createVectorStore(config, { logger })
    const embedder = await createEmbedder(config, { logger })
    const service = await startScoreService({ host: args.flags.get('host')?.at(-1) ?? '0.0.0.0', port: Number(args.flags.get('port')?.at(-1) ?? 8003), store, embedder, k, threshold })
    logger.info({ url: service.url, k, threshold }, `Scoring service on ${service.url}`)
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
    })
    await service.close()
    await store.close()
    return 0
  },
}
