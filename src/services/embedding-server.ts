/**
 * The built-in embedder as an HTTP service on the replaced job's contract
 * (`POST /embed {"texts"}` → `{"embeddings"}`), also in the
 * text-embeddings-inference shape (`{"inputs"}` → `[[..]]`) and the
 * OpenAI-compatible one (`POST /v1/embeddings`), so the old topology runs
 * locally with no model download. `"encoding_format": "base64"` (OpenAI's
 * field, also taken on `/embed`) answers each vector as base64 of its float32
 * bytes instead of JSON numbers.
 */
import { HttpError } from '../../core/errors.ts'
import { embedText } from '../adapters/builtin-embedder.ts'
import { createRouter, listen, readJson, type Listening } from '../runtime/http.ts'
import { vectorToBase64 } from '../adapters/vector-base64.ts'

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
  const vectors = (list: readonly string[], encoding: unknown): Array<number[] | string> => {
    if (encoding !== undefined && encoding !== 'float' && encoding !== 'base64') throw new HttpError('BAD_REQUEST', '"encoding_format" must be "float" or "base64"')
    return list.map((t) => (encoding === 'base64' ? vectorToBase64(embedText(t, opts.dim)) : Array.from(embedText(t, opts.dim))))
  }
  const health = () => ({ json: { status: 'ok', dim: opts.dim } })
  const server = createRouter({
    '/health': { GET: health },
    '/healthz': { GET: health },
    '/embed': {
      POST: async (req) => {
        const body = (await readJson(req, maxBytes)) as Record<string, unknown> | null
        if (body && typeof body === 'object' && 'texts' in body) return { json: { embeddings: vectors(texts(body.texts, 'texts'), body.encoding_format) } }
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
