/**
 * One benchmark row in a process of its own, so its CPU time and peak memory
 * are its own. Reads its task as JSON from argv, prints one JSON result line.
 */
import { pino } from 'pino'
import { READY_LINE } from './worker-protocol.ts'
import { connect, createConsumer } from '../operators/kafka-clients.ts'
import { loadConfig } from '../src/config.ts'
import { runJob } from '../src/main.ts'
import type { Embedder, VectorStore } from '../operators/contracts.ts'
import { createEmbedder, createVectorStore } from '../src/adapters/factory.ts'

export interface Task {
  readonly kind: 'ceiling' | 'job' | 'formats' | 'scoring'
  /** For `formats` (bench/formats.ts): the step measured, and passes over the lines. */
  readonly step?: 'parse' | 'mask'
  readonly rounds?: number
  /** For `scoring` (bench/scoring.ts): the traffic scored (lines of it in `expected`) and the store. */
  readonly traffic?: 'hdfs' | 'new'
  readonly sink?: 'embedded' | 'qdrant'
  readonly brokers: string
  readonly topic: string
  readonly partitions: number
  readonly expected: number
  /** For jobs: flags as `loadConfig` takes them. */
  readonly flags?: Record<string, string[]>
  /** Record end-to-end latencies (ms) of every message. */
  readonly latencies?: boolean
}

export interface RowResult {
  messages: number
  seconds: number
  cpuSeconds: number
  peakRssMb: number
  embedCalls?: number
  sinkWrites?: number
  stored?: number
  skipped?: number
  latencyMs?: { p50: number; p99: number; max: number; n: number }
  /** Longest time between two consecutive batch commits, ms: a stalled source shows here. */
  maxCommitGapMs?: number
  /** Commits that came more than 500 ms after the one before. */
  commitGaps?: number
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN

async function ceiling(task: Task): Promise<RowResult> {
  const c = createConsumer({ brokers: task.brokers, groupId: 'bench-ceiling' })
  await connect(c, task.brokers, 10_000)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  c.assign(Array.from({ length: task.partitions }, (_, partition) => ({ topic: task.topic, partition, offset: 0 })) as never)
  c.setDefaultConsumeTimeout(100)
  let seen = 0
  let parsed = 0
  while (seen < task.expected) {
    const messages = await new Promise<Array<{ value: Buffer | null }>>((resolve, reject) => c.consume(1000, (err, m) => (err ? reject(err) : resolve(m))))
    for (const m of messages) {
      if (m.value && JSON.parse(m.value.toString('utf8'))) parsed++
      seen++
    }
  }
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  await new Promise<void>((r) => c.disconnect(() => r()))
  return { messages: parsed, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 }
}

/**
 * BENCH_MEMORY_TRACE=1: samples the process's memory every 100 ms and prints, on stderr, the
 * sample at the peak of RSS and the peak of each part (MB), to see what a row's peak is made of.
 */
function traceMemory(): { stop(): void } {
  const mb = (n: number) => Math.round(n / 2 ** 20)
  let atPeak: NodeJS.MemoryUsage | undefined
  const peaks: Partial<Record<keyof NodeJS.MemoryUsage, number>> = {}
  let samples = 0
  const sample = () => {
    const m = process.memoryUsage()
    if (!atPeak || m.rss > atPeak.rss) atPeak = m
    for (const k of Object.keys(m) as Array<keyof NodeJS.MemoryUsage>) peaks[k] = Math.max(peaks[k] ?? 0, m[k])
    if (++samples % 50 === 0) process.stderr.write(`memory: rss ${mb(m.rss)}, heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)}, external ${mb(m.external)}\n`)
  }
  const timer = setInterval(sample, 100)
  timer.unref()
  return {
    stop() {
      clearInterval(timer)
      const show = (m: Partial<NodeJS.MemoryUsage>) => Object.entries(m).map(([k, v]) => `${k} ${mb(v)}`).join(', ')
      process.stderr.write(`memory at peak RSS (MB): ${show(atPeak ?? {})}; peaks: ${show(peaks)}\n`)
    },
  }
}

// Warnings as any row logs them; the job's "partitions assigned" only becomes READY_LINE.
function readySignallingLogger() {
  let ready = false
  return pino({
    level: 'info',
    hooks: {
      logMethod(args, method, level) {
        if (level >= 40) return method.apply(this, args)
        if (!ready && args.includes('partitions assigned')) {
          ready = true
          process.stdout.write(`${READY_LINE}\n`)
        }
      },
    },
  })
}

async function job(task: Task): Promise<RowResult> {
  const config = loadConfig({ flags: new Map(Object.entries(task.flags ?? {})) })
  const logger = task.latencies ? readySignallingLogger() : pino({ level: 'warn' })
  let embedCalls = 0
  let sinkWrites = 0
  // Counting wrappers: the replay row must show that nothing was embedded and nothing written.
  const inner = await createEmbedder(config, { logger })
  const embedder: Embedder = { name: inner.name, dim: inner.dim, vectorPerShape: inner.vectorPerShape, embed: (texts, o) => (embedCalls++, inner.embed(texts, o)), close: inner.close?.bind(inner) }
  const innerStore = await createVectorStore(config, { logger })
  const store: VectorStore = Object.assign(Object.create(innerStore) as VectorStore, {
    upsert: (points: Parameters<VectorStore['upsert']>[0]) => (sinkWrites++, innerStore.upsert(points)),
  })
  let firstRecordAt = 0
  let lastCommitAt = 0
  let maxCommitGapMs = 0
  let commitGaps = 0
  const latencies: number[] = []
  const cpu0 = process.cpuUsage()
  const memory = process.env.BENCH_MEMORY_TRACE === '1' ? traceMemory() : undefined
  const summary = await runJob(config, {
    logger,
    services: { embedder, store },
    hooks: {
      onBoundary(boundary, batch) {
        if (boundary === 'after-fetch' && firstRecordAt === 0) firstRecordAt = batch.openedAt
        if (boundary === 'after-checkpoint') {
          const now = performance.now()
          if (lastCommitAt > 0) {
            maxCommitGapMs = Math.max(maxCommitGapMs, now - lastCommitAt)
            if (now - lastCommitAt > 500) commitGaps++
          }
          lastCommitAt = now
          if (task.latencies && 'sourceTimesMs' in batch) {
            const now = Date.now()
            for (const sourceMs of batch.sourceTimesMs) if (!Number.isNaN(sourceMs)) latencies.push(now - sourceMs)
          }
        }
      },
    },
  })
  const cpu = process.cpuUsage(cpu0)
  memory?.stop()
  const sorted = latencies.sort((a, b) => a - b)
  return {
    messages: summary.received,
    seconds: (lastCommitAt - firstRecordAt) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    embedCalls,
    sinkWrites,
    stored: summary.stored,
    skipped: summary.skippedExisting + summary.duplicatesInBatch,
    maxCommitGapMs,
    commitGaps,
    latencyMs: task.latencies ? { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted.at(-1) ?? NaN, n: sorted.length } : undefined,
  }
}

const task = JSON.parse(process.argv[2]!) as Task
const result =
  task.kind === 'ceiling'
    ? await ceiling(task)
    : task.kind === 'formats'
      ? (await import('./formats.ts')).formatsRow(task.step ?? 'parse', task.rounds ?? 20)
      : task.kind === 'scoring'
        ? await (await import('./scoring.ts')).scoringRow(task.traffic ?? 'hdfs', task.expected, task.sink)
        : await job(task)
process.stdout.write(`${JSON.stringify(result)}\n`)
