/** `logstream view [--limit N] [--filter level=ERROR,...]`: pages through stored entries. */
import { defineCommand } from './command.ts'
import { createToolLogger } from '../runtime/logger.ts'
import { createVectorStore } from '../adapters/factory.ts'
import { field, int, optionalField, text } from '../options.ts'
import { jsonOption } from './common-options.ts'
import { filterFrom, filterOptions } from './filter-options.ts'

export const command = defineCommand({
  name: 'view',
  summary: 'Page through stored entries',
  usage: ['view [--limit N] [--after CURSOR] [--filter level=ERROR,node_type=datanode] [--level L] [--since ISO] [--json] [options]'],
  options: {
    limit: field(int(1, 10_000), 20, { flag: 'limit', short: 'n', description: 'Entries a page' }),
    after: optionalField(text(), { flag: 'after', description: 'Cursor of the next page, as the previous page printed it' }),
    json: jsonOption(),
    ...filterOptions(),
  },
  async run(args) {
    const o = args.options
    const filter = filterFrom(o)
    const config = args.config()
    const store = await createVectorStore(config, { logger: createToolLogger(config.log.format) }, { mustExist: true })
    try {
      const page = await store.scroll({ limit: o.limit, after: o.after, filter })
      if (o.json) {
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
})
