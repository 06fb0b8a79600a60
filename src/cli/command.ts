/**
 * A command from its spec: its own options (in the vocabulary of the
 * configuration schema, `src/options.ts`), its positional arguments, and
 * whether it reads the configuration. Parsing, validation, `--help` and the
 * typed values all come from the spec; unknown options and stray arguments
 * exit 2.
 */
import { z } from 'zod'
import { LogstreamError } from '../../core/errors.ts'
import { CONFIG_FIELDS, CONFIG_FILE_OPTION, loadConfig, type Config } from '../config.ts'
import { configHelp } from '../config-docs.ts'
import { helpLine, metaOf, type FieldMeta } from '../options.ts'
import { parseLine } from './args.ts'

/** A command's own options by name, each made with `field` or `optionalField`. */
export type OptionShape = Record<string, z.ZodType>

export interface CommandSpec<S extends OptionShape> {
  readonly name: string
  readonly summary: string
  /** Usage lines, without `logstream`. */
  readonly usage: readonly string[]
  /** What the command does, for `--help`. */
  readonly description?: string
  readonly options: S
  /** Positional arguments: what they are called in messages, and how many. */
  readonly positionals?: { readonly name: string; readonly min: number; readonly max: number }
  /** False for a command that never reads the configuration. */
  readonly config?: boolean
  run(args: CommandArgs<S>): Promise<number>
}

export interface CommandArgs<S extends OptionShape> {
  readonly options: z.output<z.ZodObject<S>>
  readonly positionals: readonly string[]
  /**
   * The configuration from defaults, file, environment and this command line;
   * `overrides` (by field key) win, for arguments that name a field's value.
   */
  config(overrides?: Readonly<Record<string, unknown>>): Config
}

/** A command line read against a command's spec. */
export interface ParsedCommandLine {
  readonly help: boolean
  /** The command's own options, typed. */
  readonly options: Record<string, unknown>
  readonly positionals: readonly string[]
  /** The configuration flags given, by flag, for `loadConfig`. */
  readonly configFlags: ReadonlyMap<string, readonly string[]>
}

/** What the CLI needs of a command. */
export interface Command {
  readonly name: string
  readonly summary: string
  /** The metadata of the command's own options, by option name. */
  readonly options: ReadonlyArray<readonly [string, FieldMeta]>
  /** Whether it takes the configuration's flags. */
  readonly takesConfig: boolean
  /** The command's `--help` text. */
  help(): string
  /** Reads a command line; throws `USAGE` for anything the spec does not allow. */
  parse(argv: readonly string[], env?: NodeJS.ProcessEnv): ParsedCommandLine
  /** Runs the command; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>
}

/** The metadata of a command's own options, by option name. */
export function optionMetas(options: OptionShape): Array<[string, FieldMeta]> {
  return Object.entries(options).map(([name, schema]) => [name, metaOf(schema)])
}

export function defineCommand<S extends OptionShape>(spec: CommandSpec<S>): Command {
  const own = optionMetas(spec.options)
  const takesConfig = spec.config !== false
  const metas = [...own.map(([, m]) => m), ...(takesConfig ? [metaOf(CONFIG_FILE_OPTION), ...CONFIG_FIELDS.map((f) => f.meta)] : [])]
  const schema = z.object(spec.options)

  const help = () =>
    [
      `Usage: ${spec.usage.map((u, i) => `${i === 0 ? '' : '       '}logstream ${u}`).join('\n')}`,
      ...(spec.description ? ['', spec.description] : []),
      ...(own.length > 0 ? ['', 'Options:', ...own.map(([, m]) => helpLine(m))] : []),
      ...(takesConfig ? ['', 'Configuration (each also from a config file --config FILE and the environment):', configHelp()] : []),
      '',
    ].join('\n')

  const parse = (argv: readonly string[], env: NodeJS.ProcessEnv = process.env) => {
    const line = parseLine(argv, metas, spec.name)
    const configFlags = new Map([...line.values].filter(([flag]) => !own.some(([, m]) => m.flag === flag)))
    if (line.help) return { help: true, options: {}, positionals: line.positionals, configFlags }
    const p = spec.positionals ?? { name: 'argument', min: 0, max: 0 }
    if (line.positionals.length < p.min) throw new LogstreamError('USAGE', `${spec.name} needs ${p.name} (see logstream ${spec.name} --help)`)
    if (line.positionals.length > p.max) throw new LogstreamError('USAGE', `unexpected argument ${JSON.stringify(line.positionals[p.max])} (see logstream ${spec.name} --help)`)
    const raw: Record<string, unknown> = {}
    for (const [name, m] of own) {
      const given = line.values.get(m.flag!)
      const fromEnv = m.env?.map((e) => env[e]).find((v) => v !== undefined && v !== '')
      if (given) raw[name] = m.kind === 'list' || m.kind === 'map' ? given : given.at(-1)
      else if (fromEnv !== undefined) raw[name] = fromEnv
    }
    const parsed = schema.safeParse(raw)
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `--${metaOf(spec.options[String(i.path[0])]!).flag}: ${i.message}`)
      throw new LogstreamError('USAGE', problems.join('; '))
    }
    return { help: false, options: parsed.data as Record<string, unknown>, positionals: line.positionals, configFlags }
  }

  return {
    name: spec.name,
    summary: spec.summary,
    options: own,
    takesConfig,
    help,
    parse,
    async run(argv) {
      const line = parse(argv)
      if (line.help) {
        process.stdout.write(help())
        return 0
      }
      return spec.run({
        options: line.options as z.output<z.ZodObject<S>>,
        positionals: line.positionals,
        config: (overrides) => loadConfig({ flags: line.configFlags, env: process.env, overrides }),
      })
    },
  }
}
