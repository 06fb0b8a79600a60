/** `logstream serve-embeddings`: the built-in embedder as a service (`src/services/embedding-server.ts`). */
import { defineCommand } from './command.ts'
import { createLogger } from '../runtime/logger.ts'
import { startEmbeddingServer } from '../services/embedding-server.ts'
import { field, int, text } from '../options.ts'
import { untilStopped } from './until-stopped.ts'

export const command = defineCommand({
  name: 'serve-embeddings',
  summary: 'Serve the built-in embedder over HTTP (the embedding service contract)',
  usage: ['serve-embeddings [--port 8000] [--host 0.0.0.0] [options]'],
  description: `Serves the built-in embedder:
  POST /embed           {"texts": [...]} → {"embeddings": [[...]]}   (the replaced job's contract)
                        {"inputs": [...]} → [[...]]                  (text-embeddings-inference)
  POST /v1/embeddings   {"input": [...]}  → {"data": [{"embedding": [...], "index": 0}]}
  GET  /health`,
  options: {
    port: field(int(0, 65_535), 8000, { flag: 'port', env: ['PORT'], description: 'Port to listen on (0 picks a free one)' }),
    host: field(text(), '0.0.0.0', { flag: 'host', description: 'Address to listen on' }),
    maxTexts: field(int(1, 1_000_000), 4096, { flag: 'max-texts', description: 'Texts a request at most' }),
    maxBytes: field(int(1), 16 << 20, { flag: 'max-bytes', description: 'Request body bytes at most' }),
  },
  async run(args) {
    const config = args.config()
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const server = await startEmbeddingServer({ ...args.options, dim: config.dim })
    logger.info({ address: server.address, url: server.url, dim: config.dim }, `Serving the built-in embedder on ${server.address} (POST /embed)`)
    await untilStopped()
    await server.close()
    return 0
  },
})
