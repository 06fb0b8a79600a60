/**
 * Configuration → the services the pipeline reaches: source, embedder, vector
 * store and dead-letter sink. The one place that knows which adapter a
 * configuration names.
 */
import { resolve, join } from 'node:path'
import type { Logger } from 'pino'
import type { AnomalySink, DeadLetterSink, Embedder, Source, VectorStore } from '../../operators/contracts.ts'
import type { PipelineMetrics } from '../../operators/metrics.ts'
import { createFileSource } from '../../operators/file-source.ts'
import type { JobIdentity } from '../../checkpoints/store.ts'
import { checkpointPath } from '../../checkpoints/sqlite-store.ts'
import { existsSync } from 'node:fs'
import { ConfigError, LogstreamError } from '../../core/errors.ts'
import type { Config } from '../config.ts'
import type { CollectionAdmin } from './sqlite-vector-store.ts'
import { createBuiltinEmbedder, createNoopEmbedder } from './builtin-embedder.ts'

export interface AdapterContext {
  readonly logger: Logger
  readonly metrics?: PipelineMetrics | undefined
}

/** What a checkpoint belongs to: a store written for another identity refuses to open. */
export function jobIdentity(config: Config): JobIdentity {
  return {
    job: config.job,
    source: config.source.kind === 'file' ? `file:${config.source.path}` : `kafka:${[...config.kafka.topics].sort().join(',')}`,
    sink: `${config.sink.kind}:${config.collection}`,
    dim: config.dim,
  }
}

/** The checkpoint file of the configured job, which the tools (`checkpoint`, `dlq`) need to exist. */
export function existingCheckpoint(config: Config): string {
  const path = checkpointPath(config.checkpointDir, config.job)
  if (!existsSync(path)) throw new LogstreamError('USAGE', `job ${config.job} has no checkpoint at ${path}`)
  return path
}

export async function createSource(config: Config, ctx: AdapterContext): Promise<Source> {
  // Lines past the message limit are still read whole (up to 64 MiB), so their dead letters lose nothing and can be replayed after a fix.
  if (config.source.kind === 'file') return createFileSource({ path: config.source.path, follow: config.follow, maxLineBytes: Math.max(config.maxMessageBytes, 64 << 20) })
  const { createKafkaSource } = await import('../../operators/kafka-source.ts')
  return createKafkaSource({
    ...config.kafka,
    chunkSize: Math.min(config.batch.maxSize, 1000),
    stopWhenIdleMs: config.stopWhenIdle,
    metrics: ctx.metrics,
  })
}

export async function createEmbedder(config: Config, ctx: AdapterContext): Promise<Embedder> {
  switch (config.embedder.kind) {
    case 'builtin':
      return createBuiltinEmbedder({ dim: config.dim })
    case 'none':
      return createNoopEmbedder({ dim: config.dim })
    case 'http': {
      const { createHttpEmbedder } = await import('./http-embedder.ts')
      const service = createHttpEmbedder({ ...config.embedder, dim: config.dim, logger: ctx.logger, metrics: ctx.metrics })
      if (config.embedder.text === 'message') return service
      const { createMaskingEmbedder } = await import('./masking-embedder.ts')
      return createMaskingEmbedder(service, { metrics: ctx.metrics })
    }
  }
}

/** The embedded store's file inside the data directory. */
export function embeddedStorePath(config: Config): string {
  return join(resolve(config.dataDir), 'vectors.sqlite')
}

export interface VectorStoreOptions {
  /**
   * The read commands' guard: refuse (exit 2, naming the field) a data directory without a store or a
   * collection that does not exist, instead of creating an empty one that answers every question with nothing.
   */
  readonly mustExist?: boolean
}

