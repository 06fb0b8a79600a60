/**
 * The built-in embedder as an HTTP service on the replaced job's contract
 * (`POST /embed {"texts"}` → `{"embeddings"}`), also in the
 * text-embeddings-inference shape (`{"inputs"}` → `[[..]]`) and the
 * OpenAI-compatible one (`POST /v1/embeddings`), so the old topology runs
 * locally with no model download. `"encoding_format": "base64"` (OpenAI's
 * field, also taken on `/embed`) answers each vector as base64 of its float32
 * bytes instead of JSON numbers; an `/embed` request that accepts
 * `application/octet-stream` before JSON gets the vectors' bytes themselves
 * (`vector-bytes.ts`).
 */
import { HttpError } from '../../core/errors.ts'
import { embedText } from '../adapters/builtin-embedder.ts'
import { createRouter, listen, readJson, type Listening } from '../runtime/http.ts'
import { vectorToBase64 } from '../adapters/vector-base64.ts'
import { VECTOR_BYTES_TYPE, vectorsToBytes } from '../adapters/vector-bytes.ts'

export interface EmbeddingServerOptions {
  readonly host: string
  readonly port: number
  readonly dim: number
  /** Texts a request at most. */
  readonly maxTexts?: number
  /** Request body bytes at most. */
  readonly maxBytes?: number
}

/** Starts the service; `port` 0 picks a free one. */
export async function startEmbeddingServer(opts: EmbeddingServerOptions): Promise<Listening> {
  const maxTexts = opts.maxTexts ?? 4096
  const maxBytes = opts.maxBytes ?? 16 << 20
  const texts = (value: unknown, field: string): string[] => {
    if (!Array.isArray(value) && typeof value !== 'string') throw new HttpError('BAD_REQUEST', `"${field}" must be a list of strings`)
    const list = Array.isArray(value) ? value : [value]
    if (list.length > maxTexts) throw new HttpError('TOO_MANY_TEXTS', `at most ${maxTexts} texts a request, got ${list.length}`)
    if (!list.every((t) => typeof t === 'string')) throw new HttpError('BAD_REQUEST', `"${field}" must hold strings only`)
    return list as string[]
  }
  const checkEncoding = (encoding: unknown): void => {
    if (encoding !== undefined && encoding !== 'float' && encoding !== 'base64') throw new HttpError('BAD_REQUEST', '"encoding_format" must be "float" or "base64"')
  }
  const vectors = (list: readonly string[], encoding: unknown): Array<number[] | string> => {
    checkEncoding(encoding)
    return list.map((t) => (encoding === 'base64' ? vectorToBase64(embedText(t, opts.dim)) : Array.from(embedText(t, opts.dim))))
  }
  const health = () => ({ json: { status: 'ok', dim: opts.dim } })
  const server = createRouter({
    '/health': { GET: health },
    '/healthz': { GET: health },
    '/embed': {
      POST: async (req) => {
        const body = (await readJson(req, maxBytes)) as Record<string, unknown> | null
        if (body && typeof body === 'object' && 'texts' in body) {
          const list = texts(body.texts, 'texts')
          if (!bytesFirst(req.headers.accept)) return { json: { embeddings: vectors(list, body.encoding_format) } }
          checkEncoding(body.encoding_format)
          return { type: VECTOR_BYTES_TYPE, body: vectorsToBytes(list.map((t) => embedText(t, opts.dim))) }
        }
        if (body && typeof body === 'object' && 'inputs' in body) return { json: vectors(texts(body.inputs, 'inputs'), undefined) }
        throw new HttpError('BAD_REQUEST', 'expected {"texts": [...]} or {"inputs": [...]}')
      },
    },
    '/v1/embeddings': {
      POST: async (req) => {
        const body = (await readJson(req, maxBytes)) as Record<string, unknown> | null
        const list = texts(body?.input, 'input')
        return { json: { object: 'list', model: 'logstream-builtin', data: vectors(list, body?.encoding_format).map((embedding, index) => ({ object: 'embedding', index, embedding })) } }
      },
    },
  })
  return listen(server, opts.host, opts.port)
}

// The q-value an Accept header gives a media type: of the most specific range that names it (the type, its family, or any); 1 without a header.
function quality(accept: string | undefined, type: string): number {
  if (accept === undefined) return 1
  let best = { specificity: -1, q: 0 }
  for (const range of accept.split(',')) {
    const [name = '', ...params] = range.split(';').map((s) => s.trim().toLowerCase())
    const specificity = name === type ? 2 : name === `${type.split('/')[0]}/*` ? 1 : name === '*/*' ? 0 : -1
    if (specificity <= best.specificity) continue
    const q = params.find((p) => p.startsWith('q='))
    best = { specificity, q: q === undefined ? 1 : Number(q.slice(2)) || 0 }
  }
  return best.q
}

/** True when the client prefers vector bytes to JSON: it must name them, and rank them above JSON. */
function bytesFirst(accept: string | undefined): boolean {
  return accept !== undefined && accept.toLowerCase().includes(VECTOR_BYTES_TYPE) && quality(accept, VECTOR_BYTES_TYPE) > quality(accept, 'application/json')
}
