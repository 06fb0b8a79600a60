/**
 * `logstream search "TEXT" [-k N]`: the stored log lines nearest to a text,
 * with their scores and fields.
 */
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { configHelp, loadConfig } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { createEmbedder, createVectorStore } from '../adapters/factory.ts'
import { FILTER_FLAGS, filterFromFlags } from './filter-flags.ts'

const HELP = `Usage: logstream search "TEXT" [-k N] [--level ERROR] [--node-type datanode] [--since ISO] [--until ISO] [--json]

Embeds TEXT with the configured embedder and prints the k nearest stored log lines,
against the embedded store or Qdrant (filters are pushed down as payload filters).

Options:
  -k, --limit N      how many lines (default 5)
  --level L          only lines of this level
  --node-type T      only lines of this node type
  --filter K=V,...   the same as filters: level, node_type, source, since, until
  --since, --until   only lines with timestamps in this range (ISO)
  --json             one JSON document instead of a table
${configHelp()}
`

export const command: Command = {
  name: 'search',
  summary: 'Nearest stored log lines to a text',
  async run(argv) {
    const args = parseArgs(argv, { flags: { limit: 'value', json: 'bool', ...FILTER_FLAGS }, aliases: { k: 'limit' } })
    if (args.flags.has('help')) {
      process.stdout.write(HELP)
      return 0
    }
    const text = args.positionals.join(' ').trim()
    if (text === '') throw new LogstreamError('USAGE', 'search needs a TEXT to look for (see --help)')
    const k = Number(args.flags.get('limit')?.at(-1) ?? 5)
    if (!Number.isInteger(k) || k < 1 || k > 1000) throw new LogstreamError('USAGE', `-k must be a whole number from 1 to 1000, got ${args.flags.get('limit')?.at(-1)}`)
    const config = loadConfig({ flags: args.flags, env: process.env })
    const logger = createLogger({ level: 'warn', format: config.log.format })
    const store = await createVectorStore(config, { logger })
    const embedder = await createEmbedder(config, { logger })
    try {
      const [vector] = await embedder.embed([text])
      const hits = await store.search(vector!, { k, filter: filterFromFlags(args.flags) })
      if (args.flags.get('json')?.at(-1) === 'true') {
        process.stdout.write(`${JSON.stringify({ query: text, results: hits.map((h) => ({ id: h.id, score: h.score, ...h.payload })) }, null, 2)}\n`)
        return 0
      }
      process.stdout.write(`Nearest ${hits.length} of the stored log lines to: ${text}\n\n`)
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
}
