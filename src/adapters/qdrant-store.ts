/**
 * The Qdrant sink: a `VectorStore` on `@qdrant/js-client-rest`.
 *
 * On start the collection is created if missing (size, cosine distance, the
 * cluster settings: shards, replication, write consistency, on-disk vectors
 * and payload, optional int8 quantization) with payload indexes for the
 * fields the search filters and `anomalies --from store` use; an existing one
 * is checked for size and distance, and given the indexes it lacks. Dedup
 * asks which ids exist in chunked retrieves without payload or vector;
 * upserts go in chunks by count and by body size (Qdrant's limit is 32
 * MiB a request; bodies are written by points-json.ts), a few in parallel, with `wait=true` so an acknowledged batch
 * is durable before offsets move. A Qdrant that is down, slow or answering 5xx
 * is retried with backoff for as long as it takes; the job waits and goes on
 * when it is back. A 4xx fails with a clear error.
 */
import { randomUUID } from 'node:crypto'
import { QdrantClient } from '@qdrant/js-client-rest'
import type { Logger } from 'pino'
import type { CollectionInfo, Point, PointPayload, ScoredPoint, SearchFilter, VectorStore } from '../../operators/contracts.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { LogstreamError } from '../../core/errors.ts'
import { InFlightLimit } from '../../core/in-flight-limit.ts'
import { retry, type RetryOptions } from '../runtime/retry.ts'
import type { CollectionAdmin } from './sqlite-vector-store.ts'
import { splitCredentials } from './url-credentials.ts'
import { upsertBody } from './points-json.ts'
import { BodyBuffers } from './growing-bytes.ts'
import { bodyText, httpRequest, type HttpAnswer } from './http-client.ts'
import { createGrpcClient } from './grpc-client.ts'
import { UPDATE_STATUS, updateStatusOf, upsertFrame } from './qdrant-proto.ts'

export interface QdrantStoreOptions {
  /** Full URL; otherwise host, port and https. */
  readonly url?: string | undefined
  readonly host?: string
  readonly port?: number
  readonly https?: boolean
  readonly apiKey?: string | undefined
  /** Upserts over Qdrant's gRPC API (the rest stays on REST), on `grpcPort` of the same host. */
  readonly preferGrpc?: boolean
  readonly grpcPort?: number
  readonly collection: string
  readonly dim: number
  /** Timeout of one request, ms. */
  readonly timeout?: number
  readonly shardNumber?: number
  readonly replicationFactor?: number
  readonly writeConsistencyFactor?: number
  readonly onDiskVectors?: boolean
  readonly onDiskPayload?: boolean
  readonly quantization?: 'none' | 'int8'
  readonly writeOrdering?: 'weak' | 'medium' | 'strong'
  readonly upsertBatchSize?: number
  readonly upsertConcurrency?: number
  /** Largest upsert body, bytes; under Qdrant's 32 MiB. */
  readonly maxRequestBytes?: number
  readonly logger?: Logger | undefined
  readonly metrics?: PipelineMetrics | undefined
  readonly retry?: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'maxAttempts'>
  readonly signal?: AbortSignal | undefined
}

/** Payload fields indexed for filters, with their Qdrant index types. */
export const PAYLOAD_INDEXES: ReadonlyArray<readonly [string, 'keyword' | 'datetime' | 'float']> = [
  ['log_level', 'keyword'],
  ['node_type', 'keyword'],
  ['source', 'keyword'],
  ['timestamp', 'datetime'],
  // `anomalies --from store` pages through the points that scored at least the threshold: without an index Qdrant reads every payload.
  ['anomaly_score', 'float'],
]

// A retrieve of 1,000 ids took 7 ms of a local node, of 5,000 ids 12 ms: fewer, larger look-ups (dedup merges those of batches in flight).
const RETRIEVE_CHUNK = 5000
/** Queries per batch query request: about 4 KB of JSON a 384-dimension vector. */
const QUERY_BATCH_CHUNK = 256

/** The collection metadata key of the marker written when logstream creates a collection. */
export const MARKER_KEY = 'logstream_marker'
/** The collection metadata key of what its vectors are of (`CollectionInfo.vectors`). */
export const VECTORS_KEY = 'logstream_vectors'

