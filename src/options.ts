/**
 * The vocabulary of every setting logstream takes — configuration fields and
 * command options alike: a typed schema (zod) that accepts the value as text
 * (from a flag or the environment) or as itself (from a YAML or JSON file), and
 * metadata for the command line and the docs: flag, short alias, environment
 * names, default and description. `--help`, the README table and the parsed
 * types all come from here.
 */
import { resolve } from 'node:path'
import { z } from 'zod'
import { parsePartitionSpec, type PartitionSpec } from '../operators/kafka-partitions.ts'

export type FieldKind = 'string' | 'int' | 'number' | 'bool' | 'enum' | 'list' | 'duration' | 'map' | 'url' | 'source' | 'partitions'

export interface FieldMeta {
  readonly kind: FieldKind
  readonly description: string
  /** Long flag without `--`. */
  readonly flag?: string
  /** One-letter alias without `-`. */
  readonly short?: string
  /** Environment names, the first one set wins. */
  readonly env?: readonly string[]
  /** The default as a person would write it (`15s`, `file:data/…`); absent when there is none. */
  readonly default?: unknown
  /** How the default reads when it is not a value (e.g. `5 × batch.maxSize`). */
  readonly defaultText?: string
  /** Allowed values of an enum. */
  readonly values?: readonly string[]
}

/** Every field's metadata, by schema. */
export const FIELDS = z.registry<FieldMeta>()

/** A schema with the kind the command line needs to know (booleans take no value; maps repeat). */
interface Typed<S extends z.ZodType> {
  readonly schema: S
  readonly kind: FieldKind
  readonly values?: readonly string[]
}

type Described = Omit<FieldMeta, 'kind' | 'default' | 'values'>

/** A field with a default (written as text or value; it is validated like any input). */
export function field<S extends z.ZodType>(t: Typed<S>, def: z.input<S>, meta: Described) {
  const schema = t.schema.prefault(def as never)
  FIELDS.add(schema as z.ZodType, { ...meta, kind: t.kind, default: def, ...(t.values ? { values: t.values } : {}) })
  return schema
}

/** A field that may be left unset. */
export function optionalField<S extends z.ZodType>(t: Typed<S>, meta: Described) {
  const schema = t.schema.optional()
  FIELDS.add(schema as z.ZodType, { ...meta, kind: t.kind, ...(t.values ? { values: t.values } : {}) })
  return schema
}

const got = (input: unknown) => `got ${JSON.stringify(input)}`

/** Parses `15s`, `500ms`, `2m`, `1h` or a bare number of milliseconds. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text)
  if (!m) return null
  const n = Number(m[1])
  const unit = m[2] ?? 'ms'
  return Math.round(n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!)
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0'
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

const trimmed = (v: unknown) => (typeof v === 'string' ? v.trim() : v)

/** Text; empty only when allowed; optionally a pattern with what it means. */
export function text(opts: { allowEmpty?: boolean; pattern?: RegExp; patternMessage?: string } = {}): Typed<z.ZodType<string, unknown>> {
  let s = z.string({ error: (i) => `must be a string, ${got(i.input)}` })
  if (!opts.allowEmpty) s = s.min(1, { error: 'must not be empty' })
  if (opts.pattern) {
    const p = opts.pattern
    s = s.refine((v) => (opts.allowEmpty && v === '') || p.test(v), { error: (i) => `${opts.patternMessage ?? `must match ${p}`}, ${got(i.input)}` })
  }
  return { schema: z.preprocess(trimmed, s), kind: 'string' }
}

/** A whole number from `min` to `max`. */
export function int(min = 0, max = Number.MAX_SAFE_INTEGER): Typed<z.ZodType<number, unknown>> {
  const whole = (i: { input: unknown }) => `must be a whole number, ${got(i.input)}`
  const range = (i: { input: unknown }) => `must be between ${min} and ${max}, ${got(i.input)}`
  const schema = z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v),
    z.number({ error: whole }).int({ error: whole }).min(min, { error: range }).max(max, { error: range }),
  )
  return { schema, kind: 'int' }
}

