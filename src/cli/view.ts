/** `logstream view [--limit N] [--filter level=ERROR,...]`: pages through stored entries. */
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { configHelp, loadConfig } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { createVectorStore } from '../adapters/factory.ts'
import { FILTER_FLAGS, filterFromFlags } from './filter-flags.ts'

export const command: Command = {
  name: 'view',
  summary: 'Page through stored entries',
  async run(argv) {
    const args = parseArgs(argv, { flags: { limit: 'value', after: 'value', json: 'bool', ...FILTER_FLAGS }, aliases: { n: 'limit' } })
    if (args.flags.has('help')) {
      process.stdout.write(`Usage: logstream view [--limit N] [--after CURSOR] [--filter level=ERROR,node_type=datanode] [--level L] [--since ISO] [--json] [options]\n\n${configHelp()}\n`)
      return 0
    }
    const limit = Number(args.flags.get('limit')?.at(-1) ?? 20)
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new LogstreamError('USAGE', '--limit must be a whole number from 1 to 10000')
    const config = loadConfig({ flags: args.flags, env: process.env })
    const store = await createVectorStore(config, { logger: createLogger({ level: 'warn', format: config.log.format }) })
    try {
      const page = await store.scroll({ limit, after: args.flags.get('after')?.at(-1), filter: filterFromFlags(args.flags) })
      if (args.flags.get('json')?.at(-1) === 'true') {
        process.stdout.write(`${JSON.stringify({ points: page.points.map((p) => ({ id: p.id, ...p.payload })), next: page.next }, null, 2)}\n`)
        return 0
      }
      for (const p of page.points) {
        const q = p.payload
        process.stdout.write(`${p.id}  ${q.timestamp.padEnd(23)} ${q.log_level.padEnd(5)} ${q.node_type.padEnd(9)} ${q.text}\n`)
      }
      process.stdout.write(page.next ? `\n(more: --after ${page.next})\n` : `\n(${page.points.length} shown, no more)\n`)
      return 0
    } finally {
      await store.close()
    }
  },
}
