/**
 * Configuration, defined once: every field has a type, a default, a
 * description, the environment names and flag that set it, and whether it is a
 * secret. Values come from defaults < config file < environment < flags; all
 * problems are reported together, naming the field and what is allowed.
 * `--help` and the README table are generated from this schema.
 */
import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { ConfigError, type ConfigIssue } from '../core/errors.ts'

type Kind =
  | { type: 'string'; allowEmpty?: boolean }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'list' }
  | { type: 'duration'; min?: number }
  | { type: 'map' }

export interface FieldSpec {
  readonly key: string
  readonly kind: Kind
  readonly default: unknown
  readonly description: string
  readonly env?: readonly string[]
  readonly flag?: string
  readonly secret?: boolean
}

const f = (key: string, kind: Kind, def: unknown, description: string, more: Partial<Omit<FieldSpec, 'key' | 'kind' | 'default' | 'description'>> = {}): FieldSpec => ({
  key,
  kind,
  default: def,
  description,
  ...more,
})
const str = { type: 'string' } as const
const int = (min = 0, max = Number.MAX_SAFE_INTEGER): Kind => ({ type: 'int', min, max })
const bool = { type: 'bool' } as const
const oneOf = (...values: string[]): Kind => ({ type: 'enum', values })
const dur = (min = 0): Kind => ({ type: 'duration', min })

