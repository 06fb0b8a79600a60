/**
 * LogPAI-style header templates, for formats of one's own: fields in angle
 * brackets, runs of spaces between them matching any whitespace. The text
 * between fields is taken literally (`<Date> <Time> [<Level>] <Content>`),
 * unless the template holds a backslash: then it is a regular expression,
 * exactly as LogPAI's parsers read their `log_format` setting, so LogPAI's
 * settings work as they are:
 *
 *   <Date> <Time> <Level> <Component>: <Content>
 *   \[<Time>\] \[<Level>\] <Content>
 *   <Month> <Date> <Time> <Level> <Component>(\[<PID>\])?: <Content>
 *
 * `<Content>` (the message) is required. Fields map to the payload by name,
 * case-insensitively: Date, Time, Timestamp, Datetime, Month, Day and Year make
 * the timestamp; Level or Severity the level; Component, Logger or Class the
 * component; Pid the process id; Node, Host or Hostname the host; Label the
 * label (unless '-'); any other field is kept under `fields`. A line counts as
 * matching only when its time fields read as a timestamp.
 */
import { parseTimestamp, type TimeContext } from './time.ts'
import type { LineFormat, ParsedLine } from './types.ts'

type Role = 'text' | 'time' | 'level' | 'component' | 'pid' | 'host' | 'label' | 'field'

const ROLES: Readonly<Record<string, Role>> = {
  content: 'text',
  date: 'time', time: 'time', timestamp: 'time', datetime: 'time', month: 'time', day: 'time', year: 'time',
  level: 'level', severity: 'level',
  component: 'component', logger: 'component', class: 'component',
  pid: 'pid',
  node: 'host', host: 'host', hostname: 'host',
  label: 'label',
}

export class TemplateError extends Error {
  readonly code = 'CONFIG_INVALID'
}

export interface TemplateOptions {
  readonly name?: string
  readonly description?: string
  readonly example?: string
  readonly aliases?: readonly string[]
  /** Field name → role, overriding the roles by name (LogHub's Thunderbird calls its host `User`). */
  readonly roles?: Readonly<Record<string, Role>>
  /** Field name → the pattern its value must match (default: any text, as short as possible). */
  readonly patterns?: Readonly<Record<string, string>>
}

/** Whether a `--log-format` value is a header template rather than a format's name. */
export function isTemplate(spec: string): boolean {
  return /<[^<>]+>/.test(spec)
}

/** Header fields are read from at most this many characters at the start of a line. */
const HEADER_LIMIT = 1024
/** A template whose message is not its last field reads only lines up to this long (its pattern then spans the whole line). */
const LINE_LIMIT = 4096

/**
 * What a field other than the message may hold, from the template text that
 * follows it: no whitespace before a space, no `]` before a `]`, and so on; a
 * field before a pattern construct (`(\[<PID>\])?`) anything. A field then
 * ends at the first place the template can go on, as LogPAI's lazy fields do
 * on the lines they are meant for, and a line that does not match costs a
 * pass over its header instead of a search over every way to split it.
 */
function fieldPattern(next: string, regex: boolean): string {
  const c = next[0]
  if (c === undefined) return '.*?'
  if (/\s/.test(c)) return '\\S*?'
  let literal: string | undefined = c
  if (regex) literal = c === '\\' && next[1] !== undefined && /[^\w\s]/.test(next[1]) ? next[1] : /[\\()[\]{}.*+?^$|]/.test(c) ? undefined : c
  return literal === undefined ? '.*?' : `[^${literal.replace(/[\\\]^-]/g, '\\$&')}\\n]*?`
}

/**
 * Compiles a header template into a format. Throws `TemplateError` when it
 * has no `<Content>` field or its text is not a valid regular expression.
 *
 * @example
 * compileTemplate('<Date> <Time> <Level> <Component>: <Content>').parse('2024-01-15 10:00:00 INFO app: started', ctx)
 */
export function compileTemplate(template: string, opts: TemplateOptions = {}): LineFormat {
  const parts = template.split(/(<[^<>]+>)/)
  const names = parts.filter((_, i) => i % 2 === 1).map((p) => p.slice(1, -1))
  // Own keys only: a field named <constructor> is a field, not Object.prototype's member.
  const own = <T>(o: Readonly<Record<string, T>> | undefined, k: string): T | undefined => (o && Object.hasOwn(o, k) ? o[k] : undefined)
  const roles = names.map((n) => own(opts.roles, n) ?? own(ROLES, n.toLowerCase()) ?? 'field')
  if (!roles.includes('text')) throw new TemplateError(`a header template needs a <Content> field (the message), got ${JSON.stringify(template)}`)
  const regex = template.includes('\\')
  // The message last (as in every LogPAI setting): the pattern reads the header only, and the message is the rest of the line.
  const contentLast = roles.at(-1) === 'text' && parts.at(-1)!.trim() === ''
  let source = ''
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 0) {
      source += (regex ? parts[i]! : parts[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).replace(/ +/g, '\\s+')
      continue
    }
    const field = (i - 1) / 2
    if (contentLast && field === names.length - 1) break
    const next = parts[i + 1]!
    const pattern = own(opts.patterns, names[field]!) ?? (roles[field] === 'text' ? '.*?' : fieldPattern(next, regex))
    // Named groups, so groups the template's own text opens (LogHub Linux's `(\[<PID>\])?`) do not shift the fields.
    source += `(?<f${field}>${pattern})`
  }
  let pattern: RegExp
  try {
    pattern = new RegExp(contentLast ? `^${source}` : `^${source}$`, 's')
  } catch (err) {
    throw new TemplateError(`the header template ${JSON.stringify(template)} is not a valid pattern: ${(err as Error).message}`)
  }
  const match = (line: string): { groups: Record<string, string | undefined>; rest: string } | null => {
    if (contentLast) {
      const m = pattern.exec(line.length > HEADER_LIMIT ? line.slice(0, HEADER_LIMIT) : line)
      return m ? { groups: m.groups ?? {}, rest: line.slice(m[0].length) } : null
    }
    if (line.length > LINE_LIMIT) return null
    const m = pattern.exec(line)
    return m ? { groups: m.groups ?? {}, rest: '' } : null
  }
  return {
    name: opts.name ?? 'template',
    aliases: opts.aliases,
    description: opts.description ?? `header template ${template}`,
    example: opts.example ?? '',
    parse(line: string, ctx: TimeContext): ParsedLine | null {
      const m = match(line)
      if (!m) return null
      let text = ''
      const time: string[] = []
      const out: { level?: string; component?: string; pid?: string; host?: string; label?: string } = {}
      const fields: Record<string, string> = {}
      roles.forEach((role, i) => {
        const value = (role === 'text' && contentLast ? m.rest : (m.groups[`f${i}`] ?? '')).trim()
        if (role === 'text') text = value
        else if (role === 'time') time.push(value)
        else if (role === 'field') {
          if (value !== '') fields[names[i]!.toLowerCase()] = value
        } else if (value !== '' && !(role === 'label' && value === '-')) out[role] = value
      })
      if (text === '') return null
      let timestamp: string | undefined
      if (time.length > 0) {
        // The time fields together (`Jun 14 15:16:01`), else each alone (BGL's <Time> holds the whole timestamp).
        timestamp = parseTimestamp(time.join(' '), ctx) ?? time.map((t) => parseTimestamp(t, ctx)).find((t) => t !== null) ?? undefined
        if (timestamp === undefined) return null
      }
      return { text, timestamp, ...out, fields: Object.keys(fields).length > 0 ? fields : undefined }
    },
  }
}
