/** `logstream score-service`: the score service (`src/services/score-service.ts`) on the configured store and embedder. */
import { defineCommand } from './command.ts'
import { createLogger } from '../runtime/logger.ts'
import { createEmbedder, createVectorStore } from '../adapters/factory.ts'
import { checkStoredVectors } from '../vectors-check.ts'
import { startScoreService } from '../services/score-service.ts'
import { field, int, num, optionalField, text } from '../options.ts'
import { resolveLineFormat } from '../../operators/formats/index.ts'
import { untilStopped } from './until-stopped.ts'

export const command = defineCommand({
  name: 'score-service',
  summary: 'Score log lines against the stored history over HTTP (anomaly detection)',
  usage: ['score-service [--port 8003] [--host 0.0.0.0] [--neighbours 5] [--threshold 0.5] [options]'],
  description: 'POST /score {"lines": [...]} → an anomaly score per line; POST /similar {"text"} → nearest stored lines;\nGET /metrics, /healthz.',
  options: {
    port: field(int(0, 65_535), 8003, { flag: 'port', description: 'Port to listen on (0 picks a free one)' }),
    host: field(text(), '0.0.0.0', { flag: 'host', description: 'Address to listen on' }),
    neighbours: field(int(1, 100), 5, { flag: 'neighbours', description: 'Nearest stored lines listed with each score (the score itself does not depend on it)' }),
    k: optionalField(int(1, 100), { flag: 'k', description: 'The older name of --neighbours' }),
    threshold: field(num(0, 1), 0.5, { flag: 'threshold', description: 'Score at or above which a line is anomalous' }),
  },
  async run(args) {
    const { port, host, threshold } = args.options
    const neighbours = args.options.k ?? args.options.neighbours
    const config = args.config()
    const logger = createLogger({ level: config.log.level, format: config.log.format })
    const store = await createVectorStore(config, { logger }, { mustExist: true })
    await checkStoredVectors(store, config)
    const embedder = await createEmbedder(config, { logger })
    const service = await startScoreService({ host, port, store, embedder, neighbours, threshold, format: resolveLineFormat(config.lineFormat) })
    logger.info({ address: service.address, url: service.url, neighbours, threshold }, `Scoring service on ${service.address}`)
    await untilStopped()
    await service.close()
    await store.close()
    return 0
  },
})