/** Every configuration field of logstream. */
export const SCHEMA: readonly FieldSpec[] = [
  f('job', str, 'logs', 'Job name: names the checkpoint file, so each job resumes its own progress', { env: ['LOGSTREAM_JOB'], flag: 'job' }),
  f('source', str, 'file:data/hdfs/HDFS_2k.log', "Where records come from: 'kafka', or 'file:PATH' (raw HDFS lines or JSON lines)", { env: ['LOGSTREAM_SOURCE'], flag: 'source' }),
  f('follow', bool, false, 'With a file source: keep reading as the file grows', { env: ['LOGSTREAM_FOLLOW'], flag: 'follow' }),
  f('stopWhenIdle', dur(), 0, 'Stop (exit 0) after this long with nothing to read and nothing in flight; 0 runs for ever', { env: ['LOGSTREAM_STOP_WHEN_IDLE'], flag: 'stop-when-idle' }),

  f('kafka.brokers', str, 'localhost:9092', 'Kafka bootstrap servers, comma-separated', { env: ['KAFKA_SERVERS', 'KAFKA_BROKERS'], flag: 'brokers' }),
  f('kafka.topics', { type: 'list' }, ['logs'], 'Topics to read, comma-separated', { env: ['KAFKA_TOPICS'], flag: 'topics' }),
  f('kafka.partitions', { type: 'string', allowEmpty: true }, '', "Partition-group mode: the partitions this instance owns, e.g. 'logs:0-3,other:1'; empty for consumer-group mode", { env: ['LOGSTREAM_PARTITIONS'], flag: 'partitions' }),
  f('kafka.groupId', str, 'logstream', 'Consumer group id (consumer-group mode; also where offsets are committed for monitoring)', { env: ['KAFKA_GROUP_ID', 'LOGSTREAM_GROUP_ID'], flag: 'group-id' }),
  f('kafka.startingOffsets', oneOf('earliest', 'latest'), 'earliest', 'Where a new job starts in a partition with no checkpoint', { env: ['LOGSTREAM_STARTING_OFFSETS'], flag: 'starting-offsets' }),
  f('kafka.properties', { type: 'map' }, {}, "librdkafka properties passed through, 'key=value' (repeat the flag; comma-separated in the environment), e.g. security.protocol=SASL_SSL", { env: ['LOGSTREAM_KAFKA_PROPERTIES'], flag: 'kafka-property', secret: true }),
  f('kafka.dlqTopic', { type: 'string', allowEmpty: true }, '', "Dead-letter topic for malformed messages read from Kafka; empty means '<first topic>.dlq'", { env: ['LOGSTREAM_DLQ_TOPIC'], flag: 'dlq-topic' }),
  f('kafka.dlqEnabled', bool, true, 'Publish malformed Kafka messages to the dead-letter topic (they are always kept in the checkpoint store too)', { env: ['LOGSTREAM_DLQ_ENABLED'], flag: 'dlq' }),

  f('batch.maxSize', int(1, 1_000_000), 1000, 'Records in a micro-batch at most', { env: ['BATCH_SIZE', 'LOGSTREAM_BATCH_SIZE'], flag: 'batch-size' }),
  f('batch.trigger', dur(1), 15_000, "Longest a batch stays open after its first record (e.g. '15s', '500ms')", { env: ['TRIGGER_INTERVAL', 'LOGSTREAM_TRIGGER'], flag: 'trigger' }),
  f('maxInFlight', int(1), 5000, 'Records read and not yet committed at most; the source pauses beyond it', { env: ['LOGSTREAM_MAX_IN_FLIGHT'], flag: 'max-in-flight' }),
  f('maxMessageBytes', int(1), 1_048_576, 'Largest message accepted; larger ones are dead-lettered', { env: ['LOGSTREAM_MAX_MESSAGE_BYTES'], flag: 'max-message-bytes' }),
  f('recentIds', int(0), 200_000, 'Recently stored ids remembered, so replays and duplicates cost no look-up', { env: ['LOGSTREAM_RECENT_IDS'], flag: 'recent-ids' }),

  f('embedder.kind', oneOf('builtin', 'http', 'none'), 'builtin', "Embedder: 'builtin' (model-free, in process), 'http' (an embedding service), 'none' (constant vectors, for benchmarks)", { env: ['LOGSTREAM_EMBEDDER'], flag: 'embedder' }),
  f('embedder.url', str, 'http://localhost:8000/embed', 'Embedding service URL', { env: ['EMBEDDING_SERVICE_URL'], flag: 'embedding-url' }),
  f('embedder.api', oneOf('logstream', 'tei', 'openai', 'ollama'), 'logstream', "Request shape: 'logstream' ({texts} → {embeddings}), 'tei' (text-embeddings-inference), 'openai' (/v1/embeddings), 'ollama' (/api/embed)", { env: ['EMBEDDING_API'], flag: 'embedding-api' }),
  f('embedder.model', { type: 'string', allowEmpty: true }, '', 'Model name sent to OpenAI-compatible and Ollama services', { env: ['EMBEDDING_MODEL'], flag: 'embedding-model' }),
  f('embedder.apiKey', { type: 'string', allowEmpty: true }, '', 'Bearer key for the embedding service', { env: ['EMBEDDING_API_KEY'], flag: 'embedding-api-key', secret: true }),
  f('embedder.batchSize', int(1, 100_000), 256, 'Texts per embedding request', { env: ['EMBEDDING_BATCH_SIZE'], flag: 'embedding-batch-size' }),
  f('embedder.concurrency', int(1, 64), 2, 'Embedding requests in flight at most', { env: ['EMBEDDING_CONCURRENCY'], flag: 'embedding-concurrency' }),
  f('embedder.timeout', dur(1), 30_000, 'Timeout of one embedding request', { env: ['EMBEDDING_TIMEOUT'], flag: 'embedding-timeout' }),

  f('sink.kind', oneOf('embedded', 'qdrant'), 'embedded', "Vector store: 'embedded' (SQLite + sqlite-vec file in the data directory) or 'qdrant'", { env: ['LOGSTREAM_SINK'], flag: 'sink' }),
  f('collection', str, 'logs_embeddings', 'Collection the points are stored in', { env: ['COLLECTION'], flag: 'collection' }),
  f('dim', int(1, 65_536), 384, 'Vector dimension', { env: ['DIM'], flag: 'dim' }),
  f('dataDir', str, '.logstream', 'Directory of the embedded vector store', { env: ['LOGSTREAM_DATA_DIR'], flag: 'data-dir' }),
  f('embeddedCacheMb', int(1, 65_536), 16, "Page cache of the embedded vector store in MiB: more keeps a large store's id index in memory, at that cost in RSS", { env: ['LOGSTREAM_EMBEDDED_CACHE_MB'], flag: 'embedded-cache-mb' }),
  f('checkpointDir', str, '.logstream/checkpoints', 'Directory of the checkpoint files (mount it as a volume)', { env: ['CHECKPOINT_DIR', 'LOGSTREAM_CHECKPOINT_DIR'], flag: 'checkpoint-dir' }),

  f('qdrant.url', { type: 'string', allowEmpty: true }, '', 'Qdrant URL (overrides host, port and https)', { env: ['QDRANT_URL'], flag: 'qdrant-url' }),
  f('qdrant.host', str, 'localhost', 'Qdrant host', { env: ['QDRANT_HOST'], flag: 'qdrant-host' }),
  f('qdrant.port', int(1, 65_535), 6333, 'Qdrant REST port', { env: ['QDRANT_PORT'], flag: 'qdrant-port' }),
  f('qdrant.https', bool, false, 'Use HTTPS to reach Qdrant', { env: ['QDRANT_HTTPS'], flag: 'qdrant-https' }),
  f('qdrant.apiKey', { type: 'string', allowEmpty: true }, '', 'Qdrant API key', { env: ['QDRANT_API_KEY'], flag: 'qdrant-api-key', secret: true }),
  f('qdrant.timeout', dur(1), 30_000, 'Timeout of one Qdrant request', { env: ['QDRANT_TIMEOUT'], flag: 'qdrant-timeout' }),
  f('qdrant.shardNumber', int(1, 1024), 1, 'Shards of a new collection', { env: ['QDRANT_SHARD_NUMBER'], flag: 'qdrant-shards' }),
  f('qdrant.replicationFactor', int(1, 64), 1, 'Replicas of each shard of a new collection', { env: ['QDRANT_REPLICATION_FACTOR'], flag: 'qdrant-replication-factor' }),
  f('qdrant.writeConsistencyFactor', int(1, 64), 1, 'Replicas that must acknowledge a write (new collection)', { env: ['QDRANT_WRITE_CONSISTENCY_FACTOR'], flag: 'qdrant-write-consistency' }),
  f('qdrant.onDiskVectors', bool, false, 'Keep the vectors of a new collection on disk', { env: ['QDRANT_ON_DISK_VECTORS'], flag: 'qdrant-on-disk-vectors' }),
  f('qdrant.onDiskPayload', bool, false, 'Keep the payload of a new collection on disk', { env: ['QDRANT_ON_DISK_PAYLOAD'], flag: 'qdrant-on-disk-payload' }),
  f('qdrant.quantization', oneOf('none', 'int8'), 'none', 'Scalar quantization of a new collection', { env: ['QDRANT_QUANTIZATION'], flag: 'qdrant-quantization' }),
  f('qdrant.writeOrdering', oneOf('weak', 'medium', 'strong'), 'weak', 'Write ordering of upserts', { env: ['QDRANT_WRITE_ORDERING'], flag: 'qdrant-write-ordering' }),
  f('qdrant.upsertBatchSize', int(1, 10_000), 128, 'Points per upsert request at most', { env: ['QDRANT_UPSERT_BATCH_SIZE'], flag: 'qdrant-upsert-batch-size' }),
  f('qdrant.upsertConcurrency', int(1, 32), 2, 'Upsert requests in flight at most', { env: ['QDRANT_UPSERT_CONCURRENCY'], flag: 'qdrant-upsert-concurrency' }),

  f('http.enabled', bool, true, 'Serve /metrics, /healthz, /readyz and the status page', { env: ['LOGSTREAM_HTTP'], flag: 'http' }),
  f('http.host', str, '0.0.0.0', 'Address of the metrics and status server', { env: ['METRICS_HOST'], flag: 'metrics-host' }),
  f('http.port', int(0, 65_535), 9400, 'Port of the metrics and status server (0 picks a free one)', { env: ['METRICS_PORT'], flag: 'metrics-port' }),
  f('readiness.stall', dur(1000), 300_000, '/readyz fails when no batch committed for this long while records wait', { env: ['LOGSTREAM_STALL_AFTER'], flag: 'stall-after' }),
  f('shutdownTimeout', dur(0), 30_000, 'On SIGTERM: how long the batch in flight may take to finish before exit', { env: ['LOGSTREAM_SHUTDOWN_TIMEOUT'], flag: 'shutdown-timeout' }),
  f('log.level', oneOf('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'), 'info', 'Log level', { env: ['LOG_LEVEL'], flag: 'log-level' }),
  f('log.format', oneOf('auto', 'json', 'pretty'), 'auto', "Log format: 'auto' is readable on a terminal and JSON lines otherwise", { env: ['LOG_FORMAT'], flag: 'log-format' }),
]

