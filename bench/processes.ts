/**
 * The services beside a benchmark row, each in a process of its own whose CPU
 * time is read from /proc (utime + stime, in clock ticks of 10 ms): the
 * embedding service and a real Qdrant node.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** CPU seconds (user + system, all threads) a live process has used. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start at its closing parenthesis: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** Variables of the container image that set up the process rather than configure logstream. */
export const IMAGE_PROCESS_VARIABLES = ['MALLOC_ARENA_MAX', 'NODE_OPTIONS'] as const

/**
 * The process settings the container image gives every process it runs (its `ENV` lines for `IMAGE_PROCESS_VARIABLES`),
 * read from deploy/Dockerfile, so the rows and the services beside them run as the image runs them.
 */
export function imageProcessEnv(root: string): Record<string, string> {
  const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8')
  const env: Record<string, string> = {}
  for (const name of IMAGE_PROCESS_VARIABLES) {
    // A value with spaces is quoted: NODE_OPTIONS="--a --b".
    const m = new RegExp(`^(?:ENV)?\\s+${name}=(?:"([^"]*)"|(\\S+?))\\s*\\\\?$`, 'm').exec(dockerfile)
    const value = m?.[1] ?? m?.[2]
    if (value === undefined) throw new Error(`deploy/Dockerfile sets no ${name}`)
    env[name] = value
  }
  return env
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100

export interface ServiceProcess {
  readonly url: string
  readonly pid: number
  cpuSeconds(): number
  stop(): Promise<void>
}

/** `serve-embeddings` (bench/embedding-service.ts) in its own process; `node` args select the compiled build or tsx. */
export function startEmbeddingProcess(root: string, built: boolean): Promise<ServiceProcess> {
  const args = built ? [join(root, 'dist/bench/embedding-service.js')] : ['--import', 'tsx', join(root, 'bench/embedding-service.ts')]
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: { ...imageProcessEnv(root), ...process.env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`embedding service exited ${code}`)))
    child.stdout!.on('data', (d) => {
      out += d
      const line = out.split('\n')[0]
      if (!out.includes('\n') || !line) return
      child.removeAllListeners('exit')
      resolve({
        url: line.trim(),
        pid: child.pid!,
        cpuSeconds: () => cpuSecondsOf(child.pid!),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once('exit', () => done())
            child.kill('SIGTERM')
          }),
      })
    })
  })
}

/** A real Qdrant node from scripts/qdrant.sh with its own storage under `run`. */
export function startQdrantProcess(root: string, run: string): ServiceProcess & { readonly version: string; readonly grpcPort: number } {
  const script = join(root, 'scripts/qdrant.sh')
  const env = { ...process.env, LOGSTREAM_QDRANT_RUN: run }
  execFileSync('bash', [script, 'fetch'], { stdio: 'inherit' })
  const url = execFileSync('bash', [script, 'start'], { env, encoding: 'utf8' }).trim().split('\n').at(-1)!
  const version = execFileSync('bash', [script, 'version', url], { encoding: 'utf8' }).trim()
  const pid = Number(readFileSync(join(run, 'pid'), 'utf8').trim())
  return {
    url,
    pid,
    version,
    grpcPort: Number(readFileSync(join(run, 'grpc-port'), 'utf8').trim()),
    cpuSeconds: () => cpuSecondsOf(pid),
    stop: async () => void execFileSync('bash', [script, 'stop'], { env, stdio: 'ignore' }),
  }
}
