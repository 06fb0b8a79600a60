/**
 * Qdrant for tests: the real server wherever it can run, the stand-in where it cannot.
 *
 * `suiteQdrant(t)` is the suite's Qdrant: `LOGSTREAM_TEST_QDRANT` (a URL, started by
 * `scripts/test.sh`, or `stand-in`), else `QDRANT_URL` (any Qdrant), else a real server
 * started for this test file from the binary (`scripts/qdrant.sh`), else a stand-in for
 * the test. `ownQdrant(t)` is a server no other test uses, for outage tests that stop and
 * start it; `qdrantCluster(t, n)` a local cluster of real peers. All stop what they started.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './cli.ts'
import { startQdrantStandIn, type QdrantStandIn } from './qdrant-stand-in.ts'

const run = promisify(execFile)
const SCRIPT = join(ROOT, 'scripts/qdrant.sh')

interface Teardown {
  after(fn: () => unknown): void
}

export interface QdrantServer {
  readonly url: string
  /** `real` for a Qdrant process, `stand-in` for the OpenAPI-validated model of it. */
  readonly kind: 'real' | 'stand-in'
  /** For test names: `Qdrant 1.18.3 (real)` or `Qdrant (stand-in)`. */
  readonly label: string
  /** The gRPC port on the URL's host, where known (a real server this suite started, or QDRANT_GRPC_PORT); the stand-in has none. */
  readonly grpcPort?: number | undefined
  /** Exact number of points in a collection; 0 when it does not exist. */
  pointCount(collection: string): Promise<number>
  /** Requests the stand-in found to differ from Qdrant's API document (always empty for a real server). */
  readonly responseProblems: readonly string[]
}

export interface OwnQdrant extends QdrantServer {
  /** The server goes away: a real one is killed with SIGKILL (its storage stays); the stand-in drops every connection. */
  stop(): Promise<void>
  /** Back on the same URL with the same points. */
  start(): Promise<void>
}

export interface QdrantCluster {
  /** Peer URLs, the first one first. */
  readonly urls: readonly string[]
  readonly label: string
  /** SIGKILL peer `i` (0-based); its storage stays. */
  kill(i: number): Promise<void>
  /** Starts peer `i` again on its ports and storage; it rejoins the cluster. */
  restart(i: number): Promise<void>
}

let binary: boolean | undefined
/** Whether a real Qdrant can run here: the binary decompresses (`scripts/qdrant.sh fetch`) and the suite was not told to use the stand-in. */
export function realQdrantAvailable(): boolean {
  if (process.env.LOGSTREAM_TEST_QDRANT === 'stand-in') return false
  if (binary === undefined) {
    try {
      execFileSync('bash', [SCRIPT, 'fetch'], { stdio: 'ignore' })
      binary = true
    } catch {
      binary = false
    }
  }
  return binary
}

async function versionOf(url: string): Promise<string> {
  const res = await fetch(`${url}/`, { headers: apiKeyHeader() })
  return ((await res.json()) as { version: string }).version
}

const apiKeyHeader = (): Record<string, string> => (process.env.QDRANT_API_KEY ? { 'api-key': process.env.QDRANT_API_KEY } : {})

/** Counts through the REST API, so a test reads a real server and the stand-in the same way. */
async function countPoints(url: string, collection: string): Promise<number> {
  const res = await fetch(`${url}/collections/${collection}/points/count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...apiKeyHeader() },
    body: JSON.stringify({ exact: true }),
  })
  if (res.status === 404) return 0
  if (!res.ok) throw new Error(`count of ${collection} at ${url}: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { result: { count: number } }).result.count
}

function real(url: string, version: string, grpcPort: number | undefined): QdrantServer {
  return { url, kind: 'real', label: `Qdrant ${version} (real)`, grpcPort, pointCount: (c) => countPoints(url, c), responseProblems: [] }
}

/** The gRPC port of a server started in `runDir` by scripts/qdrant.sh. */
function grpcPortIn(runDir: string): number {
  return Number(readFileSync(join(runDir, 'grpc-port'), 'utf8').trim())
}

/** The gRPC port of a server given by URL: LOGSTREAM_TEST_QDRANT_GRPC_PORT (scripts/test.sh) or QDRANT_GRPC_PORT. */
function givenGrpcPort(): number | undefined {
  const port = Number(process.env.LOGSTREAM_TEST_QDRANT_GRPC_PORT || process.env.QDRANT_GRPC_PORT || NaN)
  return Number.isInteger(port) ? port : undefined
}