/** Our filters as a Qdrant payload filter, or undefined for none. */
export function qdrantFilter(filter: SearchFilter | undefined): Record<string, unknown> | undefined {
  if (!filter) return undefined
  const must: Array<Record<string, unknown>> = []
  if (filter.logLevel !== undefined) must.push({ key: 'log_level', match: { value: filter.logLevel } })
  if (filter.nodeType !== undefined) must.push({ key: 'node_type', match: { value: filter.nodeType } })
  if (filter.source !== undefined) must.push({ key: 'source', match: { value: filter.source } })
  if (filter.since !== undefined || filter.until !== undefined) {
    const range: Record<string, string> = {}
    if (filter.since !== undefined) range.gte = rfc3339(filter.since)
    if (filter.until !== undefined) range.lte = rfc3339(filter.until)
    must.push({ key: 'timestamp', range })
  }
  if (filter.minAnomalyScore !== undefined) must.push({ key: 'anomaly_score', range: { gte: filter.minAnomalyScore } })
  return must.length > 0 ? { must } : undefined
}

/**
 * Log timestamps carry no zone (`2008-11-09T20:36:15.000`); Qdrant reads such
 * payload values as UTC, and its API wants range bounds in RFC 3339, so bounds
 * get the zone they lack: a date alone is its midnight, no zone is UTC.
 */
export function rfc3339(ts: string): string {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(ts) ? `${ts}T00:00:00` : ts
  return /(Z|[+-]\d{2}:?\d{2})$/i.test(t) ? t : `${t}Z`
}

/** A client error as a typed one: unavailable (retryable) or rejected. */
export function classify(err: unknown, what: string): LogstreamError {
  if (err instanceof LogstreamError) return err
  const e = err as Error & { status?: number; retry_after?: number; cause?: Error }
  const status = e.status ?? Number(/Unexpected Response: (\d{3})/.exec(e.message ?? '')?.[1] ?? NaN)
  const reason = e.cause?.message ?? e.message
  if (e.name === 'QdrantClientResourceExhaustedError' || status === 429) {
    return Object.assign(new LogstreamError('STORE_UNAVAILABLE', `Qdrant is rate-limiting ${what}`, { retryable: true, cause: err }), { retryAfterMs: (e.retry_after ?? 1) * 1000 })
  }
  if (status === 404 && /collection/i.test(reason)) {
    return new LogstreamError('COLLECTION_LOST', `Qdrant has no collection for ${what} (deleted while the job ran?): ${reason.split('\n')[0]}; a restart says what to do`, { cause: err, details: { status } })
  }
  if (Number.isNaN(status) || status >= 500 || status === 408) {
    return new LogstreamError('STORE_UNAVAILABLE', `Qdrant unavailable during ${what}: ${reason.split('\n')[0]}`, { retryable: true, cause: err, details: { status } })
  }
  return new LogstreamError('STORE_REJECTED', `Qdrant rejected ${what} with ${status}: ${reason.replace(/\s+/g, ' ').slice(0, 400)}`, { cause: err, details: { status } })
}

function toPayload(p: unknown): PointPayload {
  return (p ?? {}) as PointPayload
}

/**
 * @example
 * const store = createQdrantStore({ host: 'localhost', port: 6333, collection: 'logs_embeddings', dim: 384 })
 */
