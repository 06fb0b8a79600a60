/**
 * `logstream collections list|info|create|delete|count`: the collections of the
 * configured store (embedded or Qdrant). Delete asks for confirmation unless --yes.
 */
import { createInterface } from 'node:readline/promises'
import type { Command } from './commands.ts'
import { parseArgs } from './args.ts'
import { configHelp, loadConfig } from '../config.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createLogger } from '../runtime/logger.ts'
import { createVectorStore } from '../adapters/factory.ts'
import { FILTER_FLAGS, filterFromFlags } from './filter-flags.ts'

const HELP = `Usage: logstream collections list|info|create|delete|count [NAME] [--yes] [--json] [options]

list     every collection with its size, distance and points
info     one collection (NAME, default the configured one)
create   the configured collection (size --dim, cosine), with its payload indexes on Qdrant
delete   a collection and all its points (asks unless --yes)
count    points in the collection, with optional --level/--node-type/--since/--until/--filter

Options:
${configHelp()}
`

export const command: Command = {
  name: 'collections',
  summary: 'List, inspect, create, delete or count collections',
  async run(argv) {
    const args = parseArgs(argv, { flags: { yes: 'bool', json: 'bool', ...FILTER_FLAGS } })
    const [action, name] = args.positionals
    if (args.flags.has('help') || !action) {
      process.stdout.write(HELP)
      return action ? 0 : 2
    }
    const json = args.flags.get('json')?.at(-1) === 'true'
    const flags = new Map(args.flags)
    if (name) flags.set('collection', [name])
    const config = loadConfig({ flags, env: process.env })
    const store = await createVectorStore(config, { logger: createLogger({ level: 'warn', format: config.log.format }) })
    const out = (value: unknown, text: string) => process.stdout.write(`${json ? JSON.stringify(value, null, 2) : text}\n`)
    try {
      switch (action) {
        case 'list': {
          const all = await store.listCollections()
          out(all, all.length === 0 ? 'no collections' : all.map((c) => `${c.name.padEnd(30)} ${String(c.dim).padStart(5)} dims  ${c.distance.padEnd(7)} ${c.points} points`).join('\n'))
          return 0
        }
        case 'info': {
          const info = await store.collectionInfo(config.collection)
          if (!info) throw new LogstreamError('USAGE', `no collection ${config.collection} in the ${store.name} store`)
          out(info, `${info.name}: ${info.dim} dimensions, ${info.distance} distance, ${info.points} points (${store.name} store)`)
          return 0
        }
        case 'create': {
          const info = await store.ensureCollection()
          out(info, `${info.name}: ${info.dim} dimensions, ${info.distance} distance, ${info.points} points`)
          return 0
        }
        case 'count': {
          const n = await store.count(filterFromFlags(args.flags))
          out({ collection: config.collection, count: n }, String(n))
          return 0
        }
        case 'delete': {
          const info = await store.collectionInfo(config.collection)
          if (!info) throw new LogstreamError('USAGE', `no collection ${config.collection} in the ${store.name} store`)
          if (args.flags.get('yes')?.at(-1) !== 'true') {
            if (!process.stdin.isTTY) throw new LogstreamError('USAGE', 'no terminal to confirm on: pass --yes to delete without asking')
            const rl = createInterface({ input: process.stdin, output: process.stdout })
            const answer = await rl.question(`Delete collection ${info.name} with its ${info.points} points? Type its name to confirm: `)
            rl.close()
            if (answer.trim() !== info.name) {
              process.stdout.write('Nothing deleted.\n')
              return 1
            }
          }
          await store.deleteCollection(info.name)
          out({ deleted: info.name, points: info.points }, `Deleted ${info.name} (${info.points} points).`)
          return 0
        }
        default:
          throw new LogstreamError('USAGE', `unknown action ${JSON.stringify(action)} (see --help)`)
      }
    } finally {
      await store.close()
    }
  },
}
