/**
 * `logstream serve-embeddings`: the built-in embedder as an HTTP service on the
 * replaced job's contract (`POST /embed {"texts"}` → `{"embeddings"}`), also in
 * the text-embeddings-inference shape (`{"inputs"}` → `[[..]]`) and the
 * OpenAI-compatible one (`POST /v1/embeddings`), so the old topology runs
 * locally with no model download.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { loadConfig } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { listen } from '../runtime/listen.ts'
import { embedText } from '../adapters/builtin-embedder.ts'

const HELP = `Usage: logstream serve-embeddings [--port 8000] [--host 0.0.0.0] [--dim 384]

Serves the built-in embedder:
  POST /embed           {"texts": [...]} → {"embeddings": [[...]]}   (the replaced job's contract)
                        {"inputs": [...]} → [[...]]                  (text-embeddings-inference)
  POST /v1/embeddings   {"input": [...]}  → {"data": [{"embedding": [...], "index": 0}]}
  GET  /health
Requests are limited to ${'--max-texts'} texts (default 4096) and --max-bytes (default 16 MiB).
`

export interface EmbeddingServer {
  readonly url: string
  close(): Promise<void>
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > maxBytes) throw new HttpError(413, `request body larger than ${maxBytes} bytes`)
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new HttpError(400, 'request body is not JSON')
  }
}

/** Starts the service; `port` 0 picks a free one. */
export async function startEmbeddingServer(opts: { host: string; port: number; dim: number; maxTexts?: number; maxBytes?: number }): Promise<EmbeddingServer> {
  const maxTexts = opts.maxTexts ?? 4096
  const maxBytes = opts.maxBytes ?? 16 << 20
  const texts = (value: unknown, field: string): string[] => {
    if (!Array.isArray(value) && typeof value !== 'string') throw new HttpError(400, `"${field}" must be a list of strings`)
    const list = Array.isArray(value) ? value : [value]
    if (list.length > maxTexts) throw new HttpError(413, `at most ${maxTexts} texts a request, got ${list.length}`)
    if (!list.every((t) => typeof t === 'string')) throw new HttpError(400, `"${field}" must hold strings only`)
    return list as string[]
  }
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }
  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://x').pathname
      if (req.method === 'GET' && (path === '/health' || path === '/healthz')) return send(res, 200, { status: 'ok', dim: opts.dim })
      if (req.method !== 'POST') throw new HttpError(path === '/embed' || path === '/v1/embeddings' ? 405 : 404, 'not found')
      if (path === '/embed') {
        const body = (await readJson(req, maxBytes)) as Record<string, unknown> | null
        if (body && typeof body === 'object' && 'texts' in body) return send(res, 200, { embeddings: texts(body.texts, 'texts').map((t) => Array.from(embedText(t, opts.dim))) })
        if (body && typeof body === 'object' && 'inputs' in body) return send(res, 200, texts(body.inputs, 'inputs').map((t) => Array.from(embedText(t, opts.dim))))
        throw new HttpError(400, 'expected {"texts": [...]} or {"inputs": [...]}')
      }
      if (path === '/v1/embeddings') {
        const body = (await readJson(req, maxBytes)) as Record<string, unknown> | null
        const list = texts(body?.input, 'input')
        return send(res, 200, { object: 'list', model: 'logstream-builtin', data: list.map((t, index) => ({ object: 'embedding', index, embedding: Array.from(embedText(t, opts.dim)) })) })
      }
      throw new HttpError(404, 'not found')
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500
      send(res, status, { error: (err as Error).message })
    }
  })
  return listen(server, opts.host, opts.port)
}

export const command: Command = {
  name: 'serve-embeddings',
  summary: 'Serve the built-in embedder over HTTP (the embedding service contract)',
  async run(argv) {
    const args = parseArgs(argv, { flags: { port: 'value', host: 'value', 'max-texts': 'value', 'max-bytes': 'value' } })
    if (args.flags.has('help')) {
      process.stdout.write(HELP)
      return 0
    }
    const config = loadConfig({ flags: args.flags, env: process.env })
    const port = Number(args.flags.get('port')?.at(-1) ?? process.env.PORT ?? 8000)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LogstreamError('USAGE', `--port must be a port number, got ${args.flags.get('port')?.at(-1)}`)
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const server = await startEmbeddingServer({
      host: args.flags.get('host')?.at(-1) ?? '0.0.0.0',
      port,
      dim: config.dim,
      maxTexts: Number(args.flags.get('max-texts')?.at(-1) ?? 4096),
      maxBytes: Number(args.flags.get('max-bytes')?.at(-1) ?? 16 << 20),
    })
    logger.info({ url: server.url, dim: config.dim }, `Serving the built-in embedder at ${server.url}/embed`)
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
    })
    await server.close()
    return 0
  },
}
