/**
 * An embedder over HTTP, speaking the request shape of the service it is
 * pointed at: the replaced job's (`{"texts"}` → `{"embeddings"}`), Hugging Face
 * text-embeddings-inference, OpenAI-compatible `/v1/embeddings` (vLLM,
 * llama.cpp server, LiteLLM) or Ollama's `/api/embed`.
 *
 * Texts go in chunks with a bounded number of requests in flight, over
 * keep-alive connections, each with a timeout. A service that is down, slow or
 * answering 5xx is retried with backoff and jitter for as long as it takes (the
 * batch waits; nothing is committed meanwhile). A 429 pauses every request of
 * this embedder until the time the service names. A 4xx that retrying cannot
 * fix, or an answer that is not one finite vector of `dim` numbers per text,
 * fails the batch: nothing malformed is ever stored.
 */
import type { Embedder } from '../../operators/contracts.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { LogstreamError } from '../../core/errors.ts'
import { retry, type RetryOptions } from '../runtime/retry.ts'
import type { Logger } from 'pino'
import { splitCredentials } from './url-credentials.ts'
import { vectorFromBase64, vectorsFromBase64 } from './vector-base64.ts'
import { VECTOR_BYTES_TYPE, vectorsFromBytes } from './vector-bytes.ts'
import { bodyText, headersOf, httpRequest, type HttpAnswer } from './http-client.ts'

export type EmbeddingApi = 'logstream' | 'tei' | 'openai' | 'ollama'
/** How vectors are asked to come back: float32 bytes in base64, or JSON numbers. */
export type VectorEncoding = 'base64' | 'float'

export interface HttpEmbedderOptions {
  readonly url: string
  readonly api: EmbeddingApi
  readonly dim: number
  readonly model?: string
  readonly apiKey?: string
  /** Texts per request. */
  readonly batchSize: number
  /** Requests in flight at most. */
  readonly concurrency: number
  /** Timeout of one request, ms. */
  readonly timeout: number
  /** Asked of the 'logstream' and 'openai' APIs (default base64); answers in either encoding are read. */
  readonly encoding?: VectorEncoding
  readonly logger?: Logger | undefined
  readonly metrics?: PipelineMetrics | undefined
  /** Backoff settings; tests shorten them. */
  readonly retry?: Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'maxAttempts'>
}

/**
 * The request body each API expects for some texts. The replaced job's
 * contract takes `encoding_format` as an extension: a service that does not
 * know it answers numbers, which are read as well.
 */
export function requestBody(api: EmbeddingApi, texts: readonly string[], model?: string, encoding: VectorEncoding = 'base64'): unknown {
  switch (api) {
    case 'logstream':
      return encoding === 'base64' ? { texts, encoding_format: 'base64' } : { texts }
    case 'tei':
      return { inputs: texts, truncate: true }
    case 'openai':
      return { model: model || 'default', input: texts, encoding_format: encoding }
    case 'ollama':
      return { model: model || 'nomic-embed-text', input: texts }
  }
}

/**
 * The vectors of an answer, in the order of the texts; throws if the answer
 * has another shape. A vector in base64 is decoded; a single item that is
 * neither a list nor base64 (a null vector) becomes an empty vector, so the
 * embed stage pins it on its text instead of refusing the whole answer.
 */
export function vectorsOf(api: EmbeddingApi, body: unknown): Array<ArrayLike<unknown>> {
  const bad = (what: string) => new LogstreamError('EMBEDDER_BAD_RESPONSE', `embedding service answered ${what}`)
  const row = (v: unknown): ArrayLike<unknown> => (Array.isArray(v) ? v : typeof v === 'string' ? vectorFromBase64(v) : [])
  const matrix = (v: unknown, where: string): Array<ArrayLike<unknown>> => {
    if (!Array.isArray(v)) throw bad(`no list of vectors in ${where}`)
    return v.every((x) => typeof x === 'string') ? vectorsFromBase64(v as string[]) : v.map(row)
  }
  const obj = body as Record<string, unknown> | null
  switch (api) {
    case 'logstream':
    case 'ollama':
      if (!obj || typeof obj !== 'object') throw bad('something that is not a JSON object')
      return matrix(obj.embeddings, '"embeddings"')
    case 'tei':
      return matrix(body, 'the body')
    case 'openai': {
      const data = obj?.data
      if (!Array.isArray(data)) throw bad('no "data" list')
      return [...(data as Array<{ embedding?: unknown; index?: unknown }>)]
        .sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0))
        .map((d) => row(d?.embedding))
    }
  }
}

/** One answered vector as float32; a non-number becomes NaN, for the embed stage to refuse. */
function toFloat32(v: ArrayLike<unknown>): Float32Array {
  if (v instanceof Float32Array) return v
  const out = new Float32Array(v.length)
  for (let i = 0; i < v.length; i++) {
    const x = v[i]
    out[i] = typeof x === 'number' ? x : Number.NaN
  }
  return out
}

