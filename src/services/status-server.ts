/**
 * The job's HTTP server: `/metrics` (Prometheus), `/healthz` (alive),
 * `/readyz` (running, and not stuck), and the status page at `/`.
 */
import type { Logger } from 'pino'
import { Registry, collectDefaultMetrics } from 'prom-client'
import type { JobState } from '../runtime/job-state.ts'
import { STATUS_PAGE } from '../runtime/status-page.ts'
import { createRouter, listen } from '../runtime/http.ts'

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

type Readable = { get(): Promise<{ values: ReadonlyArray<{ value: number; labels: object }> }> }

async function metricValues(metric: Readable | undefined): Promise<Array<{ value: number; labels: Record<string, string | number | undefined> }>> {
  return metric ? ((await metric.get()).values as Array<{ value: number; labels: Record<string, string | number | undefined> }>) : []
}

const sum = async (metric: Parameters<typeof metricValues>[0], labels?: Record<string, string>) =>
  (await metricValues(metric)).filter((v) => !labels || Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want)).reduce((a, v) => a + v.value, 0)

/**
 * Why the job is not ready, or null when it is: it must be running, every
 * dependency it reached must be answering, and it must not be stuck (no
 * commit for `stallMs` while records wait or the source has lag).
 */
export async function readinessProblem(state: JobState, stallMs: number, now = Date.now()): Promise<string | null> {
  if (state.phase !== 'running') return `job is ${state.phase}`
  const down = (await metricValues(state.metrics?.dependencyUp)).filter((v) => v.value === 0).map((v) => v.labels.dependency)
  if (down.length > 0) return `not connected to ${down.join(', ')}`
  const waiting = state.flow?.inFlight ?? 0
  const lag = await sum(state.metrics?.consumerLag)
  const since = state.lastCommitAt ?? state.startedAt
  if ((waiting > 0 || lag > 0) && now - since > stallMs) return `no batch committed for ${Math.round((now - since) / 1000)} s while ${waiting} records wait and the lag is ${lag}`
  return null
}

/** New patterns the status page lists. */
const PATTERNS_SHOWN = 25

/** What the status page shows, as JSON. */
export async function statusDocument(state: JobState, stallMs: number): Promise<Record<string, unknown>> {
  const m = state.metrics
  const problem = await readinessProblem(state, stallMs)
  const lags = new Map((await metricValues(m?.consumerLag)).map((v) => [String(v.labels.partition), v.value]))
  const positions = state.checkpoints ? state.checkpoints.positions() : new Map<string, number>()
  const names = [...new Set([...positions.keys(), ...lags.keys()])].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  return {
    phase: state.phase,
    ready: problem === null,
    reason: problem,
    startedAt: state.startedAt,
    source: state.source,
    config: state.config,
    inFlight: state.flow?.inFlight ?? 0,
    totals: {
      received: await sum(m?.messagesReceived),
      stored: await sum(m?.pointsInserted),
      skippedExisting: await sum(m?.entriesSkippedExisting),
      duplicatesInBatch: await sum(m?.duplicatesInBatch),
      deadLettered: await sum(m?.deadLettered, { destination: 'checkpoint' }),
      embeddings: await sum(m?.embeddingsGenerated),
      batches: await sum(m?.batchesCommitted),
    },
    partitions: names.map((partition) => ({ partition, position: positions.get(partition) ?? null, lag: lags.get(partition) ?? null })),
    history: state.history,
    // New patterns, most recently announced first; null when anomaly scoring is off.
    patterns: state.anomalies
      ? state.anomalies.recent(PATTERNS_SHOWN).map((p) => ({ shape: p.shape, firstSeenAt: p.firstSeenAt, announcedAt: p.announcedAt, lines: p.lines, score: p.score, level: p.level, example: p.example, pointId: p.pointId, sourcePosition: p.sourcePosition, announcements: p.announcements }))
      : null,
  }
}

export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const log = opts.logger.child({ step: 'http' })
  const noStore = { 'cache-control': 'no-store' }
  const server = createRouter(
    {
      '/metrics': { GET: async () => ({ type: registry.contentType, body: await registry.metrics() }) },
      '/healthz': { GET: () => ({ json: { status: 'alive', phase: opts.state.phase } }) },
      '/': { GET: () => ({ type: 'text/html; charset=utf-8', body: STATUS_PAGE, headers: noStore }) },
      '/status.json': { GET: async () => ({ json: await statusDocument(opts.state, opts.stallMs), headers: noStore }) },
      '/readyz': {
        GET: async () => {
          const problem = await readinessProblem(opts.state, opts.stallMs)
          return problem ? { status: 503, json: { status: 'not ready', reason: problem } } : { json: { status: 'ready' } }
        },
      },
    },
    { onError: (err, req) => log.error({ err, url: req.url }, 'request failed') },
  )
  const { url, address, close } = await listen(server, opts.host, opts.port)
  log.info({ url, address }, `metrics and status on ${address}`)
  return { registry, url, close }
}
