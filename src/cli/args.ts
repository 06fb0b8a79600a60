/**
 * Command-line words → values by flag, and positionals, with `node:util`'s
 * `parseArgs` (strict: unknown options are errors). Booleans are normalised
 * first, so `--x`, `--x true`, `--x=false`, `--x false` and `--no-x` mean what
 * they say for every boolean, configuration field or command option alike.
 */
import { parseArgs as parseWords } from 'node:util'
import { LogstreamError } from '../../core/errors.ts'
import { booleanWord, type FieldMeta } from '../options.ts'

export interface ParsedLine {
  /** `--help` or `-h` was given. */
  readonly help: boolean
  /** Every value by flag name (without `--`), in order; a boolean's value is its word (`true`, `false`, …). */
  readonly values: ReadonlyMap<string, readonly string[]>
  readonly positionals: readonly string[]
}

/** Rewrites each boolean flag as `--name=WORD`, taking a following true/false word as its value. */
export function normaliseBooleans(argv: readonly string[], isBoolean: (flag: string) => boolean): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    if (word === '--') {
      out.push(...argv.slice(i))
      break
    }
    if (!word.startsWith('--') || word.includes('=')) {
      out.push(word)
      continue
    }
    const name = word.slice(2)
    if (name.startsWith('no-') && isBoolean(name.slice(3))) out.push(`--${name.slice(3)}=false`)
    else if (isBoolean(name)) {
      const next = argv[i + 1]
      if (next !== undefined && booleanWord(next) !== undefined) {
        out.push(`--${name}=${next}`)
        i++
      } else out.push(`--${name}=true`)
    } else out.push(word)
  }
  return out
}

/**
 * Parses `argv` against the options given by their metadata; throws `USAGE`
 * for an unknown option or a missing value.
 *
 * @example
 * parseLine(['search', '-k', '3', '--json', 'false'], [limitMeta, jsonMeta], 'search')
 */
export function parseLine(argv: readonly string[], options: readonly FieldMeta[], command: string): ParsedLine {
  const byFlag = new Map(options.map((m) => [m.flag!, m]))
  const words = normaliseBooleans(argv, (flag) => byFlag.get(flag)?.kind === 'bool')
  const spec: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } }
  for (const m of options) spec[m.flag!] = { type: 'string', multiple: true, ...(m.short ? { short: m.short } : {}) }
  let parsed: ReturnType<typeof parseWords>
  try {
    parsed = parseWords({ args: words, options: spec, strict: true, allowPositionals: true })
  } catch (err) {
    const e = err as Error & { code?: string }
    const option = /option '([^' ]+)/i.exec(e.message)?.[1]
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new LogstreamError('USAGE', `unknown option ${option} (see logstream ${command} --help)`)
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new LogstreamError('USAGE', `option ${option} needs a value (write --name=VALUE for a value that starts with a dash)`)
    throw new LogstreamError('USAGE', e.message)
  }
  const values = new Map<string, string[]>()
  for (const [flag, v] of Object.entries(parsed.values)) if (flag !== 'help') values.set(flag, v as string[])
  return { help: parsed.values.help === true, values, positionals: parsed.positionals }
}