/** Seconds or an HTTP date in Retry-After, or a rate-limit reset header, as milliseconds from now. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const value = headers.get('retry-after') ?? headers.get('x-ratelimit-reset-requests') ?? headers.get('x-ratelimit-reset') ?? headers.get('ratelimit-reset')
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds > 1e9 ? seconds * 1000 - now : seconds * 1000)
  const duration = /^(?:(\d+)m)?(\d+(?:\.\d+)?)s$/.exec(value)
  if (duration) return (Number(duration[1] ?? 0) * 60 + Number(duration[2])) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * @example
 * createHttpEmbedder({ url: 'http://localhost:8000/embed', api: 'logstream', dim: 384, batchSize: 256, concurrency: 2, timeout: 30_000 })
 */
export function createHttpEmbedder(opts: HttpEmbedderOptions): Embedder {
  const log = opts.logger?.child({ step: 'embedder' })
  let pausedUntil = 0
  let failing = false

  const { url, authorization } = splitCredentials(opts.url)
  // The replaced job's contract in base64 also offers to take the vectors' bytes (vector-bytes.ts); JSON stays acceptable.
  const bytesAsked = opts.api === 'logstream' && (opts.encoding ?? 'base64') === 'base64'
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: bytesAsked ? `${VECTOR_BYTES_TYPE}, application/json;q=0.9` : 'application/json' }
  if (authorization) headers.authorization = authorization
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`

  const target = new URL(url)
  const once = async (texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> => {
    const wait = pausedUntil - Date.now()
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    let res: HttpAnswer
    try {
      res = await httpRequest(target, { method: 'POST', headers, body: JSON.stringify(requestBody(opts.api, texts, opts.model, opts.encoding)), timeoutMs: opts.timeout, signal })
    } catch (err) {
      if (signal?.aborted) throw err
      const timedOut = (err as Error).name === 'TimeoutError'
      throw new LogstreamError('EMBEDDER_UNAVAILABLE', timedOut ? `embedding service did not answer within ${opts.timeout} ms` : `embedding service unreachable: ${(err as Error).message}`, {
        retryable: true,
        cause: err,
      })
    }
    const text = () => bodyText(res)
    if (res.status === 429) {
      const after = retryAfterMs(headersOf(res)) ?? 1000
      // Every request of this embedder waits, so the whole pipeline slows down instead of hammering the service.
      pausedUntil = Math.max(pausedUntil, Date.now() + after)
      throw Object.assign(new LogstreamError('EMBEDDER_UNAVAILABLE', `embedding service is rate-limiting (429); waiting ${after} ms`, { retryable: true }), { retryAfterMs: after })
    }
    if (res.status >= 500 || res.status === 408) {
      throw new LogstreamError('EMBEDDER_UNAVAILABLE', `embedding service answered ${res.status}: ${text().slice(0, 200)}`, { retryable: true, details: { status: res.status } })
    }
    if (res.status < 200 || res.status >= 300) {
      throw new LogstreamError('EMBEDDER_REJECTED', `embedding service rejected the request with ${res.status}: ${text().slice(0, 300)}`, { details: { status: res.status } })
    }
    if (bytesAsked && res.headers['content-type']?.toLowerCase().startsWith(VECTOR_BYTES_TYPE)) {
      const vectors = vectorsFromBytes(res.body, texts.length)
      if (!vectors) throw new LogstreamError('EMBEDDER_BAD_RESPONSE', `embedding service answered ${res.body.length} bytes of vectors for ${texts.length} texts, not ${texts.length} whole float32 vectors`)
      return vectors
    }
    let body: unknown
    try {
      body = JSON.parse(text())
    } catch (err) {
      throw new LogstreamError('EMBEDDER_BAD_RESPONSE', `embedding service answered something that is not JSON: ${(err as Error).message}`)
    }
    const vectors = vectorsOf(opts.api, body)
    // A wrong count cannot be pinned on a text; a wrong vector can, and the embed stage checks each.
    if (vectors.length !== texts.length) throw new LogstreamError('EMBEDDER_BAD_RESPONSE', `embedding service answered ${vectors.length} vectors for ${texts.length} texts`)
    return vectors.map(toFloat32)
  }

  const chunk = (texts: readonly string[], signal?: AbortSignal) =>
    retry(() => once(texts, signal), {
      maxAttempts: Infinity,
      initialDelayMs: 250,
      maxDelayMs: 30_000,
      ...opts.retry,
      signal,
      onRetry: (err, attempt, delayMs) => {
        opts.metrics?.dependencyRetries.labels('embedder').inc()
        opts.metrics?.dependencyUp.labels('embedder').set(0)
        if (!failing || attempt % 10 === 0) log?.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code }, attempt, delayMs }, 'embedding service failing; the batch waits and retries')
        failing = true
      },
    }).then((v) => {
      if (failing) log?.info('embedding service answering again')
      failing = false
      opts.metrics?.dependencyUp.labels('embedder').set(1)
      return v
    })

  return {
    name: `http:${opts.api}`,
    dim: opts.dim,
    async embed(texts, o) {
      const chunks: Array<readonly string[]> = []
      for (let i = 0; i < texts.length; i += opts.batchSize) chunks.push(texts.slice(i, i + opts.batchSize))
      const results: Float32Array[][] = new Array(chunks.length)
      let next = 0
      const worker = async () => {
        while (next < chunks.length) {
          const i = next++
          results[i] = await chunk(chunks[i]!, o?.signal)
        }
      }
      await Promise.all(Array.from({ length: Math.min(opts.concurrency, chunks.length) }, worker))
      return results.flat()
    },
  }
}