export function createQdrantStore(opts: QdrantStoreOptions): VectorStore & CollectionAdmin {
  const common = { apiKey: opts.apiKey || undefined, timeout: opts.timeout ?? 30_000, checkCompatibility: false }
  const split = opts.url ? splitCredentials(opts.url) : undefined
  // Qdrant compresses its answers when asked, and fetch asks: both sides spent CPU on id lists and acknowledgements (5% of the job's).
  const identity = { 'accept-encoding': 'identity' }
  const client = split
    ? new QdrantClient({ ...common, url: split.url, headers: { ...identity, ...(split.authorization ? { authorization: split.authorization } : {}) } })
    : new QdrantClient({ ...common, host: opts.host ?? 'localhost', port: opts.port ?? 6333, https: opts.https ?? false, headers: identity })
  const c = opts.collection
  const log = opts.logger?.child({ step: 'qdrant' })
  const batchSize = opts.upsertBatchSize ?? 128
  const concurrency = opts.upsertConcurrency ?? 2
  const upsertSlots = new InFlightLimit(concurrency)
  let upserts = 0
  const maxBytes = opts.maxRequestBytes ?? 24 << 20
  let failing = false

  /** Every call goes through here: typed errors, retries while Qdrant is unavailable, metrics. */
  const call = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
    retry(
      async () => {
        try {
          return await fn()
        } catch (err) {
          throw classify(err, what)
        }
      },
      {
        maxAttempts: Infinity,
        initialDelayMs: 250,
        maxDelayMs: 15_000,
        ...opts.retry,
        signal: opts.signal,
        onRetry: (err, attempt, delayMs) => {
          opts.metrics?.dependencyRetries.labels('qdrant').inc()
          opts.metrics?.dependencyUp.labels('qdrant').set(0)
          if (!failing || attempt % 10 === 0) log?.warn({ err: { message: (err as Error).message }, attempt, delayMs }, 'Qdrant unavailable; the batch waits and retries')
          failing = true
        },
      },
    ).then((v) => {
      if (failing) log?.info('Qdrant answering again')
      failing = false
      opts.metrics?.dependencyUp.labels('qdrant').set(1)
      return v
    })

  /** A collection's info, and the payload fields it has indexes on; null when it does not exist. */
  const describeWithIndexes = async (name: string): Promise<{ info: CollectionInfo; indexed: ReadonlySet<string> } | null> => {
    const { exists } = await call('collection look-up', () => client.collectionExists(name))
    if (!exists) return null
    const info = await call('collection info', () => client.getCollection(name))
    const vectors = info.config.params.vectors as { size?: number; distance?: CollectionInfo['distance'] } | undefined
    const metadata = (info.config as { metadata?: Record<string, unknown> | null }).metadata ?? {}
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined)
    return {
      info: {
        name,
        dim: vectors?.size ?? 0,
        distance: vectors?.distance ?? 'Cosine',
        points: info.points_count ?? 0,
        marker: text(metadata[MARKER_KEY]),
        vectors: text(metadata[VECTORS_KEY]),
        foreign: metadata.created_by !== 'logstream',
      },
      indexed: new Set(Object.keys(info.payload_schema ?? {})),
    }
  }
  const describeCollection = async (name: string): Promise<CollectionInfo | null> => (await describeWithIndexes(name))?.info ?? null

  // Upserts skip the client's JSON.stringify and fetch: the body is written straight into bytes (points-json.ts) and
  // sent over node:http (http-client.ts), the job's largest costs a point on the production path. The request is the
  // client's: PUT with wait=true.
  const base = (split?.url ?? `${opts.https ? 'https' : 'http'}://${opts.host ?? 'localhost'}:${opts.port ?? 6333}`).replace(/\/+$/, '')
  const pointsUrl = `${base}/collections/${encodeURIComponent(c)}/points`
  const upsertUrl = new URL(`${pointsUrl}?wait=true&ordering=${opts.writeOrdering ?? 'weak'}`)
  const restHeaders: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...identity }
  if (opts.apiKey) restHeaders['api-key'] = opts.apiKey
  if (split?.authorization) restHeaders.authorization = split.authorization
  /** The answer, if a success; else thrown shaped like the client's errors, for `classify`. */
  const ok = (res: HttpAnswer): HttpAnswer => {
    if (res.status < 200 || res.status >= 300) throw Object.assign(new Error(res.body.toString('utf8') || `HTTP ${res.status}`), { status: res.status })
    return res
  }
  const put = (body: Buffer) =>
    call('upsert', async () => {
      ok(await httpRequest(upsertUrl, { method: 'PUT', headers: restHeaders, body, timeoutMs: common.timeout, signal: opts.signal }))
    })
  // Look-ups too: the client's fetch cost more a request than the request itself (4% of the job's main thread on a first load).
  const retrieveUrl = new URL(pointsUrl)
  const lookUp = (ids: readonly string[]) =>
    call('id look-up', async () => {
      const body = `{"ids":${JSON.stringify(ids)},"with_payload":false,"with_vector":false}`
      const res = ok(await httpRequest(retrieveUrl, { method: 'POST', headers: restHeaders, body, timeoutMs: common.timeout, signal: opts.signal }))
      const answer = JSON.parse(bodyText(res)) as { result?: Array<{ id: string | number }> }
      if (!Array.isArray(answer.result)) throw new Error(`an id look-up answered without a result list: ${bodyText(res).slice(0, 200)}`)
      return answer.result
    })
  // Over gRPC the same upsert goes as protobuf: vectors as their float32 bytes instead of printed numbers (qdrant-proto.ts).
  const grpc = opts.preferGrpc ? createGrpcClient({ url: grpcUrl(base, opts.grpcPort ?? 6334), metadata: grpcMetadata(opts.apiKey, split?.authorization), timeoutMs: common.timeout }) : undefined
  const ordering = opts.writeOrdering ?? 'weak'
  const putGrpc = (frame: Buffer) =>
    call('upsert', async () => {
      const status = updateStatusOf(await grpc!.unary('/qdrant.Points/Upsert', frame, opts.signal))
      // Asked to wait, Qdrant answers once the points are applied; anything else must not let offsets move.
      if (status !== UPDATE_STATUS.completed) throw Object.assign(new Error(`Qdrant answered an upsert with status ${status}, not completed`), { status: 503 })
    })
  const bodies = new BodyBuffers(concurrency)
  const encode = (points: readonly Point[]) => {
    const into = bodies.take()
    return grpc ? upsertFrame(points, { collection: c, wait: true, ordering }, into) : upsertBody(points, into)
  }
  /** One chunk of points, halved until each body is under the request limit (a single point goes as it is). */
  const upsertChunk = async (points: readonly Point[]): Promise<void> => {
    const body = encode(points)
    if (body.length <= maxBytes || points.length === 1) {
      await (grpc ? putGrpc(body) : put(body))
      // Answered, so sent whole. A body that failed is left to the collector: a request that timed out may still be writing it.
      bodies.give(body)
      return
    }
    bodies.give(body)
    const mid = Math.ceil(points.length / 2)
    await upsertChunk(points.slice(0, mid))
    await upsertChunk(points.slice(mid))
  }

  /**
   * With upserts over gRPC, the gRPC port must answer as Qdrant's gRPC API before the job relies on it: a port that
   * is another service (REST's, say) or closed would otherwise look like a Qdrant outage and be waited for without end.
   * REST has just answered, so a few tries are enough; then it is a configuration error, naming the field.
   */
  const checkGrpc = async (): Promise<void> => {
    const attempts = Math.min(6, opts.retry?.maxAttempts ?? 6)
    let delay = opts.retry?.initialDelayMs ?? 250
    for (let attempt = 1; ; attempt++) {
      try {
        await grpc!.unary('/qdrant.Qdrant/HealthCheck', EMPTY_GRPC_MESSAGE, opts.signal)
        return
      } catch (err) {
        if (opts.signal?.aborted) throw err
        if (attempt >= attempts) {
          throw new LogstreamError('CONFIG_INVALID', `qdrant.grpcPort: ${grpcUrl(base, opts.grpcPort ?? 6334)} does not answer as Qdrant's gRPC API (${(err as Error).message}); give --qdrant-grpc-port Qdrant's gRPC port (6334 unless configured otherwise), or leave --qdrant-prefer-grpc off`, { cause: err })
        }
        await new Promise((r) => setTimeout(r, delay))
        delay *= 2
      }
    }
  }

  /**
   * Indexes of PAYLOAD_INDEXES that an existing collection lacks (made before the field was indexed, by hand, or by the
   * replaced job) are asked for without waiting: Qdrant builds them in the background, and the job need not wait for a
   * large collection's index to start.
   */
  const indexMissingFields = async (indexed: ReadonlySet<string>): Promise<void> => {
    for (const [field, type] of PAYLOAD_INDEXES) {
      if (indexed.has(field)) continue
      await call(`payload index on ${field}`, () => client.createPayloadIndex(c, { field_name: field, field_schema: type, wait: false }))
      log?.info({ collection: c, field, type }, `Indexing payload field ${field} of Qdrant collection ${c} (built in the background)`)
    }
  }

  /** The collection, created with its payload indexes if missing, checked if there. */
  const ensureOverRest = async (vectorsOf: string | undefined): Promise<CollectionInfo> => {
    const described = await describeWithIndexes(c)
    if (described) {
      const existing = described.info
      if (existing.dim !== opts.dim || existing.distance !== 'Cosine') {
        throw new LogstreamError('COLLECTION_MISMATCH', `Qdrant collection ${c} has vectors of size ${existing.dim} with ${existing.distance} distance; this job needs ${opts.dim} with Cosine`)
      }
      log?.info({ collection: c, points: existing.points }, `Using existing Qdrant collection: ${c}`)
      await indexMissingFields(described.indexed)
      if (existing.marker) return existing
      // A collection created before markers (or by hand) gets one now, so a later recreation is told apart.
      const marker = randomUUID()
      await call('collection marker', () => client.updateCollection(c, { metadata: { [MARKER_KEY]: marker } } as never))
      return { ...existing, marker }
    }
    const marker = randomUUID()
    await call('collection creation', () =>
      client.createCollection(c, {
        metadata: { [MARKER_KEY]: marker, created_by: 'logstream', ...(vectorsOf ? { [VECTORS_KEY]: vectorsOf } : {}) },
        vectors: { size: opts.dim, distance: 'Cosine', on_disk: opts.onDiskVectors ?? false },
        shard_number: opts.shardNumber ?? 1,
        replication_factor: opts.replicationFactor ?? 1,
        write_consistency_factor: opts.writeConsistencyFactor ?? 1,
        on_disk_payload: opts.onDiskPayload ?? false,
        ...(opts.quantization === 'int8' ? { quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } } } : {}),
      }),
    ).catch(async (err: LogstreamError) => {
      // Another instance may have created it between our look-up and our create.
      if (err.code === 'STORE_REJECTED' && (await describeCollection(c))) return
      throw err
    })
    for (const [field, type] of PAYLOAD_INDEXES) {
      await call(`payload index on ${field}`, () => client.createPayloadIndex(c, { field_name: field, field_schema: type, wait: true }))
    }
    log?.info({ collection: c, dim: opts.dim }, `Created Qdrant collection: ${c}`)
    // Another instance may have won the race to create it: its marker is the one that counts.
    return (await describeCollection(c)) ?? { name: c, dim: opts.dim, distance: 'Cosine', points: 0, marker, vectors: vectorsOf, foreign: false }
  }

  return {
    name: 'qdrant',
    async ensureCollection(o) {
      // REST first: it waits for a Qdrant that is not up yet; then the gRPC port is checked, once Qdrant answers.
      const info = await ensureOverRest(o?.vectors)
      if (grpc) await checkGrpc()
      return info
    },
    describeCollection: () => describeCollection(c),
    async recordVectors(vectors, o) {
      // Qdrant has no conditional update: read, then write if nothing is recorded (jobs starting together on one
      // collection record the same thing unless they are configured apart).
      const now = await describeCollection(c)
      if (!now) throw new LogstreamError('COLLECTION_LOST', `Qdrant collection ${c} is gone (deleted while the job started?)`)
      if (now.vectors && !o?.replace) return now.vectors
      await call('recording what the vectors are of', () => client.updateCollection(c, { metadata: { [VECTORS_KEY]: vectors } } as never))
      return vectors
    },
    async probe() {
      try {
        return (await client.collectionExists(c)).exists
      } catch {
        return false
      }
    },
    async existing(ids) {
      const found = new Set<string>()
      for (let i = 0; i < ids.length; i += RETRIEVE_CHUNK) {
        const chunk = ids.slice(i, i + RETRIEVE_CHUNK)
        for (const r of await lookUp(chunk)) found.add(String(r.id))
      }
      return found
    },
    async upsert(points) {
      for (const p of points) {
        if (p.vector.length !== opts.dim) throw new LogstreamError('STORE_REJECTED', `vector of ${p.vector.length} numbers for a collection of dimension ${opts.dim}`)
      }
      // Chunks by count; a chunk whose body is too large is halved when it is written.
      const chunks: Point[][] = []
      for (let i = 0; i < points.length; i += batchSize) chunks.push(points.slice(i, i + batchSize))
      // The sink stores two batches at once: the limit is the store's, so `concurrency` stays the requests in flight at most,
      // and the older batch's chunks go first.
      const order = upserts++
      await Promise.all(chunks.map((chunk) => upsertSlots.run(order, () => upsertChunk(chunk))))
    },
    async count(filter) {
      return (await call('count', () => client.count(c, { filter: qdrantFilter(filter) as never, exact: true }))).count
    },
    async get(ids, o) {
      const records = await call('retrieve', () => client.retrieve(c, { ids: [...ids], with_payload: true, with_vector: o?.withVector ?? false }))
      return records.map((r) => ({ id: String(r.id), score: 1, payload: toPayload(r.payload), vector: Array.isArray(r.vector) ? (r.vector as number[]) : undefined }))
    },
    async search(vector, o) {
      const res = await call('search', () =>
        client.query(c, { query: Array.from(vector), limit: o.k, filter: qdrantFilter(o.filter) as never, with_payload: true, with_vector: o.withVector ?? false }),
      )
      return res.points.map(
        (p): ScoredPoint => ({ id: String(p.id), score: p.score, payload: toPayload(p.payload), vector: Array.isArray(p.vector) ? (p.vector as number[]) : undefined }),
      )
    },
    async searchMany(vectors, o) {
      const out: Array<Array<{ id: string; score: number }>> = []
      // One batch query request (POST /collections/{name}/points/query/batch) per chunk of vectors.
      for (let i = 0; i < vectors.length; i += QUERY_BATCH_CHUNK) {
        const chunk = vectors.slice(i, i + QUERY_BATCH_CHUNK)
        const filter = qdrantFilter(o.filter) as never
        const res = await call('neighbour search', () =>
          client.queryBatch(c, { searches: chunk.map((v) => ({ query: Array.from(v), limit: o.k, filter, with_payload: false, with_vector: false })) }),
        )
        for (const r of res) out.push(r.points.map((p) => ({ id: String(p.id), score: p.score })))
      }
      return out
    },
    async scroll(o) {
      const res = await call('scroll', () =>
        client.scroll(c, { limit: o.limit, offset: o.after, filter: qdrantFilter(o.filter) as never, with_payload: true, with_vector: o.withVector ?? false }),
      )
      // The cursor is Qdrant's own: the first id of the next page, passed back as the offset.
      const points = res.points
      const next = res.next_page_offset === null || res.next_page_offset === undefined ? null : String(res.next_page_offset)
      return {
        points: points.map((p) => ({ id: String(p.id), score: 1, payload: toPayload(p.payload), vector: Array.isArray(p.vector) ? (p.vector as number[]) : undefined })),
        next,
      }
    },
    async listCollections() {
      const { collections } = await call('collection list', () => client.getCollections())
      const out: CollectionInfo[] = []
      for (const { name } of collections) {
        const info = await describeCollection(name)
        if (info) out.push(info)
      }
      return out
    },
    collectionInfo: describeCollection,
    async deleteCollection(name) {
      return call('collection deletion', () => client.deleteCollection(name))
    },
    async close() {
      grpc?.close()
    },
  }
}

/** An empty message in its gRPC frame (`HealthCheckRequest` has no fields). */
const EMPTY_GRPC_MESSAGE = Buffer.alloc(5)

/** The gRPC endpoint beside a REST base URL: the same scheme and host, the gRPC port. */
export function grpcUrl(restBase: string, port: number): string {
  const u = new URL(restBase)
  return `${u.protocol}//${u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname}:${port}`
}

function grpcMetadata(apiKey: string | undefined, authorization: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (apiKey) out['api-key'] = apiKey
  if (authorization) out.authorization = authorization
  return out
}