export interface Config {
  job: string
  source: string
  follow: boolean
  stopWhenIdle: number
  kafka: {
    brokers: string
    topics: string[]
    partitions: string
    groupId: string
    startingOffsets: 'earliest' | 'latest'
    properties: Record<string, string>
    dlqTopic: string
    dlqEnabled: boolean
  }
  batch: { maxSize: number; trigger: number }
  maxInFlight: number
  maxMessageBytes: number
  recentIds: number
  embedder: {
    kind: 'builtin' | 'http' | 'none'
    url: string
    api: 'logstream' | 'tei' | 'openai' | 'ollama'
    model: string
    apiKey: string
    batchSize: number
    concurrency: number
    timeout: number
  }
  sink: { kind: 'embedded' | 'qdrant' }
  collection: string
  dim: number
  dataDir: string
  embeddedCacheMb: number
  checkpointDir: string
  qdrant: {
    url: string
    host: string
    port: number
    https: boolean
    apiKey: string
    timeout: number
    shardNumber: number
    replicationFactor: number
    writeConsistencyFactor: number
    onDiskVectors: boolean
    onDiskPayload: boolean
    quantization: 'none' | 'int8'
    writeOrdering: 'weak' | 'medium' | 'strong'
    upsertBatchSize: number
    upsertConcurrency: number
  }
  http: { enabled: boolean; host: string; port: number }
  readiness: { stall: number }
  shutdownTimeout: number
  log: { level: string; format: 'auto' | 'json' | 'pretty' }
}

