/**
 * The process logger: pino JSON lines in production, short readable lines on a
 * terminal (time, level, message; the fields too for warnings and errors).
 * Every line goes through the one secrets policy (`core/secrets.ts`): values
 * under secret names and credentials in URLs never reach a line, whatever
 * object or message carries them.
 */
import { Writable } from 'node:stream'
import { pino, type Logger, type DestinationStream, type LoggerOptions as PinoOptions } from 'pino'
import { maskCredentialsInText, maskSecrets } from '../../core/secrets.ts'

export interface LoggerOptions {
  readonly level: string
  readonly format: 'auto' | 'json' | 'pretty'
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  readonly destination?: DestinationStream | undefined
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' }
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'step'])

/** One JSON log line as a terminal line. */
export function prettyLine(json: string, colour = true): string {
  let o: Record<string, unknown>
  try {
    o = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json
  }
  const level = Number(o.level)
  const time = new Date(Number(o.time)).toTimeString().slice(0, 8)
  const name = (LEVELS[level] ?? String(level)).padEnd(5)
  const tag = colour ? `\x1b[${COLOURS[level] ?? '0'}m${name}\x1b[0m` : name
  let line = `${time} ${tag} ${String(o.msg ?? '')}`
  if (level >= 40) {
    const fields = Object.entries(o).filter(([k]) => !HIDDEN.has(k))
    for (const [k, v] of fields) {
      if (k === 'err' && v && typeof v === 'object') line += `\n    ${(v as { stack?: string; message?: string }).stack ?? (v as { message?: string }).message}`
      else line += ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`
    }
  }
  return `${line}\n`
}

function prettyStream(out: NodeJS.WriteStream): Writable {
  return new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n')) if (l) out.write(prettyLine(l, out.isTTY === true))
      done()
    },
  })
}

export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.format === 'pretty' || (opts.format === 'auto' && process.stdout.isTTY === true && !opts.destination)
  const base: PinoOptions = {
    level: opts.level,
    base: { pid: process.pid },
    formatters: { log: (fields) => maskSecrets(fields) },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskCredentialsInText(a) : a)) as Parameters<typeof method>)
      },
    },
  }
  if (opts.destination) return pino(base, opts.destination)
  return pretty ? pino(base, prettyStream(process.stdout)) : pino(base)
}

/**
 * The logger of a tool whose stdout is its answer (`search`, `view`, `stats`, `collections`, `anomalies`): warnings and
 * errors only, on stderr, so a line such as the store's layout move never lands inside `--json` output.
 */
export function createToolLogger(format: LoggerOptions['format']): Logger {
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true)
  return createLogger({ level: 'warn', format: 'json', destination: pretty ? prettyStream(process.stderr) : pino.destination({ fd: 2, sync: true }) })
}
