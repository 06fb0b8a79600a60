/**
 * `npm run bench`: throughput, latency and memory of logstream against the
 * ceiling measured in the same run on the same data.
 *
 * Generates realistic HDFS traffic (bench/hdfs-traffic.ts), loads it into
 * topics of a real Kafka broker (scripts/kafka.sh, or BENCH_KAFKA=host:port),
 * and runs each row in a process of its own:
 *   1 ceiling  a bare librdkafka consumer reading and JSON-parsing the messages (the median of BENCH_CEILING_RUNS, 3)
 *   2 engine   the job with a no-op embedder and the embedded store
 *   3          the job with the built-in embedder and the embedded store
 *   4          the job with the HTTP embedder (serve-embeddings) and the Qdrant stand-in
 *   4q         the same with a real Qdrant (one node from scripts/qdrant.sh on the same cores)
 *   5 replay   row 2's data again, everything already stored (the recent-id cache starts with the store's ids)
 *   6 latency  p50/p99 from Kafka timestamp to sink acknowledgement at a fixed offered rate
 *   7 memory   peak RSS while a backlog drains
 *   8, 9       the production path, first load and replay: the HTTP embedder against
 *              serve-embeddings and a real Qdrant, each service in a process of its own
 *              (their CPU time is reported beside the job's), in the set-up of issue 15:
 *              100,000 messages, 3 partitions, 1 s trigger
 *   8g         row 8 with the upserts over Qdrant's gRPC API (--qdrant-prefer-grpc), into a collection of its own
 *   8m         row 8 with --embedding-text masked (the service is sent each shape once), into a collection of its own
 *   10, 11     reading text lines in process: parse with format detection, and masking (bench/formats.ts)
 *   2s, 3o     rows 2 and 3 with anomaly scoring the other way (on for the no-op embedder, off for the built-in)
 *   12, 13     the score stage in process: HDFS traffic, and every line a new shape (bench/scoring.ts); 12q, 13q with a real Qdrant
 * then scaling figures (batch size, partitions, one or two instances).
 * Prints a table and writes bench-results/latest.json.
 *
 * Sizes: BENCH_MESSAGES (200000), BENCH_NEW_SHAPES (10000, row 13), BENCH_BACKLOG (1000000), BENCH_HTTP_MESSAGES (50000), BENCH_PROD_MESSAGES (100000),
 * BENCH_RATE (5000 msg/s) for BENCH_RATE_SECONDS (20), BENCH_DUPLICATES (0.1); BENCH_QUICK=1 shrinks all.
 * BENCH_ROWS=4,4q runs those rows only (and the ceiling, which every ratio needs); `scaling` names the scaling figures.
 * BENCH_JOB_FLAGS='name=value …' adds job flags to every job row (experiments: heap growth, in-flight limit).
 * BENCH_PROFILE=DIR runs every row under `node --cpu-prof`, a folder of profiles a row in DIR
 * (bench/profile-summary.ts summarises one).
 */
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { hdfsTraffic } from './hdfs-traffic.ts'
import { parseRecord } from '../operators/parse.ts'
import type { RowResult, Task } from './worker.ts'
import { READY_LINE } from './worker-protocol.ts'
import { startEmbeddingServer } from '../src/services/embedding-server.ts'
import { connectProducer } from '../operators/kafka-clients.ts'
import { imageProcessEnv, startEmbeddingProcess, startQdrantProcess, type ServiceProcess } from './processes.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const quick = process.env.BENCH_QUICK === '1'
const num = (name: string, dflt: number, small: number) => Number(process.env[name] ?? (quick ? small : dflt))
const N = num('BENCH_MESSAGES', 200_000, 20_000)
const BACKLOG = num('BENCH_BACKLOG', 1_000_000, 50_000)
const HTTP_N = num('BENCH_HTTP_MESSAGES', 50_000, 5_000)
const NEW_SHAPES = num('BENCH_NEW_SHAPES', 10_000, 3_000)
const PROD_N = num('BENCH_PROD_MESSAGES', 100_000, 10_000)
const PROFILE = process.env.BENCH_PROFILE
const RATE = num('BENCH_RATE', 5000, 2000)
const RATE_SECONDS = num('BENCH_RATE_SECONDS', 20, 5)
// One ceiling run is under two seconds and varies by a fifth between runs (BENCHMARKS.md, Round 20): every ratio is taken
// against the median of a few.
const CEILING_RUNS = num('BENCH_CEILING_RUNS', 3, 1)
const DUPLICATES = Number(process.env.BENCH_DUPLICATES ?? 0.1)
const ROWS = process.env.BENCH_ROWS?.split(',').map((r) => r.trim())
/**
 * BENCH_JOB_FLAGS='heap-growing-percent=0 max-in-flight=20000': flags added to every job row, for experiments; a flag
 * named twice is repeated (`kafka-property=fetch.min.bytes=1 kafka-property=…`).
 */
