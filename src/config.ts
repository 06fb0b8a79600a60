/**
 * Configuration, defined once: this schema is the source of the `Config` type,
 * of validation, of `--help` and of the README table. Every field carries its
 * flag, environment names, default and description (`src/options.ts`); which
 * fields are secret follows from their names (`core/secrets.ts`). Values come
 * from defaults < config file < environment < flags; all problems are
 * reported together, naming the field and what is allowed.
 *
 * Adding a field is one line here (and its README row, which
 * `node bin/logstream.js config --markdown` prints).
 */
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ConfigError, type ConfigIssue } from '../core/errors.ts'
import { isSecret } from '../core/secrets.ts'
import { FORMATS, resolveLineFormat } from '../operators/formats/index.ts'
import { FIELDS, bool, duration, field, int, list, map, metaOf, num, oneOf, optionalField, partitions, source, text, url, type FieldMeta } from './options.ts'

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** A group of fields under one key (`kafka.brokers`); absent from a file, it takes its fields' defaults. */
const section = <S extends z.ZodRawShape>(shape: S) => z.object(shape).prefault({} as never)

/** Records in flight follow the batch size unless set: this many batches. */
export const IN_FLIGHT_BATCHES = 5

const fields = {
  job: field(text({ pattern: NAME, patternMessage: "must be letters, digits, '.', '_' or '-'" }), 'logs', { flag: 'job', env: ['LOGSTREAM_JOB'], description: 'Job name: names the checkpoint file, so each job resumes its own progress' }),
  source: field(source(), 'file:data/hdfs/HDFS_2k.log', { flag: 'source', env: ['LOGSTREAM_SOURCE'], description: "Where records come from: 'kafka', or 'file:PATH' (log lines in any format --log-format reads, or JSON lines)" }),
  lineFormat: field(text(), 'auto', {
    flag: 'log-format',
    env: ['LOGSTREAM_LOG_FORMAT'],
    description: `How the source's text lines are read: 'auto' (each line by the first format that reads it, else plain text), a format's name (${FORMATS.map((format) => format.name).join(', ')}), 'json' (every record a JSON message), or a LogPAI header template like '<Date> <Time> <Level> <Component>: <Content>'`,
  }),
  follow: field(bool(), false, { flag: 'follow', env: ['LOGSTREAM_FOLLOW'], description: 'With a file source: keep reading as the file grows' }),
  stopWhenIdle: field(duration(), 0, { flag: 'stop-when-idle', env: ['LOGSTREAM_STOP_WHEN_IDLE'], description: 'Stop (exit 0) after this long with nothing read and nothing in flight, once every partition is read to its end (a file: at its end unless followed); 0 runs for ever' }),

  kafka: section({
    brokers: field(text(), 'localhost:9092', { flag: 'brokers', env: ['KAFKA_SERVERS', 'KAFKA_BROKERS'], description: 'Kafka bootstrap servers, comma-separated' }),
    topics: field(list(), ['logs'], { flag: 'topics', env: ['KAFKA_TOPICS'], description: 'Topics to read, comma-separated' }),
    partitions: field(partitions(), '', { flag: 'partitions', env: ['LOGSTREAM_PARTITIONS'], description: "Partition-group mode: the partitions this instance owns, e.g. 'logs:0-3,other:1'; empty for consumer-group mode" }),
    groupId: field(text(), 'logstream', { flag: 'group-id', env: ['KAFKA_GROUP_ID', 'LOGSTREAM_GROUP_ID'], description: 'Consumer group id (consumer-group mode; also where offsets are committed for monitoring)' }),
    startingOffsets: field(oneOf('earliest', 'latest'), 'earliest', { flag: 'starting-offsets', env: ['LOGSTREAM_STARTING_OFFSETS'], description: 'Where a new job starts in a partition with no checkpoint' }),
    properties: field(map(), {}, { flag: 'kafka-property', env: ['LOGSTREAM_KAFKA_PROPERTIES'], description: "librdkafka properties passed through, 'key=value' (repeat the flag; comma-separated in the environment), e.g. security.protocol=SASL_SSL; values of secret-named properties (password, secret, token, key, jaas, sasl.*.config) are masked" }),
    dlqTopic: field(text({ allowEmpty: true }), '', { flag: 'dlq-topic', env: ['LOGSTREAM_DLQ_TOPIC'], description: "Dead-letter topic for malformed messages read from Kafka; empty means '<first topic>.dlq'" }),
    dlqEnabled: field(bool(), true, { flag: 'dlq', env: ['LOGSTREAM_DLQ_ENABLED'], description: 'Publish malformed Kafka messages to the dead-letter topic (they are always kept in the checkpoint store too)' }),
  }),

  batch: section({
    maxSize: field(int(1, 1_000_000), 1000, { flag: 'batch-size', env: ['BATCH_SIZE', 'LOGSTREAM_BATCH_SIZE'], description: 'Records in a micro-batch at most' }),
    trigger: field(duration(1), 15_000, { flag: 'trigger', env: ['TRIGGER_INTERVAL', 'LOGSTREAM_TRIGGER'], description: "Longest a batch stays open after its first record (e.g. '15s', '500ms')" }),
  }),
  maxInFlight: optionalField(int(1), {
    flag: 'max-in-flight',
    env: ['LOGSTREAM_MAX_IN_FLIGHT'],
    defaultText: `${IN_FLIGHT_BATCHES} × batch.maxSize`,
    description: `Records read and not yet committed at most; the source pauses beyond it. Unset, it follows the batch size (${IN_FLIGHT_BATCHES} batches); set, it must be at least batch.maxSize`,
  }),
  maxMessageBytes: field(int(1), 1_048_576, { flag: 'max-message-bytes', env: ['LOGSTREAM_MAX_MESSAGE_BYTES'], description: 'Largest message accepted; larger ones are dead-lettered' }),
  deadLettersKeptMb: field(int(1), 256, {
    flag: 'dead-letters-kept-mb',
    env: ['LOGSTREAM_DEAD_LETTERS_KEPT_MB'],
    description:
      "Room the dead letters take in the checkpoint file, MiB (their messages, details, keys and headers, and 64 bytes each); past it the oldest are dropped, counted in logstream_dead_letters_dropped_total and logged. A Kafka job's dead-letter topic keeps its own copies",
  }),
  onDataLoss: field(oneOf('fail', 'warn'), 'fail', {
    flag: 'on-data-loss',
    env: ['LOGSTREAM_ON_DATA_LOSS'],
    description:
      "What to do with data the job can no longer read or keep (a checkpoint position below a Kafka partition's start or past its end; a store missing points it acknowledged): 'fail' stops with an error saying what to run, 'warn' logs it, counts it in logstream_data_loss_total and goes on",
  }),
  recentIds: field(int(0), 200_000, { flag: 'recent-ids', env: ['LOGSTREAM_RECENT_IDS'], description: 'Recently stored ids remembered, so replays and duplicates cost no look-up' }),

  embedder: section({
    kind: field(oneOf('builtin', 'http', 'none'), 'builtin', { flag: 'embedder', env: ['LOGSTREAM_EMBEDDER'], description: "Embedder: 'builtin' (model-free, in process), 'http' (an embedding service), 'none' (constant vectors, for benchmarks)" }),
    url: field(url(), 'http://localhost:8000/embed', { flag: 'embedding-url', env: ['EMBEDDING_SERVICE_URL'], description: 'Embedding service URL; credentials in it (http://user:password@host/…) are sent as an Authorization: Basic header' }),
    api: field(oneOf('logstream', 'tei', 'openai', 'ollama'), 'logstream', { flag: 'embedding-api', env: ['EMBEDDING_API'], description: "Request shape: 'logstream' ({texts} → {embeddings}), 'tei' (text-embeddings-inference), 'openai' (/v1/embeddings), 'ollama' (/api/embed)" }),
    model: field(text({ allowEmpty: true }), '', { flag: 'embedding-model', env: ['EMBEDDING_MODEL'], description: 'Model name sent to OpenAI-compatible and Ollama services' }),
    apiKey: field(text({ allowEmpty: true }), '', { flag: 'embedding-api-key', env: ['EMBEDDING_API_KEY'], description: 'Bearer key for the embedding service' }),
    batchSize: field(int(1, 100_000), 256, { flag: 'embedding-batch-size', env: ['EMBEDDING_BATCH_SIZE'], description: 'Texts per embedding request' }),
    concurrency: field(int(1, 64), 2, { flag: 'embedding-concurrency', env: ['EMBEDDING_CONCURRENCY'], description: 'Embedding requests in flight at most' }),
    timeout: field(duration(1), 30_000, { flag: 'embedding-timeout', env: ['EMBEDDING_TIMEOUT'], description: 'Timeout of one embedding request' }),
    encoding: field(oneOf('base64', 'float'), 'base64', {
      flag: 'embedding-encoding',
      env: ['EMBEDDING_ENCODING'],
      description:
        "Vector encoding asked of 'logstream' and 'openai' services: 'base64' (float32 bytes, as OpenAI's encoding_format: a fifth of the bytes and no numbers to parse; an answer in JSON numbers is read too; a 'logstream' service may answer the bytes themselves, as serve-embeddings does) or 'float' (for a service that refuses the field)",
    }),
    text: field(oneOf('message', 'masked'), 'message', {
      flag: 'embedding-text',
      env: ['EMBEDDING_TEXT'],
      description:
        "What the embedding service is sent for a line: 'message' (the message as it came, as the replaced job sent it) or 'masked' (the message with its variables masked, as the built-in embedder embeds it: lines of one kind share one vector, each shape is asked once a request, and shapes asked recently are not asked again)",
    }),
  }),

  sink: section({
    kind: field(oneOf('embedded', 'qdrant'), 'embedded', { flag: 'sink', env: ['LOGSTREAM_SINK'], description: "Vector store: 'embedded' (SQLite + sqlite-vec file in the data directory) or 'qdrant'" }),
  }),
  collection: field(text({ pattern: /^[A-Za-z0-9_.-]+$/, patternMessage: "must be letters, digits, '.', '_' or '-'" }), 'logs_embeddings', { flag: 'collection', env: ['COLLECTION'], description: 'Collection the points are stored in' }),
  dim: field(int(1, 65_536), 384, { flag: 'dim', env: ['DIM'], description: 'Vector dimension' }),
  dataDir: field(text(), '.logstream', { flag: 'data-dir', env: ['LOGSTREAM_DATA_DIR'], description: 'Directory of the embedded vector store' }),
  embeddedCacheMb: field(int(1, 65_536), 16, { flag: 'embedded-cache-mb', env: ['LOGSTREAM_EMBEDDED_CACHE_MB'], description: "Page cache of the embedded vector store in MiB: more keeps a large store's id index in memory, at that cost in RSS" }),
  // Why 200 and what it costs: src/runtime/heap.ts.
  heapGrowingPercent: field(int(0, 1000), 200, {
    flag: 'heap-growing-percent',
    env: ['LOGSTREAM_HEAP_GROWING_PERCENT'],
    description:
      "How far V8's heap may grow past what a full collection left alive, in percent: 200 holds it to three times the live data (a 1,000,000-message backlog drains in about 255 MB of RSS); 100 to twice (about 230 MB, for 5-10% more CPU a message); 0 leaves V8's own growth (up to 4x, about 280 MB)",
  }),
  checkpointDir: field(text(), '.logstream/checkpoints', { flag: 'checkpoint-dir', env: ['CHECKPOINT_DIR', 'LOGSTREAM_CHECKPOINT_DIR'], description: 'Directory of the checkpoint files (mount it as a volume)' }),

  qdrant: section({
    url: field(url({ allowEmpty: true }), '', { flag: 'qdrant-url', env: ['QDRANT_URL'], description: 'Qdrant URL (overrides host, port and https); credentials in it are sent as an Authorization: Basic header' }),
    host: field(text(), 'localhost', { flag: 'qdrant-host', env: ['QDRANT_HOST'], description: 'Qdrant host' }),
    port: field(int(1, 65_535), 6333, { flag: 'qdrant-port', env: ['QDRANT_PORT'], description: 'Qdrant REST port' }),
    https: field(bool(), false, { flag: 'qdrant-https', env: ['QDRANT_HTTPS'], description: 'Use HTTPS to reach Qdrant' }),
    apiKey: field(text({ allowEmpty: true }), '', { flag: 'qdrant-api-key', env: ['QDRANT_API_KEY'], description: 'Qdrant API key' }),
    preferGrpc: field(bool(), false, { flag: 'qdrant-prefer-grpc', env: ['QDRANT_PREFER_GRPC'], description: "Send upserts over Qdrant's gRPC API (vectors as float32 bytes, not JSON numbers: less CPU a point); the rest stays on REST" }),
    grpcPort: field(int(1, 65_535), 6334, { flag: 'qdrant-grpc-port', env: ['QDRANT_GRPC_PORT'], description: "Qdrant gRPC port, on the REST URL's host (with --qdrant-prefer-grpc)" }),
    timeout: field(duration(1), 30_000, { flag: 'qdrant-timeout', env: ['QDRANT_TIMEOUT'], description: 'Timeout of one Qdrant request' }),
    shardNumber: field(int(1, 1024), 1, { flag: 'qdrant-shards', env: ['QDRANT_SHARD_NUMBER'], description: 'Shards of a new collection' }),
    replicationFactor: field(int(1, 64), 1, { flag: 'qdrant-replication-factor', env: ['QDRANT_REPLICATION_FACTOR'], description: 'Replicas of each shard of a new collection' }),
    writeConsistencyFactor: field(int(1, 64), 1, { flag: 'qdrant-write-consistency', env: ['QDRANT_WRITE_CONSISTENCY_FACTOR'], description: 'Replicas that must acknowledge a write (new collection)' }),
    onDiskVectors: field(bool(), false, { flag: 'qdrant-on-disk-vectors', env: ['QDRANT_ON_DISK_VECTORS'], description: 'Keep the vectors of a new collection on disk' }),
    onDiskPayload: field(bool(), false, { flag: 'qdrant-on-disk-payload', env: ['QDRANT_ON_DISK_PAYLOAD'], description: 'Keep the payload of a new collection on disk' }),
    quantization: field(oneOf('none', 'int8'), 'none', { flag: 'qdrant-quantization', env: ['QDRANT_QUANTIZATION'], description: 'Scalar quantization of a new collection' }),
    writeOrdering: field(oneOf('weak', 'medium', 'strong'), 'weak', { flag: 'qdrant-write-ordering', env: ['QDRANT_WRITE_ORDERING'], description: 'Write ordering of upserts' }),
    upsertBatchSize: field(int(1, 10_000), 128, { flag: 'qdrant-upsert-batch-size', env: ['QDRANT_UPSERT_BATCH_SIZE'], description: 'Points per upsert request at most' }),
    upsertConcurrency: field(int(1, 32), 2, { flag: 'qdrant-upsert-concurrency', env: ['QDRANT_UPSERT_CONCURRENCY'], description: 'Upsert requests in flight at most' }),
  }),

  anomaly: section({
    scoring: field(oneOf('auto', 'on', 'off'), 'auto', {
      flag: 'anomaly-scoring',
      env: ['LOGSTREAM_ANOMALY_SCORING'],
      description:
        "Score every new line against the stored history at ingest (payload anomaly_score) and announce new patterns: 'auto' is on with the built-in embedder (which embeds a line's shape, so the score counts lines of its kind) and off with the others",
    }),
    threshold: field(num(0, 1), 0.5, { flag: 'anomaly-threshold', env: ['LOGSTREAM_ANOMALY_THRESHOLD'], description: 'Scores at or above it are anomalous; 0.5 flags a line whose kind the history holds fewer than about ten times' }),
    quiet: field(duration(1000), 3_600_000, { flag: 'anomaly-quiet', env: ['LOGSTREAM_ANOMALY_QUIET'], description: 'After a shape is announced, its further lines are counted but not announced for this long' }),
    topic: field(text({ allowEmpty: true }), '', { flag: 'anomaly-topic', env: ['LOGSTREAM_ANOMALY_TOPIC'], description: "Kafka jobs: the topic new patterns are published to; empty means '<first topic>.anomalies'" }),
    file: field(text({ allowEmpty: true }), '', { flag: 'anomaly-file', env: ['LOGSTREAM_ANOMALY_FILE'], description: "File jobs: the JSON-lines file new patterns are appended to; empty means '<checkpointDir>/<job>.anomalies.jsonl'" }),
    cacheShapes: field(int(0, 10_000_000), 10_000, { flag: 'anomaly-cache-shapes', env: ['LOGSTREAM_ANOMALY_CACHE_SHAPES'], description: 'Shapes the score stage remembers as common (scoring 0), so their lines need no neighbour query; 0 asks the store about every shape' }),
  }),

  http: section({
    enabled: field(bool(), true, { flag: 'http', env: ['LOGSTREAM_HTTP'], description: 'Serve /metrics, /healthz, /readyz and the status page' }),
    host: field(text(), '0.0.0.0', { flag: 'metrics-host', env: ['METRICS_HOST'], description: 'Address of the metrics and status server' }),
    port: field(int(0, 65_535), 9400, { flag: 'metrics-port', env: ['METRICS_PORT'], description: 'Port of the metrics and status server (0 picks a free one)' }),
  }),
  readiness: section({
    stall: field(duration(1000), 300_000, { flag: 'stall-after', env: ['LOGSTREAM_STALL_AFTER'], description: '/readyz fails when no batch committed for this long while records wait' }),
  }),
  shutdownTimeout: field(duration(), 30_000, { flag: 'shutdown-timeout', env: ['LOGSTREAM_SHUTDOWN_TIMEOUT'], description: 'On SIGTERM: how long the batch in flight may take to finish before exit' }),
  log: section({
    level: field(oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), 'info', { flag: 'log-level', env: ['LOG_LEVEL'], description: 'Log level' }),
    format: field(oneOf('auto', 'json', 'pretty'), 'auto', { flag: 'log-output', env: ['LOG_FORMAT'], description: "Format of logstream's own log: 'auto' is readable on a terminal and JSON lines otherwise (the flag was --log-format, which now names the format of the lines read)" }),
  }),
}

