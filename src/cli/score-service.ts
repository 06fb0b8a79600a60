/** `logstream score-service`: the score service (`src/services/score-service.ts`) on the configured store and embedder. */
import { defineCommand } from './command.ts'
import { createLogger } from '../runtime/logger.ts'
import { createEmbedder, createVectorStore } from '../adapters/factory.ts'
import { startScoreService } from '../services/score-service.ts'
import { field, int, num, text } from '../options.ts'
import { untilStopped } from './until-stopped.ts'

export const command = defineCommand({
  name: 'score-service',
  summary: 'Score log lines against the stored history over HTTP (anomaly detection)',
  usage: ['score-service [--port 8003] [--host 0.0.0.0] [--k 25] [--threshold 0.5] [options]'],
  description: 'POST /score {"lines": [...]} → an anomaly score per line; POST /similar {"text"} → nearest stored lines;\nGET /metrics, /healthz.',
  options: {
    port: field(int(0, 65_535), 8003, { flag: 'port', description: 'Port to listen on (0 picks a free one)' }),
    host: field(text(), '0.0.0.0', { flag: 'host', description: 'Address to listen on' }),
    k: field(int(1, 100), 25, { flag: 'k', description: 'Nearest stored neighbours a line is compared with' }),
    threshold: field(num(0, 1), 0.5, { flag: 'threshold', description: 'Score at or above which a line is anomalous' }),
  },
  async run(args) {
    const { port, host, k, threshold } = args.options
    const config = args.config()
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const store = await createVectorStore(config, { logger })
    const embedder = await createEmbedder(config, { logger })
    const service = await startScoreService({ host, port, store, embedder, k, threshold })
    logger.info({ address: service.address, url: service.url, k, threshold }, `Scoring service on ${service.address}`)
    await untilStopped()
    await service.close()
    await store.close()
    return 0
  },
})