/** A number from `min` to `max`. */
export function num(min: number, max: number): Typed<z.ZodType<number, unknown>> {
  const range = (i: { input: unknown }) => `must be a number from ${min} to ${max}, ${got(i.input)}`
  const schema = z.preprocess(
    (v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
    z.number({ error: range }).min(min, { error: range }).max(max, { error: range }),
  )
  return { schema, kind: 'number' }
}

const TRUE = /^(1|true|yes|on)$/i
const FALSE = /^(0|false|no|off)$/i

/** The words a boolean takes as text: `true/false`, `yes/no`, `on/off`, `1/0`. */
export function booleanWord(text: string): boolean | undefined {
  return TRUE.test(text) ? true : FALSE.test(text) ? false : undefined
}

export function bool(): Typed<z.ZodType<boolean, unknown>> {
  const schema = z.preprocess(
    (v) => (typeof v === 'string' ? (booleanWord(v.trim()) ?? v) : v),
    z.boolean({ error: (i) => `must be true or false, ${got(i.input)}` }),
  )
  return { schema, kind: 'bool' }
}

export function oneOf<const V extends readonly [string, ...string[]]>(...values: V): Typed<z.ZodType<V[number], unknown>> {
  const schema = z.preprocess(trimmed, z.enum(values, { error: (i) => `must be one of ${values.join(', ')}, ${got(i.input)}` }))
  return { schema, kind: 'enum', values }
}

/** A non-empty list: comma-separated as text. */
export function list(): Typed<z.ZodType<string[], unknown>> {
  const schema = z.preprocess(
    (v) => {
      const items = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : v
      return Array.isArray(items) ? items.map((s) => s.trim()).filter((s) => s !== '') : items
    },
    z.array(z.string()).min(1, { error: 'must be a non-empty comma-separated list' }),
  )
  return { schema, kind: 'list' }
}

/** A duration in milliseconds: `15s`, `500ms`, `2m`, or a number of milliseconds; 0 always allowed. */
export function duration(min = 0): Typed<z.ZodType<number, unknown>> {
  const bad = (i: { input: unknown }) => `must be a duration like 15s, 500ms or 2m, ${got(i.input)}`
  const schema = z.preprocess(
    (v) => (typeof v === 'string' ? (parseDuration(v) ?? v) : v),
    z
      .number({ error: bad })
      .min(0, { error: bad })
      .refine((ms) => ms === 0 || ms >= min, { error: (i) => `must be at least ${min} ms, ${got(i.input)}` }),
  )
  return { schema, kind: 'duration' }
}

/** `key=value` pairs: an object in a file, comma-separated as text, or one pair a flag (the flag repeats). */
export function map(): Typed<z.ZodType<Record<string, string>, unknown>> {
  const schema = z.unknown().transform((v, ctx) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([a, b]) => [a, String(b)]))
    const pairs = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : null
    if (!pairs) {
      ctx.addIssue({ code: 'custom', message: 'must be key=value pairs' })
      return z.NEVER
    }
    const out: Record<string, string> = {}
    for (const pair of pairs.map((p) => p.trim()).filter(Boolean)) {
      const eq = pair.indexOf('=')
      if (eq <= 0) {
        // The value may be a secret: show the key only.
        ctx.addIssue({ code: 'custom', message: `must be key=value pairs, got ${JSON.stringify(pair.replace(/=.*/, '=…'))}` })
        return z.NEVER
      }
      out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim()
    }
    return out
  })
  return { schema, kind: 'map' }
}

/** A URL (or empty, when allowed). */
export function url(opts: { allowEmpty?: boolean } = {}): Typed<z.ZodType<string, unknown>> {
  const schema = z.preprocess(
    trimmed,
    z.string({ error: (i) => `must be a URL, ${got(i.input)}` }).refine((v) => (opts.allowEmpty && v === '') || URL.canParse(v), {
      // The URL may hold credentials: say what is wrong without repeating it.
      error: (i) => (i.input === '' ? 'must not be empty' : 'must be a URL like http://host:port/path'),
    }),
  )
  return { schema, kind: 'url' }
}

/** Where records come from. */
export type SourceSpec = { readonly kind: 'kafka' } | { readonly kind: 'file'; readonly path: string }

/** `kafka` or `file:PATH` (the path resolved), or the same as an object in a file. */
export function source(): Typed<z.ZodType<SourceSpec, unknown>> {
  const schema = z.unknown().transform((v, ctx): SourceSpec => {
    const t = typeof v === 'string' ? v.trim() : v
    if (t === 'kafka' || (t && typeof t === 'object' && (t as { kind?: unknown }).kind === 'kafka')) return { kind: 'kafka' }
    const path = typeof t === 'string' && t.startsWith('file:') ? t.slice('file:'.length) : t && typeof t === 'object' && (t as { kind?: unknown }).kind === 'file' ? (t as { path?: unknown }).path : undefined
    if (typeof path === 'string' && path.trim() !== '') return { kind: 'file', path: resolve(path.trim()) }
    ctx.addIssue({ code: 'custom', message: path !== undefined ? "'file:' needs a path, e.g. file:data/hdfs/HDFS_2k.log" : `must be 'kafka' or 'file:PATH', ${got(v)}` })
    return z.NEVER
  })
  return { schema, kind: 'source' }
}

/** `logs:0-3,other:1` → the partitions it names; empty → none. */
export function partitions(): Typed<z.ZodType<PartitionSpec[], unknown>> {
  const schema = z.unknown().transform((v, ctx): PartitionSpec[] => {
    if (Array.isArray(v) && v.every((p) => p && typeof p === 'object')) return v as PartitionSpec[]
    if (typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `must be TOPIC:N or TOPIC:FROM-TO, comma-separated, ${got(v)}` })
      return z.NEVER
    }
    try {
      return parsePartitionSpec(v)
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message })
      return z.NEVER
    }
  })
  return { schema, kind: 'partitions' }
}

/** The metadata of a schema made with `field` or `optionalField`. */
export function metaOf(schema: z.ZodType): FieldMeta {
  const meta = FIELDS.get(schema)
  if (!meta) throw new TypeError('a schema without field metadata')
  return meta
}

/** How a field's default reads in help and docs. */
export function defaultText(meta: FieldMeta): string | undefined {
  if (meta.defaultText !== undefined) return meta.defaultText
  if (!('default' in meta)) return undefined
  const d = meta.default
  if (meta.kind === 'duration' && typeof d === 'number') return formatDuration(d)
  return JSON.stringify(d)
}

/** One help entry: `--flag VALUE` (or `--[no-]flag`), the description, the default and environment names. */
export function helpLine(meta: FieldMeta, opts: { secret?: boolean } = {}): string {
  const name = meta.kind === 'bool' ? `--[no-]${meta.flag}` : `--${meta.flag} ${meta.kind === 'map' ? 'KEY=VALUE' : 'VALUE'}`
  const short = meta.short ? `-${meta.short}, ` : ''
  const def = defaultText(meta)
  const shown = def === undefined || opts.secret ? '' : ` (default ${def})`
  const env = meta.env?.length ? ` [env ${meta.env.join(', ')}]` : ''
  return `  ${short}${name}\n      ${meta.description}${shown}${env}`
}