/** The configuration schema: fields, then the rules across fields, then the values that follow from others. */
export const CONFIG_SCHEMA = z
  .object(fields)
  .superRefine((c, ctx) => {
    try {
      resolveLineFormat(c.lineFormat)
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['lineFormat'], message: (err as Error).message })
    }
    if (c.maxInFlight !== undefined && c.maxInFlight < c.batch.maxSize) {
      ctx.addIssue({
        code: 'custom',
        path: ['maxInFlight'],
        message: `${c.maxInFlight} is below batch.maxSize ${c.batch.maxSize}, so no batch could fill: raise maxInFlight to at least ${c.batch.maxSize} (or leave it unset: it follows the batch size, ${IN_FLIGHT_BATCHES} × batch.maxSize)`,
      })
    }
    if (c.embedder.apiKey !== '' && URL.canParse(c.embedder.url) && (new URL(c.embedder.url).username !== '' || new URL(c.embedder.url).password !== '')) {
      ctx.addIssue({ code: 'custom', path: ['embedder.apiKey'], message: 'give the embedding service a bearer key or credentials in embedder.url, not both' })
    }
  })
  .transform((c) => ({ ...c, maxInFlight: c.maxInFlight ?? IN_FLIGHT_BATCHES * c.batch.maxSize }))

