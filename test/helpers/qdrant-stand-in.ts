/**
 * A local stand-in for Qdrant's REST API, for tests on machines where Qdrant
 * cannot run. Every request is validated against Qdrant's official OpenAPI
 * document (test/fixtures/qdrant/openapi-v1.19.json) and rejected with 400 the
 * way Qdrant rejects it; every response is validated too, and one that does
 * not match the document fails loudly (it would be a bug here, not in the code
 * under test). It implements the endpoints logstream uses with their real
 * semantics: collections, payload indexes, upsert, retrieve, scroll, count,
 * search, query and batch query with payload filters, delete. Where the real server was
 * found to differ it follows the server: vectors of a Cosine collection are
 * stored normalised. It can be told to fail.
 */
import { createServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { OpenApiValidator } from './openapi-validator.ts'
import { cosine } from './cosine.ts'

const DOCUMENT = fileURLToPath(new URL('../fixtures/qdrant/openapi-v1.19.json', import.meta.url))
let sharedValidator: OpenApiValidator | null = null

type PointId = string | number
interface StoredPoint {
  id: PointId
  vector: number[]
  payload: Record<string, unknown>
}
interface Collection {
  size: number
  distance: string
  params: Record<string, unknown>
  createBody: Record<string, unknown>
  points: Map<string, StoredPoint>
  indexes: Record<string, string>
  metadata: Record<string, unknown>
}

export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly body: unknown
  readonly status: number
  /** The encodings the client accepts for the answer. */
  readonly acceptEncoding?: string | undefined
}

export interface QdrantStandIn {
  readonly url: string
  readonly requests: RecordedRequest[]
  /** Responses that did not match the OpenAPI document (always empty unless the stand-in is wrong). */
  readonly responseProblems: string[]
  /** The next `n` requests are answered with `status` (503 by default). */
  failNext(n: number, status?: number): void
  /** While down, connections are accepted and dropped at once. */
  setDown(down: boolean): void
  /** Answers after `ms`. */
  delay(ms: number): void
  /** The most requests it was answering at once. */
  readonly mostInFlight: number
  pointCount(collection: string): number
  close(): Promise<void>
}

const key = (id: PointId) => String(id).toLowerCase()

function valueAt(payload: Record<string, unknown>, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), payload)
}

type Condition = Record<string, unknown>
interface Filter {
  must?: Condition | Condition[] | null
  should?: Condition | Condition[] | null
  must_not?: Condition | Condition[] | null
  min_should?: unknown
}
const list = (c: Condition | Condition[] | null | undefined): Condition[] => (c == null ? [] : Array.isArray(c) ? c : [c])

function rangeHolds(value: unknown, range: Record<string, unknown>): boolean {
  const asNumber = (v: unknown) => (typeof v === 'string' ? Date.parse(v.endsWith('Z') || /[+-]\d\d:?\d\d$/.test(v) ? v : `${v}Z`) : Number(v))
  if (value === undefined || value === null) return false
  const x = asNumber(value)
  if (Number.isNaN(x)) return false
  const bound = (b: unknown) => (b === undefined || b === null ? undefined : asNumber(b))
  const gt = bound(range.gt)
  const gte = bound(range.gte)
  const lt = bound(range.lt)
  const lte = bound(range.lte)
  return (gt === undefined || x > gt) && (gte === undefined || x >= gte) && (lt === undefined || x < lt) && (lte === undefined || x <= lte)
}

function conditionHolds(p: StoredPoint, c: Condition): boolean {
  if ('has_id' in c) return (c.has_id as PointId[]).map(key).includes(key(p.id))
  if ('must' in c || 'should' in c || 'must_not' in c) return filterHolds(p, c as Filter)
  if ('is_empty' in c) {
    const v = valueAt(p.payload, (c.is_empty as { key: string }).key)
    return v === undefined || v === null || (Array.isArray(v) && v.length === 0)
  }
  if ('is_null' in c) return valueAt(p.payload, (c.is_null as { key: string }).key) === null
  const field = c as { key: string; match?: Record<string, unknown>; range?: Record<string, unknown> }
  const value = valueAt(p.payload, field.key)
  const values = Array.isArray(value) ? value : [value]
  if (field.match) {
    const m = field.match
    if ('value' in m) return values.some((v) => v === m.value)
    if ('any' in m) return values.some((v) => (m.any as unknown[]).includes(v))
    if ('except' in m) return values.every((v) => !(m.except as unknown[]).includes(v))
    if ('text' in m) return values.some((v) => typeof v === 'string' && v.includes(String(m.text)))
  }
  if (field.range) return values.some((v) => rangeHolds(v, field.range!))
  return true
}

