/** Runs the `logstream` CLI as a child process and reads its JSON log lines back. */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = fileURLToPath(new URL('../../bin/logstream.js', import.meta.url))
export const SAMPLE = fileURLToPath(new URL('../../data/hdfs/HDFS_2k.log', import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** stdout's JSON lines (pino), parsed. */
  readonly logs: Array<Record<string, unknown>>
}

export function runCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_FORMAT: 'json', ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.stdin.end(opts.input ?? '')
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`logstream ${args.join(' ')} timed out\n${stderr}`))
    }, opts.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, logs: parseLogLines(stdout) })
    })
  })
}

export function parseLogLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>]
      } catch {
        return []
      }
    })
}

/** The run summary a job logs when it stops. */
export function summaryOf(result: CliResult): { received: number; stored: number; skippedExisting: number; duplicatesInBatch: number; deadLettered: number; batches: number } {
  const line = result.logs.find((l) => typeof l.msg === 'string' && (l.msg as string).startsWith('Job ') && 'received' in l)
  if (!line) throw new Error(`no summary line in the output:\n${result.stdout}\n${result.stderr}`)
  return line as never
}

export interface RunningCli {
  readonly child: import('node:child_process').ChildProcess
  /** Log lines so far. */
  readonly logs: Array<Record<string, unknown>>
  /** Resolves when a log line matching `predicate` has appeared. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Resolves with the exit code and signal. */
  done: Promise<CliResult>
}

/** Starts the CLI and returns at once, for tests that stop it, kill it or watch it. */
export function startCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, LOG_FORMAT: 'json', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const logs: Array<Record<string, unknown>> = []
  const waiters: Array<{ predicate: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = []
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d
    partial += d
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of parseLogLines(lines.join('\n'))) {
      logs.push(line)
      for (const w of [...waiters]) if (w.predicate(line)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(line))
    }
  })
  child.stderr!.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, logs: parseLogLines(stdout) })))
  return {
    child,
    logs,
    done,
    waitFor(predicate, timeoutMs = 60_000) {
      const found = logs.find(predicate)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
        waiters.push({ predicate, resolve: (l) => (clearTimeout(timer), resolve(l)) })
        void done.then(() => (clearTimeout(timer), reject(new Error(`the process exited before a matching log line; stderr: ${stderr}`))))
      })
    },
  }
}

/** The address of a started job's metrics and status server, once it listens. */
export async function metricsUrl(job: RunningCli): Promise<string> {
  const line = await job.waitFor((l) => typeof l.url === 'string' && String(l.msg).startsWith('metrics and status'))
  return String(line.url)
}

/** Polls `check` until it returns true. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
