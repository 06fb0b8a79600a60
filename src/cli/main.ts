#!/usr/bin/env node
/**
 * `logstream COMMAND [options]`: finds the command, runs it, and turns its
 * errors into an exit code (2 for bad configuration or usage) and one clear line.
 */
import { COMMANDS } from './commands.ts'
import { ConfigError, LogstreamError, exitCodeFor } from '../../core/errors.ts'
import { maskCredentialsInText } from '../../core/secrets.ts'

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length))
  return [
    'logstream: stream log lines into a vector store, deduplicated, embedded and checkpointed',
    '',
    'Usage: logstream COMMAND [options]     (logstream COMMAND --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n')
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`)
    return name === undefined ? 2 : 0
  }
  if (name === '--version') {
    process.stdout.write('logstream 0.1.0\n')
    return 0
  }
  const entry = COMMANDS[name]
  if (!entry) {
    process.stderr.write(`logstream: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`)
    return 2
  }
  try {
    const command = await entry.load()
    return await command.run(rest)
  } catch (err) {
    const code = exitCodeFor(err)
    const e = err as Error & { code?: string }
    process.stderr.write(maskCredentialsInText(`logstream ${name}: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n${detailsLine(err)}`))
    if (code === 1 && process.env.LOGSTREAM_DEBUG) process.stderr.write(maskCredentialsInText(`${e.stack}\n`))
    return code
  }
}

/**
 * An error's structured facts as a line of their own (`  field: embedder.text, collection: logs_embeddings`), for the
 * reader and for scripts; empty when it has none. A configuration error's fields are in its message already.
 */
function detailsLine(err: unknown): string {
  if (!(err instanceof LogstreamError) || err instanceof ConfigError) return ''
  const facts = Object.entries(err.details).filter(([, v]) => v !== undefined)
  if (facts.length === 0) return ''
  return `  ${facts.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')}\n`
}
