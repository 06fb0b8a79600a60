/**
 * Command-line words → flags and positionals. `--name value`, `--name=value`,
 * `--flag` / `--no-flag` for booleans, `-k 5` for short aliases; repeated flags
 * keep every value. Unknown flags are reported, never ignored.
 */
import { LogstreamError } from '../../core/errors.ts'
import { BOOLEAN_FLAGS, CONFIG_FLAGS } from '../config.ts'

export interface CommandFlags {
  /** Flags this command takes besides the configuration's, by name, and whether each is a boolean. */
  readonly flags?: Readonly<Record<string, 'bool' | 'value'>>
  /** Short aliases: `{ k: 'limit' }`. */
  readonly aliases?: Readonly<Record<string, string>>
}

export interface ParsedArgs {
  readonly flags: Map<string, string[]>
  readonly positionals: string[]
}

export function parseArgs(argv: readonly string[], spec: CommandFlags = {}): ParsedArgs {
  const flags = new Map<string, string[]>()
  const positionals: string[] = []
  const own = spec.flags ?? {}
  const isBool = (name: string) => own[name] === 'bool' || BOOLEAN_FLAGS.has(name) || name === 'help'
  const known = (name: string) => name in own || CONFIG_FLAGS.has(name) || name === 'help'
  const add = (name: string, value: string) => {
    const list = flags.get(name) ?? []
    list.push(value)
    flags.set(name, list)
  }
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    if (word === '--') {
      positionals.push(...argv.slice(i + 1))
      break
    }
    let name: string
    let inline: string | undefined
    if (word.startsWith('--')) {
      const eq = word.indexOf('=')
      name = eq === -1 ? word.slice(2) : word.slice(2, eq)
      inline = eq === -1 ? undefined : word.slice(eq + 1)
    } else if (/^-[A-Za-z]$/.test(word)) {
      const long = spec.aliases?.[word.slice(1)]
      if (!long) throw new LogstreamError('USAGE', `unknown option ${word}`)
      name = long
    } else {
      positionals.push(word)
      continue
    }
    if (name.startsWith('no-') && isBool(name.slice(3)) && known(name.slice(3))) {
      add(name.slice(3), 'false')
      continue
    }
    if (!known(name)) throw new LogstreamError('USAGE', `unknown option --${name} (see --help)`)
    if (isBool(name)) {
      add(name, inline ?? 'true')
      continue
    }
    const value = inline ?? argv[++i]
    if (value === undefined) throw new LogstreamError('USAGE', `option --${name} needs a value`)
    add(name, value)
  }
  return { flags, positionals }
}