function standIn(q: QdrantStandIn): QdrantServer {
  return { url: q.url, kind: 'stand-in', label: 'Qdrant (stand-in)', pointCount: async (c) => q.pointCount(c), responseProblems: q.responseProblems }
}

async function startIn(runDir: string): Promise<{ url: string; env: NodeJS.ProcessEnv }> {
  const env = { ...process.env, LOGSTREAM_QDRANT_RUN: runDir }
  const { stdout } = await run('bash', [SCRIPT, 'start'], { env })
  return { url: stdout.trim().split('\n').at(-1)!, env }
}

let shared: Promise<QdrantServer> | null = null

/** The suite's real Qdrant, or null where only the stand-in can serve. */
function sharedReal(): Promise<QdrantServer> | null {
  const given = process.env.LOGSTREAM_TEST_QDRANT && process.env.LOGSTREAM_TEST_QDRANT !== 'stand-in' ? process.env.LOGSTREAM_TEST_QDRANT : process.env.QDRANT_URL
  if (given) return (shared ??= versionOf(given).then((v) => real(given, v, givenGrpcPort())))
  if (!realQdrantAvailable()) return null
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logstream-qdrant-'))
    const { url, env } = await startIn(dir)
    process.once('exit', () => {
      try {
        execFileSync('bash', [SCRIPT, 'stop'], { env })
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })
    return real(url, await versionOf(url), grpcPortIn(dir))
  })()
  return shared
}

/**
 * The suite's Qdrant for one test: the real server when there is one, else a stand-in of its own.
 * Collections a test creates on a shared server are its to delete.
 *
 * @example
 * const qdrant = await suiteQdrant(t)
 * // --sink qdrant --qdrant-url qdrant.url
 */
export async function suiteQdrant(t: Teardown): Promise<QdrantServer> {
  const server = sharedReal()
  if (server) return server
  return standIn(await startQdrantStandIn(t))
}

/** What `suiteQdrant` will serve, for test names: resolved without starting anything. */
export function suiteQdrantKind(): 'real' | 'stand-in' {
  if (process.env.LOGSTREAM_TEST_QDRANT === 'stand-in') return 'stand-in'
  return process.env.LOGSTREAM_TEST_QDRANT || process.env.QDRANT_URL || realQdrantAvailable() ? 'real' : 'stand-in'
}

/** A Qdrant of this test's own that it may stop and start: real when the binary is at hand, else the stand-in. */
export async function ownQdrant(t: Teardown): Promise<OwnQdrant> {
  if (!realQdrantAvailable()) {
    const q = await startQdrantStandIn(t)
    return { ...standIn(q), stop: async () => q.setDown(true), start: async () => q.setDown(false) }
  }
  const dir = mkdtempSync(join(tmpdir(), 'logstream-qdrant-'))
  const { url, env } = await startIn(dir)
  t.after(async () => {
    await run('bash', [SCRIPT, 'stop'], { env })
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    ...real(url, await versionOf(url), grpcPortIn(dir)),
    stop: async () => void (await run('bash', [SCRIPT, 'kill'], { env })),
    start: async () => void (await run('bash', [SCRIPT, 'restart'], { env })),
  }
}

/** A local cluster of `peers` real Qdrant peers on free ports; throws where the binary is not at hand. */
export async function qdrantCluster(t: Teardown, peers: number): Promise<QdrantCluster> {
  if (!realQdrantAvailable()) throw new Error('a Qdrant cluster needs the real binary (scripts/qdrant.sh fetch)')
  const dir = mkdtempSync(join(tmpdir(), 'logstream-qdrant-cluster-'))
  const env = { ...process.env, LOGSTREAM_QDRANT_RUN: dir }
  t.after(async () => {
    await run('bash', [SCRIPT, 'cluster-stop'], { env })
    rmSync(dir, { recursive: true, force: true })
  })
  await run('bash', [SCRIPT, 'cluster-start', String(peers)], { env })
  const urls: string[] = []
  for (let i = 1; i <= peers; i++) urls.push((await run('bash', [SCRIPT, 'peer-url', String(i)], { env })).stdout.trim())
  return {
    urls,
    label: `${peers} peers of Qdrant ${await versionOf(urls[0]!)}`,
    kill: async (i) => void (await run('bash', [SCRIPT, 'peer-kill', String(i + 1)], { env })),
    restart: async (i) => void (await run('bash', [SCRIPT, 'peer-restart', String(i + 1)], { env })),
  }
}

/** Deletes a collection on a server a test shares with others; missing is fine. */
export async function dropCollection(url: string, collection: string): Promise<void> {
  await fetch(`${url}/collections/${collection}`, { method: 'DELETE', headers: apiKeyHeader() }).catch(() => undefined)
}
