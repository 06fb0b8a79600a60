/**
 * The score service: scores log lines against the stored history over HTTP.
 *   POST /score    {"lines": ["081109 203615 148 INFO dfs…", {"text": "…"}], "neighbours"?: 5, "threshold"?: 0.5}
 *                  → {"results": [{"id", "text", "score", "anomalous", "alike", "neighbours": [...]}]}
 *                  (lines are read as the job reads them, in the configured --log-format; the score is
 *                  `src/scoring/anomaly.ts`'s rarity estimate, whatever number of neighbours is listed)
 *   POST /similar  {"text": "…", "k"?: 5, "level"?, "node_type"?, "since"?, "until"?} → {"results": [...]}
 *   GET  /metrics, /healthz
 * Requests are bounded in size and length; bad input gets a 4xx with a code and a message.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { HttpError } from '../../core/errors.ts'
import type { Embedder, LogEntry, SearchFilter, VectorStore } from '../../operators/contracts.ts'
import { parseRecord } from '../../operators/parse.ts'
import { messageOf, type LineFormatSpec } from '../../operators/formats/index.ts'
import { scoreEntries } from '../scoring/anomaly.ts'
import { createRouter, listen, readJsonObject, type Listening } from '../runtime/http.ts'

export interface ScoreServiceOptions {
  readonly host: string
  readonly port: number
  readonly store: VectorStore
  readonly embedder: Embedder
  /** Neighbours listed with each score (1–100). */
  readonly neighbours: number
  readonly threshold: number
  /** How text lines are read (default: detected line by line). */
  readonly format?: LineFormatSpec | undefined
  readonly maxBytes?: number
  readonly maxLines?: number
}

const intIn = (v: unknown, name: string, min: number, max: number, fallback: number): number => {
  if (v === undefined) return fallback
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HttpError('BAD_REQUEST', `"${name}" must be a whole number from ${min} to ${max}`)
  return v
}

/** Lines of a /score request as entries: raw lines or message-format objects, parsed like the job parses them. */
function entriesOf(body: Record<string, unknown>, maxLines: number, maxBytes: number, format: LineFormatSpec | undefined): Array<{ id: string; entry: LogEntry }> {
  const lines = body.lines ?? (body.line !== undefined ? [body.line] : undefined)
  if (!Array.isArray(lines) || lines.length === 0) throw new HttpError('BAD_REQUEST', 'expected {"lines": [...]} with at least one line')
  if (lines.length > maxLines) throw new HttpError('TOO_MANY_LINES', `at most ${maxLines} lines a request, got ${lines.length}`)
  return lines.map((line, i) => {
    const value = typeof line === 'string' ? line : line && typeof line === 'object' ? JSON.stringify(line) : null
    if (value === null) throw new HttpError('BAD_LINE', `line ${i} must be a string or a message object`)
    const out = parseRecord({ partition: 'request', offset: i, nextOffset: i + 1, key: null, value: Buffer.from(value) }, { maxMessageBytes: maxBytes, format })
    if (!('entry' in out)) throw new HttpError('BAD_LINE', `line ${i} is malformed (${out.reason}): ${out.detail}`)
    return { id: out.id, entry: out.entry }
  })
}

/** Starts the service; `port` 0 picks a free one. */
export async function startScoreService(opts: ScoreServiceOptions): Promise<Listening> {
  const maxBytes = opts.maxBytes ?? 1 << 20
  const maxLines = opts.maxLines ?? 256
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const requests = new Counter({ name: 'logstream_score_requests_total', help: 'Requests by path and status', labelNames: ['path', 'status'], registers: [registry] })
  const duration = new Histogram({ name: 'logstream_score_request_duration_seconds', help: 'Request duration', labelNames: ['path'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] })
  const flagged = new Counter({ name: 'logstream_score_anomalies_total', help: 'Lines scored at or above the threshold', registers: [registry] })

  const server = createRouter(
    {
      '/healthz': { GET: () => ({ json: { status: 'ok' } }) },
      '/metrics': { GET: async () => ({ type: registry.contentType, body: await registry.metrics() }) },
      '/score': {
        POST: async (req) => {
          const body = await readJsonObject(req, maxBytes, { requireJsonType: true })
          // "k" is the older name of "neighbours"; neither changes the score.
          const neighbours = intIn(body.neighbours ?? body.k, body.neighbours === undefined && body.k !== undefined ? 'k' : 'neighbours', 1, 100, opts.neighbours)
          const threshold = body.threshold === undefined ? opts.threshold : Number(body.threshold)
          if (!(threshold >= 0 && threshold <= 1)) throw new HttpError('BAD_REQUEST', '"threshold" must be a number from 0 to 1')
          const results = await scoreEntries(entriesOf(body, maxLines, maxBytes, opts.format), opts, { neighbours, threshold })
          flagged.inc(results.filter((r) => r.anomalous).length)
          return { json: { threshold, results } }
        },
      },
      '/similar': {
        POST: async (req) => {
          const body = await readJsonObject(req, maxBytes, { requireJsonType: true })
          if (typeof body.text !== 'string' || body.text.trim() === '') throw new HttpError('BAD_REQUEST', 'expected {"text": "..."}')
          const k = intIn(body.k, 'k', 1, 100, 5)
          const filter: SearchFilter = { logLevel: body.level as string | undefined, nodeType: body.node_type as string | undefined, since: body.since as string | undefined, until: body.until as string | undefined }
          const [vector] = await opts.embedder.embed([messageOf(body.text, opts.format)])
          const hits = await opts.store.search(vector!, { k, filter })
          return { json: { results: hits.map((h) => ({ id: h.id, score: h.score, ...h.payload })) } }
        },
      },
    },
    {
      onResponse: (path, status, seconds) => {
        requests.labels(path, String(status)).inc()
        duration.labels(path).observe(seconds)
      },
    },
  )
  return listen(server, opts.host, opts.port)
}
