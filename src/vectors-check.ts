/**
 * Is the collection's vectors' kind this job's? A collection records what its
 * vectors are of (`vectorsKind`: the embedder, and what a service is sent).
 * Vectors of two kinds in one collection make every similarity across them
 * meaningless, and nothing in the points would say which is which, so a job
 * made to store vectors of another kind than the collection's (the built-in
 * embedder on the replaced job's collection, `--embedding-text masked` on a
 * collection of messages' vectors) refuses to start instead, and a search
 * refuses to compare across kinds.
 *
 * A collection with no record: logstream's own, made before collections
 * recorded it, takes this job's (its vectors are most likely the same job's);
 * a foreign one holding points is the replaced job's, whose embedding service
 * was sent each message as it came.
 */
import type { Logger } from 'pino'
import type { CollectionInfo, VectorStore } from '../operators/contracts.ts'
import type { Config } from './config.ts'
import { LogstreamError } from '../core/errors.ts'

/** What the replaced job's vectors are of: an embedding service sent each message as it came. */
export const REPLACED_JOB_VECTORS = 'http/message'

/**
 * What a job's vectors are of: 'builtin', 'none', or 'http/' and what the service is sent ('message', 'masked'). The
 * service's model is not part of it: logstream cannot see which model answers.
 */
export function vectorsKind(config: Pick<Config, 'embedder'>): string {
  return config.embedder.kind === 'http' ? `http/${config.embedder.text}` : config.embedder.kind
}

/** A kind in words, with the settings that make it. */
function described(kind: string): string {
  if (kind === 'builtin') return 'the built-in embedder (embedder.kind builtin)'
  if (kind === 'none') return 'the no-op embedder (embedder.kind none)'
  const text = kind.startsWith('http/') ? kind.slice(5) : undefined
  if (text) return `an embedding service sent each line's ${text === 'masked' ? 'masked message' : text} (embedder.kind http, embedder.text ${text})`
  return `'${kind}'`
}

/** The kind a collection's vectors are, recorded or presumed (a foreign collection holding points); undefined when unknown. */
function kindOf(info: CollectionInfo): string | undefined {
  return info.vectors ?? (info.foreign && info.points > 0 ? REPLACED_JOB_VECTORS : undefined)
}

function mismatch(info: CollectionInfo, storeName: string, theirs: string, wanted: string, doing: string): LogstreamError {
  const how = info.vectors ? 'records vectors of' : `was not made by logstream and holds ${info.points} points: vectors presumably of the replaced job,`
  return new LogstreamError(
    'COLLECTION_MISMATCH',
    `collection ${info.name} in the ${storeName} store ${how} ${described(theirs)}; ${doing} ${described(wanted)}. Vectors of two kinds in one collection make their similarities meaningless, so nothing was changed: configure the embedder the collection was filled with, or store into another collection (--collection, with a job name of its own: --job, as a job's checkpoint belongs to its collection)`,
    { details: { field: theirs.startsWith('http/') && wanted.startsWith('http/') ? 'embedder.text' : 'embedder.kind', collection: info.name, recorded: theirs, configured: wanted } },
  )
}

/**
 * At a job's start, after `ensureCollection`: refuses a collection of other vectors, and records this job's kind in
 * one that records none (when the store can).
 */
export async function checkCollectionVectors(store: VectorStore, info: CollectionInfo, wanted: string, log: Logger): Promise<void> {
  const theirs = kindOf(info)
  if (theirs !== undefined && theirs !== wanted) throw mismatch(info, store.name, theirs, wanted, 'this job would add vectors of')
  if (info.vectors !== undefined || !store.recordVectors) return
  // Another job may record at the same moment: what counts is what the store holds after.
  const recorded = await store.recordVectors(wanted)
  if (recorded !== wanted) throw mismatch({ ...info, vectors: recorded }, store.name, recorded, wanted, 'this job would add vectors of')
  if (info.points > 0 && theirs !== undefined) {
    // A foreign collection taken as the replaced job's: the kind was presumed from who made it, and agrees with this job's.
    log.warn(
      { collection: info.name, vectors: wanted, points: info.points },
      `collection ${info.name} was not made by logstream; its ${info.points} points are taken as the replaced job's, ${described(theirs)}, as this job's are: recorded that`,
    )
  } else if (info.points > 0) {
    log.warn(
      { collection: info.name, vectors: wanted, points: info.points },
      `collection ${info.name} recorded no kind of vectors; recorded this job's, ${described(wanted)}: were its ${info.points} points made otherwise, use another collection`,
    )
  }
}

/** For tools that compare texts with the stored vectors (`search`, the score service): refuses a collection of other vectors. */
export async function checkStoredVectors(store: VectorStore, config: Pick<Config, 'embedder'>): Promise<void> {
  const info = await store.describeCollection?.()
  if (!info) return
  const wanted = vectorsKind(config)
  const theirs = kindOf(info)
  if (theirs !== undefined && theirs !== wanted) throw mismatch(info, store.name, theirs, wanted, 'this command would embed texts with')
}
