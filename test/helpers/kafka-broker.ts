/**
 * A real Apache Kafka broker for integration tests, from `scripts/kafka.sh`.
 * `sharedBroker()` is the suite's broker (`LOGSTREAM_TEST_KAFKA`, started by
 * `scripts/test.sh`), or one started for this test file; `ownBroker(t)` starts
 * a broker no other test uses, for outage tests that stop and restart it.
 * Both stop what they started when the test ends.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { ROOT } from './cli.ts'

const run = promisify(execFile)
const SCRIPT = join(ROOT, 'scripts/kafka.sh')

export interface Broker {
  readonly bootstrap: string
  /** Creates a topic; `config` is topic configuration such as `{ 'max.message.bytes': '209715200' }`. */
  createTopic(name: string, partitions: number, config?: Readonly<Record<string, string>>): Promise<void>
  deleteTopic(name: string): Promise<void>
  /** Changes a topic's configuration, such as `{ 'retention.ms': '1' }`. */
  alterTopic(name: string, config: Readonly<Record<string, string>>): Promise<void>
  /** A topic's own settings, as the broker reports them. */
  topicConfig(name: string): Promise<Record<string, string>>
  /** A partition's first offset (its log start). */
  logStart(topic: string, partition: number): Promise<number>
  /** Stops the broker process (its data stays). */
  stop(): Promise<void>
  /** Starts a stopped broker again on the same port with the same data. */
  restart(): Promise<void>
}

interface Teardown {
  after(fn: () => unknown): void
}

function brokerAt(bootstrap: string, env: NodeJS.ProcessEnv): Broker {
  return {
    bootstrap,
    async createTopic(name, partitions, config = {}) {
      await run('bash', [SCRIPT, 'create-topic', name, String(partitions), ...Object.entries(config).map(([k, v]) => `${k}=${v}`)], { env })
    },
    async deleteTopic(name) {
      await run('bash', [SCRIPT, 'delete-topic', name], { env })
    },
    async alterTopic(name, config) {
      await run('bash', [SCRIPT, 'alter-topic', name, Object.entries(config).map(([k, v]) => `${k}=${v}`).join(',')], { env })
    },
    async topicConfig(name) {
      const { stdout } = await run('bash', [SCRIPT, 'topic-config', name], { env })
      return Object.fromEntries(stdout.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    },
    async logStart(topic, partition) {
      const { stdout } = await run('bash', [SCRIPT, 'log-start', topic, String(partition)], { env })
      const offset = Number(stdout.trim())
      if (!Number.isInteger(offset)) throw new Error(`kafka.sh log-start printed no offset: ${stdout}`)
      return offset
    },
    async stop() {
      await run('bash', [SCRIPT, 'stop'], { env })
    },
    async restart() {
      await run('bash', [SCRIPT, 'restart'], { env })
    },
  }
}

async function startIn(runDir: string): Promise<{ broker: Broker; env: NodeJS.ProcessEnv }> {
  const env = { ...process.env, LOGSTREAM_KAFKA_RUN: runDir }
  const { stdout } = await run('bash', [SCRIPT, 'start'], { env, maxBuffer: 1 << 20 })
  const bootstrap = stdout.trim().split('\n').at(-1)!
  return { broker: brokerAt(bootstrap, env), env }
}

let shared: Promise<Broker> | null = null

/** The suite's broker; started for this process (and stopped at its exit) when the suite runner did not start one. */
export function sharedBroker(): Promise<Broker> {
  if (process.env.LOGSTREAM_TEST_KAFKA) {
    shared ??= Promise.resolve(brokerAt(process.env.LOGSTREAM_TEST_KAFKA, process.env))
    return shared
  }
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logstream-kafka-'))
    const { broker, env } = await startIn(dir)
    process.once('exit', () => {
      try {
        execFileSync('bash', [SCRIPT, 'stop'], { env })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
    return broker
  })()
  return shared
}

/** A broker of this test's own, stopped and removed when it ends. */
export async function ownBroker(t: Teardown): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'logstream-kafka-'))
  const { broker, env } = await startIn(dir)
  t.after(async () => {
    await run('bash', [SCRIPT, 'stop'], { env })
    rmSync(dir, { recursive: true, force: true })
  })
  return broker
}

/** A topic name no other test uses. */
export function topicName(prefix = 'logs'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/** Produces lines with kcat, an independent Kafka client: `key<TAB>value` lines when `keyed`. */
export function kcatProduce(bootstrap: string, topic: string, lines: readonly string[], opts: { keyed?: boolean; partition?: number; headers?: Record<string, string> } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['-P', '-b', bootstrap, '-t', topic, '-z', 'none']
    if (opts.keyed) args.push('-K', '\t')
    for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`)
    if (opts.partition !== undefined) args.push('-p', String(opts.partition))
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`kcat exited ${code}: ${stderr}`))))
    child.stdin.end(lines.join('\n') + '\n')
  })
}

/** Reads a whole topic with kcat: partition, offset, key, headers (`k=v,…`), timestamp (ms) and value of each message. */
export async function kcatConsumeAll(bootstrap: string, topic: string): Promise<Array<{ partition: number; offset: number; key: string; value: string; headers: string; timestampMs: number }>> {
  const { stdout } = await run('kcat', ['-C', '-b', bootstrap, '-t', topic, '-e', '-q', '-f', '%p\t%o\t%k\t%h\t%T\t%s\n'], { maxBuffer: 64 << 20 })
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [p, o, k, h, ts, ...v] = l.split('\t')
      return { partition: Number(p), offset: Number(o), key: k ?? '', headers: h ?? '', timestampMs: Number(ts), value: v.join('\t') }
    })
}
