/**
 * `logstream search "TEXT" [-k N]`: the stored log lines nearest to a text,
 * with their scores and fields.
 */
import { defineCommand } from './command.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createToolLogger } from '../runtime/logger.ts'
import { createEmbedder, createVectorStore } from '../adapters/factory.ts'
import { checkStoredVectors } from '../vectors-check.ts'
import { field, int } from '../options.ts'
import { jsonOption } from './common-options.ts'
import { filterFrom, filterOptions } from './filter-options.ts'
import { messageOf, resolveLineFormat } from '../../operators/formats/index.ts'

export const command = defineCommand({
  name: 'search',
  summary: 'Nearest stored log lines to a text',
  usage: ['search "TEXT" [-k N] [--level ERROR] [--node-type datanode] [--since ISO] [--until ISO] [--json] [options]'],
  description: 'Embeds TEXT with the configured embedder and prints the k nearest stored log lines,\nagainst the embedded store or Qdrant (filters are pushed down as payload filters).\nA whole log line as TEXT is searched by its message (its header is left out).',
  positionals: { name: 'a TEXT to look for', min: 1, max: Number.POSITIVE_INFINITY },
  options: {
    limit: field(int(1, 1000), 5, { flag: 'limit', short: 'k', description: 'How many lines' }),
    json: jsonOption(),
    ...filterOptions(),
  },
  async run(args) {
    const o = args.options
    const query = args.positionals.join(' ').trim()
    if (query === '') throw new LogstreamError('USAGE', 'search needs a TEXT to look for (see --help)')
    const filter = filterFrom(o)
    const config = args.config()
    const logger = createToolLogger(config.log.format)
    const store = await createVectorStore(config, { logger }, { mustExist: true })
    await checkStoredVectors(store, config)
    const embedder = await createEmbedder(config, { logger })
    try {
      const [vector] = await embedder.embed([messageOf(query, resolveLineFormat(config.lineFormat))])
      const hits = await store.search(vector!, { k: o.limit, filter })
      if (o.json) {
        process.stdout.write(`${JSON.stringify({ query, results: hits.map((h) => ({ id: h.id, score: h.score, ...h.payload })) }, null, 2)}\n`)
        return 0
      }
      process.stdout.write(`Nearest ${hits.length} of the stored log lines to: ${query}\n\n`)
      hits.forEach((h, i) => {
        const p = h.payload
        process.stdout.write(`${String(i + 1).padStart(2)}. ${h.score.toFixed(4)}  ${p.log_level.padEnd(5)} ${p.node_type.padEnd(9)} ${p.timestamp}  ${p.text}\n`)
      })
      return 0
    } finally {
      await embedder.close?.()
      await store.close()
    }
  },
})
