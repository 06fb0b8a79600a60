/**
 * `serve-embeddings` in a process of its own for the production rows, so its
 * CPU time is measured apart from the job's. Prints its URL, then serves until
 * killed.
 */
import { startEmbeddingServer } from '../src/services/embedding-server.ts'

const server = await startEmbeddingServer({ host: '127.0.0.1', port: 0, dim: Number(process.argv[2] ?? 384) })
process.stdout.write(`${server.url}\n`)