function filterHolds(p: StoredPoint, f: Filter | null | undefined): boolean {
  if (!f) return true
  const should = list(f.should)
  return list(f.must).every((c) => conditionHolds(p, c)) && (should.length === 0 || should.some((c) => conditionHolds(p, c))) && list(f.must_not).every((c) => !conditionHolds(p, c))
}

function select(p: StoredPoint, withPayload: unknown, withVector: unknown): { payload?: Record<string, unknown>; vector?: number[] } {
  const out: { payload?: Record<string, unknown>; vector?: number[] } = {}
  if (withPayload === true || withPayload === undefined) out.payload = p.payload
  else if (Array.isArray(withPayload)) out.payload = Object.fromEntries(withPayload.map((k: string) => [k, p.payload[k]]).filter(([, v]) => v !== undefined))
  if (withVector === true) out.vector = p.vector
  return out
}

function sortIds(a: StoredPoint, b: StoredPoint): number {
  if (typeof a.id === 'number' && typeof b.id === 'number') return a.id - b.id
  if (typeof a.id === 'number') return -1
  if (typeof b.id === 'number') return 1
  return key(a.id) < key(b.id) ? -1 : key(a.id) > key(b.id) ? 1 : 0
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/**
 * Starts the stand-in on a free local port; it stops when the test ends.
 *
 * @example
 * const qdrant = await startQdrantStandIn(t)
 * // QDRANT_URL=qdrant.url
 */
export async function startQdrantStandIn(t?: { after(fn: () => unknown): void }, opts: { apiKey?: string } = {}): Promise<QdrantStandIn> {
  sharedValidator ??= new OpenApiValidator(DOCUMENT)
  const validator = sharedValidator
  const collections = new Map<string, Collection>()
  const requests: RecordedRequest[] = []
  const responseProblems: string[] = []
  let failures: number[] = []
  let down = false
  let delayMs = 0
  let inFlight = 0
  let mostInFlight = 0
  let opId = 0

  const need = (name: string): Collection => {
    const c = collections.get(name)
    if (!c) throw new HttpError(404, `Not found: Collection \`${name}\` doesn't exist!`)
    return c
  }
  const checkVector = (c: Collection, v: unknown): number[] => {
    if (!Array.isArray(v)) throw new HttpError(400, 'Wrong input: Not existing vector name error: only the default unnamed vector is supported here')
    if (v.length !== c.size) throw new HttpError(400, `Wrong input: Vector dimension error: expected dim: ${c.size}, got ${v.length}`)
    return v as number[]
  }
  /** As Qdrant stores a vector: normalised in a Cosine collection (so `get` answers the normalised vector). */
  const stored = (c: Collection, v: number[]): number[] => {
    const norm = c.distance === 'Cosine' ? Math.hypot(...v) : 0
    return norm > 0 ? v.map((x) => x / norm) : v
  }
  const info = (c: Collection) => ({
    status: 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: 0,
    points_count: c.points.size,
    segments_count: 1,
    config: {
      params: c.params,
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false },
      optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, max_segment_size: null, memmap_threshold: null, indexing_threshold: 20000, flush_interval_sec: 5, max_optimization_threads: null },
      wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
      quantization_config: (c.createBody.quantization_config as object | undefined) ?? null,
      metadata: c.metadata,
    },
    payload_schema: Object.fromEntries(Object.entries(c.indexes).map(([k, type]) => [k, { data_type: type, points: c.points.size }])),
  })
  const updated = () => ({ operation_id: ++opId, status: 'completed' })

  /** The `limit` nearest points of a query vector (or `{nearest: vector}`), with `offset`, filter and score threshold. */
  const nearest = (c: Collection, query: unknown, body: Record<string, unknown>, payloadByDefault?: boolean) => {
    const vector = checkVector(c, Array.isArray(query) ? query : (query as { nearest?: unknown } | undefined)?.nearest)
    const limit = (body.limit as number | undefined) ?? 10
    const offset = (body.offset as number | undefined) ?? 0
    const threshold = body.score_threshold as number | undefined
    return [...c.points.values()]
      .filter((p) => filterHolds(p, body.filter as Filter))
      .map((p) => ({ p, score: cosine(vector, p.vector) }))
      .filter((s) => threshold === undefined || s.score >= threshold)
      .sort((a, b) => b.score - a.score || sortIds(a.p, b.p))
      .slice(offset, offset + limit)
      .map(({ p, score }) => ({ id: p.id, version: 0, score, ...select(p, body.with_payload ?? payloadByDefault, body.with_vector) }))
  }

  const handle = (method: string, template: string, params: Record<string, string>, body: Record<string, unknown>): unknown => {
    const name = params.collection_name ?? ''
    switch (`${method} ${template}`) {
      case 'GET /':
        return { title: 'qdrant - vector search engine (logstream stand-in)', version: '1.19.0' }
      case 'GET /collections':
        return { collections: [...collections.keys()].map((n) => ({ name: n })) }
      case 'GET /collections/{collection_name}/exists':
        return { exists: collections.has(name) }
      case 'GET /collections/{collection_name}':
        return info(need(name))
      case 'PUT /collections/{collection_name}': {
        if (collections.has(name)) throw new HttpError(400, `Wrong input: Collection \`${name}\` already exists!`)
        const vectors = body.vectors as { size?: number; distance?: string } | undefined
        if (!vectors || typeof vectors.size !== 'number') throw new HttpError(400, 'Wrong input: only a single unnamed vector config is supported by this stand-in')
        collections.set(name, {
          size: vectors.size,
          distance: vectors.distance ?? 'Cosine',
          createBody: body,
          params: {
            vectors: { size: vectors.size, distance: vectors.distance, on_disk: (vectors as { on_disk?: boolean }).on_disk ?? false },
            shard_number: body.shard_number ?? 1,
            replication_factor: body.replication_factor ?? 1,
            write_consistency_factor: body.write_consistency_factor ?? 1,
            on_disk_payload: body.on_disk_payload ?? true,
          },
          points: new Map(),
          indexes: {},
          metadata: (body.metadata as Record<string, unknown> | null | undefined) ?? {},
        })
        return true
      }
      case 'PATCH /collections/{collection_name}': {
        const c = need(name)
        if (body.metadata) c.metadata = { ...c.metadata, ...(body.metadata as Record<string, unknown>) }
        return true
      }
      case 'DELETE /collections/{collection_name}':
        return collections.delete(name)
      case 'PUT /collections/{collection_name}/index': {
        const c = need(name)
        const schema = body.field_schema
        c.indexes[String(body.field_name)] = typeof schema === 'string' ? schema : String((schema as { type?: string } | undefined)?.type ?? 'keyword')
        return updated()
      }
      case 'PUT /collections/{collection_name}/points': {
        const c = need(name)
        const points: StoredPoint[] = []
        if (Array.isArray(body.points)) {
          for (const p of body.points as Array<{ id: PointId; vector: unknown; payload?: Record<string, unknown> }>) points.push({ id: p.id, vector: checkVector(c, p.vector), payload: p.payload ?? {} })
        } else {
          const batch = body.batch as { ids: PointId[]; vectors: unknown[]; payloads?: Array<Record<string, unknown>> }
          batch.ids.forEach((id, i) => points.push({ id, vector: checkVector(c, batch.vectors[i]), payload: batch.payloads?.[i] ?? {} }))
        }
        for (const p of points) c.points.set(key(p.id), { ...p, vector: stored(c, p.vector) })
        return updated()
      }
      case 'POST /collections/{collection_name}/points': {
        const c = need(name)
        return (body.ids as PointId[]).flatMap((id) => {
          const p = c.points.get(key(id))
          return p ? [{ id: p.id, ...select(p, body.with_payload, body.with_vector) }] : []
        })
      }
      case 'POST /collections/{collection_name}/points/delete': {
        const c = need(name)
        if (Array.isArray(body.points)) for (const id of body.points as PointId[]) c.points.delete(key(id))
        else for (const [k, p] of c.points) if (filterHolds(p, body.filter as Filter)) c.points.delete(k)
        return updated()
      }
      case 'POST /collections/{collection_name}/points/count': {
        const c = need(name)
        return { count: [...c.points.values()].filter((p) => filterHolds(p, body.filter as Filter)).length }
      }
      case 'POST /collections/{collection_name}/points/scroll': {
        const c = need(name)
        const limit = (body.limit as number | undefined) ?? 10
        const sorted = [...c.points.values()].filter((p) => filterHolds(p, body.filter as Filter)).sort(sortIds)
        const from = body.offset === undefined || body.offset === null ? 0 : sorted.findIndex((p) => sortIds(p, { id: body.offset as PointId, vector: [], payload: {} }) >= 0)
        const page = from === -1 ? [] : sorted.slice(from, from + limit)
        const next = from !== -1 && from + limit < sorted.length ? sorted[from + limit]!.id : null
        return { points: page.map((p) => ({ id: p.id, ...select(p, body.with_payload, body.with_vector) })), next_page_offset: next }
      }
      case 'POST /collections/{collection_name}/points/search':
      case 'POST /collections/{collection_name}/points/query': {
        const scored = nearest(need(name), template.endsWith('search') ? body.vector : body.query, body, template.endsWith('search') ? false : undefined)
        return template.endsWith('search') ? scored : { points: scored }
      }
      case 'POST /collections/{collection_name}/points/query/batch': {
        const c = need(name)
        return (body.searches as Array<Record<string, unknown>>).map((q) => ({ points: nearest(c, q.query, q) }))
      }
      default:
        throw new HttpError(404, `the stand-in does not implement ${method} ${template}`)
    }
  }

  const send = (res: ServerResponse, status: number, body: unknown, op?: Parameters<OpenApiValidator['checkResponse']>[0]) => {
    if (op) {
      const problems = validator.checkResponse(op, status, body)
      if (problems.length > 0) {
        const text = `${op.method} ${op.template} → ${status}: ${problems.map((p) => `${p.where} ${p.message}`).join('; ')}`
        responseProblems.push(text)
        // A response Qdrant would never send is a bug here: fail loudly instead of letting a test pass on it.
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`stand-in response does not match the OpenAPI document: ${text}`)
        return
      }
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (down) {
      req.socket.destroy()
      return
    }
    inFlight++
    mostInFlight = Math.max(mostInFlight, inFlight)
    res.once('close', () => inFlight--)
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
    const url = new URL(req.url ?? '/', 'http://x')
    const method = req.method ?? 'GET'
    const started = performance.now()
    const record = (status: number, body: unknown) => requests.push({ method, path: url.pathname, body, status, acceptEncoding: req.headers['accept-encoding'] })
    const failure = failures.shift()
    if (failure !== undefined) {
      record(failure, undefined)
      res.writeHead(failure, { 'content-type': 'application/json' }).end(JSON.stringify({ status: { error: 'Service unavailable (told to fail)' }, time: 0 }))
      return
    }
    if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('healthz check passed')
      return
    }
    if (opts.apiKey && req.headers['api-key'] !== opts.apiKey) {
      record(401, undefined)
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Must provide an API key or an Authorization bearer token')
      return
    }
    const matched = validator.match(method, url.pathname)
    if (!matched) {
      record(404, undefined)
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
      return
    }
    let body: unknown
    try {
      body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined
    } catch (err) {
      record(400, undefined)
      return send(res, 400, { status: { error: `Format error in JSON body: ${(err as Error).message}` }, time: 0 }, matched.op)
    }
    const problems = validator.checkRequest(matched.op, matched.params, url.searchParams, body)
    if (problems.length > 0) {
      record(400, body)
      return send(res, 400, { status: { error: `Format error in JSON body: ${problems.map((p) => `${p.where}: ${p.message}`).join('; ')}` }, time: 0 }, matched.op)
    }
    try {
      const result = handle(method, matched.op.template, matched.params, (body ?? {}) as Record<string, unknown>)
      record(200, body)
      send(res, 200, { result, status: 'ok', time: (performance.now() - started) / 1000 }, matched.op)
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500
      record(status, body)
      send(res, status, { status: { error: (err as Error).message }, time: 0 }, matched.op)
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  const standIn: QdrantStandIn = {
    url: `http://127.0.0.1:${port}`,
    requests,
    responseProblems,
    failNext(n, status = 503) {
      failures = Array.from({ length: n }, () => status)
    },
    setDown(d) {
      down = d
      if (d) server.closeAllConnections()
    },
    delay(ms) {
      delayMs = ms
    },
    get mostInFlight() {
      return mostInFlight
    },
    pointCount(name) {
      return collections.get(name)?.points.size ?? 0
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  }
  t?.after(() => standIn.close())
  return standIn
}