const SECRET_KEY = /pass(word)?|secret|token|key|credential/i

/** A copy of the configuration safe to log or show: secrets replaced by `***`. */
export function maskSecrets(config: Config): Config {
  const copy = structuredClone(config) as unknown as Record<string, unknown>
  for (const spec of SCHEMA) {
    if (!spec.secret) continue
    const value = getPath(copy, spec.key)
    if (spec.kind.type === 'map' && value && typeof value === 'object') {
      const masked: Record<string, string> = {}
      for (const [k, v] of Object.entries(value as Record<string, string>)) masked[k] = SECRET_KEY.test(k) ? '***' : v
      setPath(copy, spec.key, masked)
    } else if (value !== '' && value !== undefined) setPath(copy, spec.key, '***')
  }
  return copy as unknown as Config
}

/** Parses `15s`, `500ms`, `2m`, `1h` or a bare number of milliseconds. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (!m) return null
  const n = Number(m[1])
  const unit = m[2] ?? 'ms'
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!)
}

function coerce(spec: FieldSpec, raw: unknown, from: string): { value?: unknown; issue?: string } {
  const k = spec.kind
  const text = typeof raw === 'string' ? raw.trim() : raw
  switch (k.type) {
    case 'string':
      if (typeof text !== 'string') return { issue: `must be a string (from ${from})` }
      if (text === '' && !k.allowEmpty) return { issue: `must not be empty (from ${from})` }
      return { value: text }
    case 'int': {
      const n = typeof text === 'number' ? text : typeof text === 'string' && /^-?\d+$/.test(text) ? Number(text) : NaN
      if (!Number.isSafeInteger(n)) return { issue: `must be a whole number, got ${JSON.stringify(raw)} (from ${from})` }
      if ((k.min !== undefined && n < k.min) || (k.max !== undefined && n > k.max)) {
        return { issue: `must be between ${k.min} and ${k.max}, got ${n} (from ${from})` }
      }
      return { value: n }
    }
    case 'bool':
      if (typeof text === 'boolean') return { value: text }
      if (typeof text === 'string' && /^(1|true|yes|on)$/i.test(text)) return { value: true }
      if (typeof text === 'string' && /^(0|false|no|off)$/i.test(text)) return { value: false }
      return { issue: `must be true or false, got ${JSON.stringify(raw)} (from ${from})` }
    case 'enum':
      if (typeof text !== 'string' || !k.values.includes(text)) {
        return { issue: `must be one of ${k.values.join(', ')}, got ${JSON.stringify(raw)} (from ${from})` }
      }
      return { value: text }
    case 'list': {
      const items = Array.isArray(text) ? text.map(String) : typeof text === 'string' ? text.split(',') : null
      const cleaned = items?.map((s) => s.trim()).filter((s) => s !== '')
      if (!cleaned || cleaned.length === 0) return { issue: `must be a non-empty comma-separated list (from ${from})` }
      return { value: cleaned }
    }
    case 'duration': {
      const ms = typeof text === 'number' ? text : typeof text === 'string' ? parseDuration(text) : null
      if (ms === null || !Number.isFinite(ms) || ms < 0) return { issue: `must be a duration like 15s, 500ms or 2m, got ${JSON.stringify(raw)} (from ${from})` }
      if (k.min !== undefined && ms < k.min && !(ms === 0 && k.min <= 0)) return { issue: `must be at least ${k.min} ms, got ${ms} (from ${from})` }
      return { value: ms }
    }
    case 'map': {
      if (text && typeof text === 'object' && !Array.isArray(text)) {
        return { value: Object.fromEntries(Object.entries(text).map(([a, b]) => [a, String(b)])) }
      }
      const pairs = Array.isArray(text) ? text.map(String) : typeof text === 'string' ? text.split(',') : null
      if (!pairs) return { issue: `must be key=value pairs (from ${from})` }
      const out: Record<string, string> = {}
      for (const pair of pairs.map((p) => p.trim()).filter(Boolean)) {
        const eq = pair.indexOf('=')
        if (eq <= 0) return { issue: `must be key=value pairs, got ${JSON.stringify(pair.replace(/=.*/, '=…'))} (from ${from})` }
        out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim()
      }
      return { value: out }
    }
  }
}

function getPath(obj: Record<string, unknown>, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj)
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.')
  let o = obj
  for (const p of parts.slice(0, -1)) o = (o[p] ??= {}) as Record<string, unknown>
  o[parts.at(-1)!] = value
}

export interface LoadOptions {
  /** Flags from the command line, by flag name (without `--`); repeated flags give several values. */
  readonly flags?: ReadonlyMap<string, readonly string[]>
  readonly env?: NodeJS.ProcessEnv
  /** A YAML or JSON file of fields by key (nested or dotted); also `LOGSTREAM_CONFIG` or `--config`. */
  readonly file?: string | undefined
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
  const flags = opts.flags ?? new Map()
  const issues: ConfigIssue[] = []
  const out: Record<string, unknown> = {}
  const file = opts.file ?? flags.get('config')?.at(-1) ?? env.LOGSTREAM_CONFIG
  let fromFile: Record<string, unknown> = {}
  if (file) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'))
      if (parsed !== null && parsed !== undefined && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new Error('the file must hold a mapping of fields')
      fromFile = (parsed ?? {}) as Record<string, unknown>
    } catch (err) {
      issues.push({ field: 'config', message: `cannot read ${file}: ${(err as Error).message}` })
    }
  }
  const known = new Set(SCHEMA.map((s) => s.key))
  for (const key of flattenKeys(fromFile)) if (!known.has(key)) issues.push({ field: key, message: `unknown field in ${file}` })

  for (const spec of SCHEMA) {
    let value = spec.default
    const candidates: Array<[unknown, string]> = []
    const inFile = fromFile[spec.key] ?? getPath(fromFile, spec.key)
    if (inFile !== undefined) candidates.push([inFile, `config file ${file}`])
    const envName = spec.env?.find((name) => env[name] !== undefined && env[name] !== '')
    if (envName) candidates.push([env[envName], `environment ${envName}`])
    const flagValues = spec.flag ? flags.get(spec.flag) : undefined
    if (flagValues && flagValues.length > 0) {
      candidates.push([spec.kind.type === 'map' ? flagValues : flagValues.at(-1), `flag --${spec.flag}`])
    }
    for (const [raw, from] of candidates) {
      const { value: v, issue } = coerce(spec, raw, from)
      if (issue) issues.push({ field: spec.key, message: issue })
      else value = spec.kind.type === 'map' ? { ...(value as object), ...(v as object) } : v
    }
    setPath(out, spec.key, structuredClone(value))
  }
  const config = out as unknown as Config
  issues.push(...crossFieldIssues(config))
  if (issues.length > 0) throw new ConfigError(issues)
  return config
}

function flattenKeys(obj: Record<string, unknown>, prefix = ''): string[] {
  const keys: string[] = []
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (v && typeof v === 'object' && !Array.isArray(v) && !SCHEMA.some((s) => s.key === key)) keys.push(...flattenKeys(v as Record<string, unknown>, key))
    else keys.push(key)
  }
  return keys
}

function crossFieldIssues(c: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  if (c.source !== 'kafka' && !c.source.startsWith('file:')) {
    issues.push({ field: 'source', message: `must be 'kafka' or 'file:PATH', got ${JSON.stringify(c.source)}` })
  }
  if (c.source === 'file:') issues.push({ field: 'source', message: "'file:' needs a path, e.g. file:data/hdfs/HDFS_2k.log" })
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(c.job)) issues.push({ field: 'job', message: `must be letters, digits, '.', '_' or '-', got ${JSON.stringify(c.job)}` })
  if (c.kafka.partitions !== '') {
    for (const part of c.kafka.partitions.split(',').map((s) => s.trim())) {
      const m = /^([^:]+):(\d+)(?:-(\d+))?$/.exec(part)
      if (!m || (m[3] !== undefined && Number(m[3]) < Number(m[2]))) {
        issues.push({ field: 'kafka.partitions', message: `must be TOPIC:N or TOPIC:FROM-TO, comma-separated, got ${JSON.stringify(part)}` })
      }
    }
  }
  if (c.embedder.kind === 'http') {
    try {
      new URL(c.embedder.url)
    } catch {
      issues.push({ field: 'embedder.url', message: `must be a URL, got ${JSON.stringify(c.embedder.url)}` })
    }
  }
  if (c.qdrant.url !== '') {
    try {
      new URL(c.qdrant.url)
    } catch {
      issues.push({ field: 'qdrant.url', message: `must be a URL, got ${JSON.stringify(c.qdrant.url)}` })
    }
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(c.collection)) issues.push({ field: 'collection', message: `must be letters, digits, '.', '_' or '-', got ${JSON.stringify(c.collection)}` })
  return issues
}

/** Help lines for every field: flag, environment names, default, description. */
export function configHelp(): string {
  const rows = SCHEMA.filter((s) => s.flag).map((s) => {
    const def = s.secret ? '' : s.kind.type === 'duration' ? ` (default ${formatDuration(s.default as number)})` : ` (default ${JSON.stringify(s.default)})`
    const env = s.env?.length ? ` [env ${s.env.join(', ')}]` : ''
    return `  --${s.flag}${s.kind.type === 'bool' ? '' : ' VALUE'}\n      ${s.description}${def}${env}`
  })
  return rows.join('\n')
}

/** The README table of configuration fields, in Markdown. */
export function configMarkdownTable(): string {
  const lines = ['| field | flag | environment | default | description |', '| --- | --- | --- | --- | --- |']
  for (const s of SCHEMA) {
    const def = s.kind.type === 'duration' ? formatDuration(s.default as number) : JSON.stringify(s.default)
    lines.push(`| \`${s.key}\` | ${s.flag ? `\`--${s.flag}\`` : ''} | ${(s.env ?? []).map((e) => `\`${e}\``).join(', ')} | \`${def}\` | ${s.description.replace(/\|/g, '\\|')}${s.secret ? ' (secret: masked in logs and the status page)' : ''} |`)
  }
  return lines.join('\n')
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0'
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

/** Flag names that belong to the configuration (each command accepts them). */
export const CONFIG_FLAGS: ReadonlySet<string> = new Set(['config', ...SCHEMA.flatMap((s) => (s.flag ? [s.flag] : []))])

/** Flags that are booleans (take no value; `--no-x` sets false). */
export const BOOLEAN_FLAGS: ReadonlySet<string> = new Set(SCHEMA.filter((s) => s.kind.type === 'bool' && s.flag).map((s) => s.flag!))