/** The validated configuration. */
export type Config = z.output<typeof CONFIG_SCHEMA>

/** One configuration field: its dotted key, schema and metadata, and whether its name says it is secret. */
export interface ConfigField {
  readonly key: string
  readonly schema: z.ZodType
  readonly meta: FieldMeta & { readonly flag: string }
  readonly secret: boolean
}

function flatten(shape: Record<string, z.ZodType>, prefix = ''): ConfigField[] {
  return Object.entries(shape).flatMap(([name, schema]) => {
    const key = prefix + name
    if (FIELDS.has(schema)) return [{ key, schema, meta: metaOf(schema) as ConfigField['meta'], secret: isSecret(key) }]
    return flatten((schema as z.ZodPrefault<z.ZodObject>).unwrap().shape as Record<string, z.ZodType>, `${key}.`)
  })
}

/** Every configuration field, in schema order. */
export const CONFIG_FIELDS: readonly ConfigField[] = flatten(fields)

/** The `--config FILE` option every command that reads the configuration takes. */
export const CONFIG_FILE_OPTION = optionalField(text(), { flag: 'config', env: ['LOGSTREAM_CONFIG'], description: 'A YAML or JSON file of configuration fields (nested or dotted keys)' })

export interface LoadOptions {
  /** Flags from the command line, by flag name (without `--`); repeated flags give several values. */
  readonly flags?: ReadonlyMap<string, readonly string[]>
  readonly env?: NodeJS.ProcessEnv
  /** A YAML or JSON file of fields by key (nested or dotted); also `LOGSTREAM_CONFIG` or `--config`. */
  readonly file?: string | undefined
  /** Values by field key that win over everything (a command's own arguments, e.g. a collection name). */
  readonly overrides?: Readonly<Record<string, unknown>>
}