const EXTRA_FLAGS: Record<string, string[]> = {}
for (const kv of (process.env.BENCH_JOB_FLAGS ?? '').split(/\s+/).filter(Boolean)) {
  const name = kv.slice(0, kv.indexOf('='))
  ;(EXTRA_FLAGS[name] ??= []).push(kv.slice(kv.indexOf('=') + 1))
}
const want = (row: string) => !ROWS || ROWS.includes(row)

interface Row extends RowResult {
  name: string
  note?: string
}

const work = mkdtempSync(join(tmpdir(), 'logstream-bench-'))
// Topic names of this run: a broker given with BENCH_KAFKA may hold topics of earlier runs.
const RUN = Date.now().toString(36)
const t = (name: string) => `${name}-${RUN}`
let brokers = process.env.BENCH_KAFKA ?? ''
const kafkaEnv = { ...process.env, LOGSTREAM_KAFKA_RUN: join(work, 'kafka') }

function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`)
}

/** Messages (key TAB JSON value) of HDFS traffic, written to a file for kcat. */
function writeMessages(path: string, count: number, seed: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path)
    out.on('error', reject)
    let i = 0
    const lines = hdfsTraffic({ count, duplicateShare: DUPLICATES, seed })
    const write = () => {
      let ok = true
      while (ok) {
        const next = lines.next()
        if (next.done) return out.end(resolve)
        const parsed = parseRecord({ partition: 'g', offset: i, nextOffset: i + 1, key: null, value: Buffer.from(next.value) }, { maxMessageBytes: 1 << 20 })
        i++
        if ('entry' in parsed) ok = out.write(`${parsed.entry.block_id}\t${JSON.stringify(parsed.entry)}\n`)
      }
      out.once('drain', write)
    }
    write()
  })
}

function createTopic(name: string, partitions: number): void {
  execFileSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'create-topic', name, String(partitions)], { env: { ...kafkaEnv, KAFKA_BOOTSTRAP: brokers }, stdio: 'ignore' })
}

async function loadTopic(name: string, partitions: number, count: number, seed: number): Promise<void> {
  createTopic(name, partitions)
  const file = join(work, `${name}.tsv`)
  await writeMessages(file, count, seed)
  const started = performance.now()
  execFileSync('kcat', ['-P', '-b', brokers, '-t', name, '-K', '\t', '-z', 'lz4', '-X', 'queue.buffering.max.messages=1000000', '-X', 'linger.ms=50', '-l', file], { stdio: 'ignore', maxBuffer: 1 << 20 })
  rmSync(file)
  log(`loaded ${count} messages into ${name} (${partitions} partitions) in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}

const built = process.env.LOGSTREAM_BENCH_BUILT === '1'
// Glibc's malloc arenas and V8's helper threads as the image sets them, unless the bench's environment says otherwise.
const IMAGE_ENV = imageProcessEnv(ROOT)

/** Runs a row's worker to its result; `onReady` is called when a job worker's partitions are assigned (row 6 asks for it). */
function runWorker(task: Task, profileAs?: string, onReady?: () => void): Promise<RowResult> {
  return new Promise((resolve, reject) => {
    // Rows run as the container image runs the job: the compiled build (when bin/bench.js has just built it)
    const worker = built ? [join(ROOT, 'dist/bench/worker.js')] : ['--import', 'tsx', join(ROOT, 'bench/worker.ts')]
    if (PROFILE && profileAs) worker.unshift('--cpu-prof', `--cpu-prof-dir=${join(PROFILE, profileAs)}`)
    const env = { ...IMAGE_ENV, ...process.env }
    const child = spawn(process.execPath, [...worker, JSON.stringify(task)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (onReady && out.includes(READY_LINE)) {
        onReady()
        onReady = undefined
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1)
      if (code !== 0 || !line) return reject(new Error(`worker for ${JSON.stringify(task).slice(0, 200)} exited ${code}`))
      resolve(JSON.parse(line) as RowResult)
    })
  })
}

