/**
 * `logstream collections list|info|create|delete|count|vectors|share`: the
 * collections of the configured store (embedded or Qdrant). Delete asks for
 * confirmation unless --yes; vectors replaces a collection's record of its
 * vectors only with --yes; share keeps once the vectors that the embedded
 * store's older rows hold alike, and deletes the stored vectors no row uses.
 */
import { createInterface } from 'node:readline/promises'
import { defineCommand } from './command.ts'
import { LogstreamError } from '../../core/errors.ts'
import { createToolLogger } from '../runtime/logger.ts'
import { createVectorStore } from '../adapters/factory.ts'
import { vectorsKind } from '../vectors-check.ts'
import { jsonOption, yesOption } from './common-options.ts'
import { filterFrom, filterOptions } from './filter-options.ts'

export const command = defineCommand({
  name: 'collections',
  summary: 'List, inspect, create, delete or count collections',
  usage: ['collections list|info|create|delete|count|vectors|share [NAME] [--yes] [--json] [options]'],
  description: `list     every collection with its size, distance and points
info     one collection (NAME, default the configured one)
create   the configured collection (the configured dimension, cosine), with its payload indexes on Qdrant
delete   a collection and all its points (asks unless --yes)
count    points in the collection, with optional --level/--node-type/--since/--until/--filter
vectors  record that the collection's vectors are the configured embedder's (--embedder, --embedding-text),
         replacing what it records (--yes): for a record that is wrong, not to mix vectors of two kinds
share    embedded store: the vectors that rows hold alike (rows written before the store kept a shared vector once)
         kept once, a chunk of rows a transaction, beside running jobs, and the stored vectors no row refers to any
         more deleted; the room freed is reused by later writes`,
  positionals: { name: 'an action: list, info, create, delete, count, vectors or share', min: 1, max: 2 },
  options: { yes: yesOption('Delete, or replace the record of the vectors,'), json: jsonOption(), ...filterOptions() },
  async run(args) {
    const [action, name] = args.positionals
    const { json, yes } = args.options
    const filter = filterFrom(args.options)
    const config = args.config(name ? { collection: name } : {})
    const store = await createVectorStore(config, { logger: createToolLogger(config.log.format) })
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
          out(info, `${info.name}: ${info.dim} dimensions, ${info.distance} distance, ${info.points} points, vectors of ${info.vectors ?? 'a kind not recorded'} (${store.name} store)`)
          return 0
        }
        case 'create': {
          const info = await store.ensureCollection({ vectors: vectorsKind(config) })
          out(info, `${info.name}: ${info.dim} dimensions, ${info.distance} distance, ${info.points} points`)
          return 0
        }
        case 'count': {
          const n = await store.count(filter)
          out({ collection: config.collection, count: n }, String(n))
          return 0
        }
        case 'delete': {
          const info = await store.collectionInfo(config.collection)
          if (!info) throw new LogstreamError('USAGE', `no collection ${config.collection} in the ${store.name} store`)
          if (!yes) {
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
        case 'vectors': {
          const info = await store.collectionInfo(config.collection)
          if (!info) throw new LogstreamError('USAGE', `no collection ${config.collection} in the ${store.name} store`)
          const kind = vectorsKind(config)
          const was = info.vectors ?? null
          if (was !== kind) {
            if (!yes) throw new LogstreamError('USAGE', `collection ${info.name} records vectors of ${was ?? 'no kind'}; pass --yes to record ${kind} instead (only if its ${info.points} points are of that kind)`)
            await store.recordVectors!(kind, { replace: true })
          }
          out({ collection: info.name, vectors: kind, was }, `${info.name}: vectors of ${kind}${was === kind ? ' (already recorded)' : ` (was ${was ?? 'not recorded'})`}`)
          return 0
        }
        case 'share': {
          if (!store.shareVectors) throw new LogstreamError('USAGE', `share is for the embedded store (--sink embedded); the ${store.name} store keeps its vectors its own way`)
          const shared = await store.shareVectors(config.collection)
          if (!shared) throw new LogstreamError('USAGE', `no collection ${config.collection} in the ${store.name} store`)
          const mb = (shared.bytes / 1e6).toFixed(1)
          out({ collection: config.collection, ...shared }, `${config.collection}: ${shared.points} points now refer to a stored vector (${shared.vectors} stored once by this run), ${shared.unused} stored vectors no point referred to deleted; ${mb} MB of vectors freed for later writes`)
          return 0
        }
        default:
          throw new LogstreamError('USAGE', `unknown action ${JSON.stringify(action)} (see --help)`)
      }
    } finally {
      await store.close()
    }
  },
})