function getPath(obj: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj)
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.')
  let o = obj
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>
  o[parts.at(-1)!] = value
}

function flattenKeys(obj: Record<string, unknown>, known: ReadonlySet<string>, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) => {
    const key = prefix + k
    return v && typeof v === 'object' && !Array.isArray(v) && !known.has(key) ? flattenKeys(v as Record<string, unknown>, known, `${key}.`) : [key]
  })
}

function readFile(file: string, issues: ConfigIssue[]): Record<string, unknown> {
  try {
    const parsed: unknown = parseYaml(readFileSync(file, 'utf8'))
    if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new Error('the file must hold a mapping of fields')
    return (parsed ?? {}) as Record<string, unknown>
  } catch (err) {
    issues.push({ field: 'config', message: `cannot read ${file}: ${(err as Error).message}` })
    return {}
  }
}

/**
 * Builds the configuration from defaults < file < environment < flags, and
 * validates it. Throws `ConfigError` listing every problem.
 *
 * @example
 * const config = loadConfig({ flags: new Map([['batch-size', ['500']]]), env: process.env })
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? {}
  const flags = opts.flags ?? new Map<string, readonly string[]>()
  const issues: ConfigIssue[] = []
  const file = opts.file ?? flags.get(metaOf(CONFIG_FILE_OPTION).flag!)?.at(-1) ?? metaOf(CONFIG_FILE_OPTION).env!.map((e) => env[e]).find(Boolean)
  const fromFile = file ? readFile(file, issues) : {}
  const known = new Set(CONFIG_FIELDS.map((f) => f.key))
  for (const key of flattenKeys(fromFile, known)) if (!known.has(key)) issues.push({ field: key, message: `unknown field in ${file}` })

  const input: Record<string, unknown> = {}
  for (const f of CONFIG_FIELDS) {
    const candidates: Array<[unknown, string]> = []
    const inFile = fromFile[f.key] ?? getPath(fromFile, f.key)
    if (inFile !== undefined) candidates.push([inFile, `config file ${file}`])
    const envName = f.meta.env?.find((name) => env[name] !== undefined && env[name] !== '')
    if (envName) candidates.push([env[envName], `environment ${envName}`])
    const flagValues = flags.get(f.meta.flag)
    if (flagValues && flagValues.length > 0) candidates.push([f.meta.kind === 'map' ? flagValues : flagValues.at(-1), `flag --${f.meta.flag}`])
    if (opts.overrides && f.key in opts.overrides) candidates.push([opts.overrides[f.key], 'the command line'])
    // Each candidate is checked alone, so a problem names where it came from; maps add up, the rest override.
    let value: unknown
    for (const [raw, from] of candidates) {
      const r = f.schema.safeParse(raw)
      if (!r.success) issues.push(...r.error.issues.map((i) => ({ field: f.key, message: `${i.message} (from ${from})` })))
      else value = f.meta.kind === 'map' ? { ...(value as object), ...(r.data as object) } : raw
    }
    if (value !== undefined) setPath(input, f.key, value)
  }
  if (issues.length > 0) throw new ConfigError(issues)
  const r = CONFIG_SCHEMA.safeParse(input)
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })))
  return r.data
}