/** Flags of a job row reading `topic` from its start and stopping when drained. */
function jobFlags(topic: string, partitions: number, dir: string, more: Record<string, string> = {}): Record<string, string[]> {
  const flags: Record<string, string> = {
    source: 'kafka',
    brokers,
    topics: topic,
    partitions: `${topic}:0-${partitions - 1}`,
    'data-dir': join(dir, 'data'),
    'checkpoint-dir': join(dir, 'checkpoints'),
    embedder: 'none',
    'batch-size': '1000',
    trigger: '1s',
    'max-in-flight': '5000',
    'stop-when-idle': '2s',
    'log-level': 'warn',
    ...more,
  }
  return { ...Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, [v]])), ...EXTRA_FLAGS }
}

/** Waits until a collection's optimizers are done (status green); returns the seconds it took. */
async function qdrantIndexed(url: string, collection: string): Promise<number> {
  const started = performance.now()
  for (;;) {
    const res = (await (await fetch(`${url}/collections/${collection}`)).json()) as { result: { status: string } }
    if (res.result.status === 'green') return (performance.now() - started) / 1000
    await new Promise((r) => setTimeout(r, 250))
  }
}

function table(rows: Row[], ceiling: number): string {
  const head = ['row', 'messages', 'msg/s', 'CPU µs/msg', 'vs ceiling', 'p50 ms', 'p99 ms', 'peak RSS MB', 'embed calls', 'sink writes', 'note']
  const lines = rows.map((r) => [
    r.name,
    String(r.messages),
    Math.round(r.messages / r.seconds).toLocaleString('en-US'),
    ((r.cpuSeconds / r.messages) * 1e6).toFixed(1),
    `${((r.messages / r.seconds / ceiling) * 100).toFixed(0)}%`,
    r.latencyMs ? r.latencyMs.p50.toFixed(0) : '',
    r.latencyMs ? r.latencyMs.p99.toFixed(0) : '',
    r.peakRssMb.toFixed(0),
    r.embedCalls === undefined ? '' : String(r.embedCalls),
    r.sinkWrites === undefined ? '' : String(r.sinkWrites),
    r.note ?? '',
  ])
  const all = [head, ...lines]
  const widths = head.map((_, i) => Math.max(...all.map((l) => l[i]!.length)))
  const fmt = (l: string[]) => `| ${l.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [fmt(head), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(fmt)].join('\n')
}

async function main(): Promise<void> {
  if (!brokers) {
    execFileSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'fetch'], { stdio: 'inherit' })
    brokers = execFileSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'start'], { env: kafkaEnv, encoding: 'utf8' }).trim().split('\n').at(-1)!
  }
  log(`broker ${brokers}; ${N} messages a row, ${(DUPLICATES * 100).toFixed(0)}% duplicates, ${cpus().length} cores`)
  const rows: Row[] = []
  const scaling: Row[] = []
  const fresh = (name: string) => {
    const dir = join(work, name)
    mkdirSync(dir, { recursive: true })
    return dir
  }
  try {
    await loadTopic(t('bench-3'), 3, N, 1)
    const rateOf = (r: RowResult) => r.messages / r.seconds
    const ceilings: RowResult[] = []
    for (let i = 0; i < CEILING_RUNS; i++) ceilings.push(await runWorker({ kind: 'ceiling', brokers, topic: t('bench-3'), partitions: 3, expected: N }))
    const ceiling = [...ceilings].sort((a, b) => rateOf(a) - rateOf(b))[Math.floor((ceilings.length - 1) / 2)]!
    const runs = ceilings.map((r) => Math.round(rateOf(r)).toLocaleString('en-US')).join(', ')
    rows.push({ name: '1 ceiling: bare consumer + JSON.parse', ...ceiling, note: ceilings.length > 1 ? `median of ${ceilings.length} runs: ${runs} msg/s` : undefined })
    const ceilingRate = rateOf(ceiling)
    log(`ceiling ${Math.round(ceilingRate)} msg/s (runs: ${runs})`)

    const engineDir = fresh('engine')
    if (want('2') || want('5')) rows.push({ name: '2 engine: no-op embedder, embedded store', ...(await runWorker({ kind: 'job', brokers, topic: t('bench-3'), partitions: 3, expected: N, flags: jobFlags(t('bench-3'), 3, engineDir) }, 'engine')) })
    if (want('3')) rows.push({ name: '3 built-in embedder, embedded store', ...(await runWorker({ kind: 'job', brokers, topic: t('bench-3'), partitions: 3, expected: N, flags: jobFlags(t('bench-3'), 3, fresh('builtin'), { embedder: 'builtin' }) }, 'builtin')), note: 'anomaly scoring on (its default here)' })
    // Anomaly scoring the other way round: on for the engine row (its default is off there), off for row 3 (on by default).
    if (want('2s')) rows.push({ name: '2s engine with anomaly scoring on', ...(await runWorker({ kind: 'job', brokers, topic: t('bench-3'), partitions: 3, expected: N, flags: jobFlags(t('bench-3'), 3, fresh('engine-scoring'), { 'anomaly-scoring': 'on' }) }, 'engine-scoring')) })
    if (want('3o')) rows.push({ name: '3o built-in embedder, anomaly scoring off', ...(await runWorker({ kind: 'job', brokers, topic: t('bench-3'), partitions: 3, expected: N, flags: jobFlags(t('bench-3'), 3, fresh('builtin-off'), { embedder: 'builtin', 'anomaly-scoring': 'off' }) }, 'builtin-scoring-off')) })

    if (want('4') || want('4q')) await loadTopic(t('bench-http'), 3, HTTP_N, 2)
    const httpRow = async (key: string, name: string, qdrantUrl: string, note: string) => {
      const embeddings = await startEmbeddingServer({ host: '127.0.0.1', port: 0, dim: 384 })
      try {
        const flags = jobFlags(t('bench-http'), 3, fresh(`http-${key}`), { embedder: 'http', 'embedding-url': `${embeddings.url}/embed`, sink: 'qdrant', 'qdrant-url': qdrantUrl, collection: `bench_${key}` })
        rows.push({ name, ...(await runWorker({ kind: 'job', brokers, topic: t('bench-http'), partitions: 3, expected: HTTP_N, flags }, `http-${key}`)), note: `${HTTP_N} msgs; ${note}` })
      } finally {
        await embeddings.close()
      }
    }
    if (want('4')) {
      const { startQdrantStandIn } = await import('../test/helpers/qdrant-stand-in.ts')
      const qdrant = await startQdrantStandIn()
      await httpRow('4', '4 HTTP embedder + Qdrant stand-in', qdrant.url, 'stand-in validates every request').finally(() => qdrant.close())
    }
    if (want('4q')) {
      // A real Qdrant node beside the broker, from scripts/qdrant.sh; the row is left out where the binary is not at hand.
      let qdrant: (ServiceProcess & { version: string; grpcPort: number }) | undefined
      try {
        qdrant = startQdrantProcess(ROOT, join(work, 'qdrant-4q'))
        // The server's own CPU time, which the job's column does not include.
        const before = qdrant.cpuSeconds()
        await httpRow('4q', `4q HTTP embedder + Qdrant ${qdrant.version} (real)`, qdrant.url, 'one Qdrant node sharing the 2 cores')
        rows.at(-1)!.note += `; Qdrant's own CPU ${(((qdrant.cpuSeconds() - before) / HTTP_N) * 1e6).toFixed(0)} µs/msg`
      } catch (err) {
        log(`row 4q left out: ${(err as Error).message.split('\n')[0]}`)
      } finally {
        await qdrant?.stop()
      }
    }

    // The production path: the HTTP embedder against serve-embeddings and a real Qdrant, each in a process of its own, first load then replay.
    if (want('8') || want('9') || want('8g') || want('8m')) {
      let qdrant: (ServiceProcess & { version: string; grpcPort: number }) | undefined
      let embeddings: ServiceProcess | undefined
      try {
        await loadTopic(t('bench-prod'), 3, PROD_N, 7)
        qdrant = startQdrantProcess(ROOT, join(work, 'qdrant-prod'))
        embeddings = await startEmbeddingProcess(ROOT, built)
        const dir = fresh('prod')
        // 'grpc': upserts over gRPC; 'masked': --embedding-text masked. Each variant loads a collection of its own.
        type Variant = 'rest' | 'grpc' | 'masked'
        const collectionOf = (variant: Variant) => `bench_prod_${variant === 'rest' ? '' : `${variant}_`}${RUN}`
        // A first load after another starts once Qdrant has indexed the one before, so Qdrant's CPU in its note is its own.
        const afterIndexing = async (previous: Variant) => {
          const waited = await qdrantIndexed(qdrant!.url, collectionOf(previous))
          log(`Qdrant indexed the ${previous} first load; waited ${waited.toFixed(1)} s`)
        }
        const flags = (checkpoints: string, variant: Variant) => ({
          ...jobFlags(t('bench-prod'), 3, dir, {
            embedder: 'http',
            'embedding-url': `${embeddings!.url}/embed`,
            sink: 'qdrant',
            'qdrant-url': qdrant!.url,
            collection: collectionOf(variant),
            ...(variant === 'grpc' ? { 'qdrant-prefer-grpc': 'true', 'qdrant-grpc-port': String(qdrant!.grpcPort) } : {}),
            ...(variant === 'masked' ? { 'embedding-text': 'masked' } : {}),
          }),
          'checkpoint-dir': [join(dir, checkpoints)],
        })
        const measured = async (name: string, profileAs: string, checkpoints: string, variant: Variant = 'rest') => {
          const e0 = embeddings!.cpuSeconds()
          const q0 = qdrant!.cpuSeconds()
          const row = await runWorker({ kind: 'job', brokers, topic: t('bench-prod'), partitions: 3, expected: PROD_N, flags: flags(checkpoints, variant) }, profileAs)
          const perMsg = (s: number) => ((s / row.messages) * 1e6).toFixed(0)
          const gaps = row.commitGaps ? `; ${row.commitGaps} commit gaps over 0.5 s, longest ${row.maxCommitGapMs!.toFixed(0)} ms` : `; longest commit gap ${row.maxCommitGapMs?.toFixed(0)} ms`
          rows.push({ name, ...row, note: `embedding service ${perMsg(embeddings!.cpuSeconds() - e0)} µs/msg, Qdrant ${perMsg(qdrant!.cpuSeconds() - q0)} µs/msg (own CPU)${gaps}` })
        }
        if (want('8') || want('9') || want('8g') || want('8m')) await measured(`8 production first load: HTTP embedder + Qdrant ${qdrant.version}`, 'prod-first-load', 'first-load')
        if (want('9')) {
          // The replay measures look-ups, not the index Qdrant builds in the background after a large load: wait for it.
          const waited = await qdrantIndexed(qdrant.url, collectionOf('rest'))
          log(`Qdrant indexed the first load ${waited.toFixed(1)} s after it ended`)
          await measured('9 production replay: everything stored in Qdrant', 'prod-replay', 'replay')
          rows.at(-1)!.note += `; started once Qdrant had indexed the load (${waited.toFixed(0)} s later)`
        }
        // The same first load with the upserts over Qdrant's gRPC API (--qdrant-prefer-grpc), into a collection of its own.
        if (want('8g')) {
          await afterIndexing('rest')
          await measured(`8g production first load, upserts over gRPC`, 'prod-first-load-grpc', 'first-load-grpc', 'grpc')
        }
        // The same first load with the service sent each line's shape (--embedding-text masked), into a collection of its own.
        if (want('8m')) {
          await afterIndexing(want('8g') ? 'grpc' : 'rest')
          await measured(`8m production first load, --embedding-text masked`, 'prod-first-load-masked', 'first-load-masked', 'masked')
        }
      } catch (err) {
        log(`rows 8 and 9 left out: ${(err as Error).message.split('\n')[0]}`)
      } finally {
        await embeddings?.stop()
        await qdrant?.stop()
      }
    }

    // Replay: another job (a fresh checkpoint) over row 2's data into row 2's store.
    if (want('5')) {
      const replay = await runWorker({ kind: 'job', brokers, topic: t('bench-3'), partitions: 3, expected: N, flags: { ...jobFlags(t('bench-3'), 3, engineDir), 'checkpoint-dir': [join(engineDir, 'replay-checkpoints')] } }, 'replay')
      rows.push({ name: '5 replay: everything already stored', ...replay })
    }

    // Latency at a fixed offered rate, with a 1 s trigger.
    if (want('6')) {
      createTopic(t('bench-latency'), 3)
      let jobReady!: () => void
      const ready = new Promise<void>((r) => (jobReady = r))
      const latencyRun = runWorker({
        kind: 'job',
        brokers,
        topic: t('bench-latency'),
        partitions: 3,
        expected: RATE * RATE_SECONDS,
        latencies: true,
        flags: jobFlags(t('bench-latency'), 3, fresh('latency'), { embedder: 'builtin', trigger: '1s', 'stop-when-idle': '3s', 'starting-offsets': 'earliest' }),
      }, undefined, () => jobReady())
      // Traffic starts when the job reads: messages sent while it still starts would count its start-up as their latency.
      await Promise.race([ready, latencyRun.then(() => Promise.reject(new Error('the latency row ended before its partitions were assigned')))])
      const producer = await connectProducer({ brokers, properties: { 'linger.ms': '5' } })
      const lines = hdfsTraffic({ count: RATE * RATE_SECONDS, duplicateShare: DUPLICATES, seed: 3 })
      const tick = 50
      const perTick = Math.round((RATE * tick) / 1000)
      const started = performance.now()
      for (let sent = 0; sent < RATE * RATE_SECONDS; ) {
        const chunk = []
        for (let i = 0; i < perTick; i++) {
          const l = lines.next()
          if (l.done) break
          const p = parseRecord({ partition: 'g', offset: sent + i, nextOffset: 0, key: null, value: Buffer.from(l.value) }, { maxMessageBytes: 1 << 20 })
          if ('entry' in p) chunk.push({ topic: t('bench-latency'), key: p.entry.block_id, value: Buffer.from(JSON.stringify(p.entry)) })
        }
        if (chunk.length === 0) break
        void producer.send(chunk)
        sent += perTick
        const due = started + (sent / RATE) * 1000
        await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())))
      }
      await producer.close()
      const latency = await latencyRun
      rows.push({ name: `6 latency at ${RATE} msg/s offered, 1 s trigger`, ...latency, note: 'built-in embedder' })
    }

    // Memory while a backlog drains.
    if (want('7')) {
      await loadTopic(t('bench-backlog'), 6, BACKLOG, 4)
      rows.push({ name: `7 memory: ${BACKLOG.toLocaleString('en-US')}-message backlog`, ...(await runWorker({ kind: 'job', brokers, topic: t('bench-backlog'), partitions: 6, expected: BACKLOG, flags: jobFlags(t('bench-backlog'), 6, fresh('backlog')) }, 'backlog')) })
    }

    // Reading text lines: format detection, and the built-in embedder's masking, per message in process (bench/formats.ts).
    for (const [row, step, name] of [['10', 'parse', '10 parse with format detection'], ['11', 'mask', '11 masking (built-in embedder)']] as const) {
      if (want(row)) rows.push({ name, ...(await runWorker({ kind: 'formats', step, rounds: quick ? 3 : 20, brokers, topic: '', partitions: 0, expected: 0 }, `formats-${step}`)), note: 'in process; 9 LogHub sets, lines mixed' })
    }

    // The score stage alone, in process (bench/scoring.ts): HDFS traffic, then every line a shape of its own.
    for (const [row, traffic, count, sink, name] of [
      ['12', 'hdfs', N, 'embedded', '12 score stage, HDFS traffic'],
      ['13', 'new', NEW_SHAPES, 'embedded', '13 score stage, every line a new shape'],
      ['12q', 'hdfs', N, 'qdrant', '12q the same against Qdrant'],
      ['13q', 'new', NEW_SHAPES, 'qdrant', '13q the same against Qdrant'],
    ] as const) {
      if (!want(row)) continue
      try {
        const r = (await runWorker({ kind: 'scoring', traffic, sink, brokers, topic: '', partitions: 0, expected: count }, `scoring-${traffic}-${sink}`)) as Row & { queried: number; cached: number; storeCpuSeconds?: number }
        const qdrantCpu = r.storeCpuSeconds === undefined ? '' : `; Qdrant's own CPU ${((r.storeCpuSeconds / r.messages) * 1e6).toFixed(0)} µs/line`
        rows.push({ ...r, name, note: `in process, ${sink === 'qdrant' ? 'a real Qdrant node' : 'embedded store'}; ${r.queried} shapes asked of the store, ${r.cached} answered by the cache${qdrantCpu}` })
      } catch (err) {
        log(`row ${row} left out: ${(err as Error).message.split('\n')[0]}`)
      }
    }

    // Scaling: batch size, partitions, instances (engine configuration).
    if (want('scaling')) {
      for (const size of [100, 1000, 5000]) {
        scaling.push({ name: `batch ${size}`, ...(await runWorker({ kind: 'job', brokers, topic: t('bench-3'), partitions: 3, expected: N, flags: jobFlags(t('bench-3'), 3, fresh(`batch-${size}`), { 'batch-size': String(size), 'max-in-flight': String(Math.max(5000, size * 3)) }) })) })
      }
      await loadTopic(t('bench-1'), 1, N, 5)
      await loadTopic(t('bench-6'), 6, N, 6)
      for (const [topic, p] of [[t('bench-1'), 1], [t('bench-3'), 3], [t('bench-6'), 6]] as Array<[string, number]>) {
        scaling.push({ name: `${p} partition${p > 1 ? 's' : ''}`, ...(await runWorker({ kind: 'job', brokers, topic, partitions: p, expected: N, flags: jobFlags(topic, p, fresh(`parts-${p}`)) })) })
      }
      const one = await runWorker({ kind: 'job', brokers, topic: t('bench-6'), partitions: 6, expected: N, flags: jobFlags(t('bench-6'), 6, fresh('one-instance')) })
      scaling.push({ name: '1 instance, partitions 0-5', ...one })
      const twoDir = fresh('two-instances')
      const [a, b] = await Promise.all(
        [0, 3].map((from) =>
          runWorker({ kind: 'job', brokers, topic: t('bench-6'), partitions: 6, expected: N, flags: { ...jobFlags(t('bench-6'), 6, twoDir), partitions: [`${t('bench-6')}:${from}-${from + 2}`], 'checkpoint-dir': [join(twoDir, `cp-${from}`)], 'data-dir': [join(twoDir, `data-${from}`)] } }),
        ),
      )
      scaling.push({ name: '2 instances, partitions 0-2 and 3-5', messages: a!.messages + b!.messages, seconds: Math.max(a!.seconds, b!.seconds), cpuSeconds: a!.cpuSeconds + b!.cpuSeconds, peakRssMb: Math.max(a!.peakRssMb, b!.peakRssMb), note: 'own stores; 2 cores shared' })
    }

    const report = [
      `logstream benchmark — ${new Date().toISOString()} — ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}`,
      `${N.toLocaleString('en-US')} messages a row (HDFS traffic, ${(DUPLICATES * 100).toFixed(0)}% exact duplicates; rows 8 and 9 ${PROD_N.toLocaleString('en-US')}), ceiling ${Math.round(ceilingRate).toLocaleString('en-US')} msg/s`,
      '',
      table(rows, ceilingRate),
      '',
      'Scaling (engine configuration):',
      '',
      table(scaling, ceilingRate),
    ].join('\n')
    process.stdout.write(`${report}\n`)
    mkdirSync(join(ROOT, 'bench-results'), { recursive: true })
    writeFileSync(join(ROOT, 'bench-results/latest.json'), JSON.stringify({ at: new Date().toISOString(), messages: N, duplicates: DUPLICATES, ceiling: ceilingRate, rows, scaling }, null, 2))
    writeFileSync(join(ROOT, 'bench-results/latest.md'), `${report}\n`)
  } finally {
    if (!process.env.BENCH_KAFKA) execFileSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'stop'], { env: kafkaEnv, stdio: 'ignore' })
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
