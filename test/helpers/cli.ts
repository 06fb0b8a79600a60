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