export async function createVectorStore(config: Config, ctx: AdapterContext, opts: VectorStoreOptions = {}): Promise<VectorStore & CollectionAdmin> {
  const store = await openVectorStore(config, ctx, opts)
  if (opts.mustExist && !(await store.collectionInfo(config.collection))) {
    const where = config.sink.kind === 'embedded' ? `the embedded store ${embeddedStorePath(config)}` : 'Qdrant'
    await store.close()
    throw new ConfigError([{ field: 'collection', message: `collection ${config.collection} does not exist in ${where}; run a job into it first, or name another with --collection` }])
  }
  return store
}

async function openVectorStore(config: Config, ctx: AdapterContext, opts: VectorStoreOptions): Promise<VectorStore & CollectionAdmin> {
  switch (config.sink.kind) {
    case 'embedded': {
      const path = embeddedStorePath(config)
      if (opts.mustExist && !existsSync(path)) {
        throw new ConfigError([{ field: 'dataDir', message: `no vector store at ${path}: ${resolve(config.dataDir)} holds none; run a job first, or give the right --data-dir` }])
      }
      const { createSqliteVectorStore } = await import('./sqlite-vector-store.ts')
      return createSqliteVectorStore({
        path,
        collection: config.collection,
        dim: config.dim,
        distance: 'Cosine',
        cacheMb: config.embeddedCacheMb,
        onMigrated: (m) => ctx.logger.warn({ path, ...m }, `moved the embedded store to its current layout: ${m.points} points in ${m.collections} collections`),
        onLayout2Moved: () => ctx.logger.warn({ path }, 'gave the embedded store its current layout (vectors that points share are kept once from now on); logstreams older than this one refuse the file'),
      })
    }
    case 'qdrant': {
      const { createQdrantStore } = await import('./qdrant-store.ts')
      return createQdrantStore({ ...config.qdrant, collection: config.collection, dim: config.dim, logger: ctx.logger, metrics: ctx.metrics })
    }
  }
}

/** A Kafka job also publishes its dead letters to a dead-letter topic; every job keeps them in its checkpoint store. */
export async function createDeadLetterSink(config: Config, ctx: AdapterContext): Promise<DeadLetterSink | undefined> {
  if (config.source.kind !== 'kafka' || !config.kafka.dlqEnabled) return undefined
  const { createKafkaDeadLetterSink, deadLetterTopicFor } = await import('./kafka-dead-letter-sink.ts')
  return createKafkaDeadLetterSink({
    brokers: config.kafka.brokers,
    topic: deadLetterTopicFor(config.kafka.topics, config.kafka.dlqTopic),
    properties: config.kafka.properties,
    keptIn: `the checkpoint of job ${config.job} (${checkpointPath(config.checkpointDir, config.job)})`,
    logger: ctx.logger,
    metrics: ctx.metrics,
  })
}

/**
 * Whether the job scores lines at ingest: `on`, `off`, or with `auto` only for the built-in embedder, whose
 * vectors are a line's shape (the score then counts lines of its kind, as measured on LogHub); a model's
 * vectors place lines by meaning, which the score's quality figures do not cover, and the no-op embedder's
 * are all one.
 */
export function anomalyScoringOn(config: Config): boolean {
  return config.anomaly.scoring === 'on' || (config.anomaly.scoring === 'auto' && config.embedder.kind === 'builtin')
}

/** Where a job announces new patterns: its anomalies topic (Kafka jobs) or a JSON-lines file (file jobs). */
export async function createAnomalySink(config: Config, ctx: AdapterContext): Promise<AnomalySink> {
  if (config.source.kind === 'file') {
    const { createFileAnomalySink, anomalyFileFor } = await import('./file-anomaly-sink.ts')
    return createFileAnomalySink({ path: anomalyFileFor(config.checkpointDir, config.job, config.anomaly.file) })
  }
  const { createKafkaAnomalySink, anomalyTopicFor } = await import('./kafka-anomaly-sink.ts')
  return createKafkaAnomalySink({ brokers: config.kafka.brokers, topic: anomalyTopicFor(config.kafka.topics, config.anomaly.topic), properties: config.kafka.properties, logger: ctx.logger, metrics: ctx.metrics })
}
