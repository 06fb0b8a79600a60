/**
 * Log formats: which ones there are, how `--log-format` names one, and how a
 * text line is read.
 *
 * In `auto` mode (the default) every line is tried against the formats in the
 * fixed order of `FORMATS` and read by the first that matches; a line none
 * matches is stored as plain text. Each line's reading depends on that line
 * alone, never on the lines before it: a replayed batch then gives the same
 * entries, so the same point ids, whatever was read before the restart. The
 * formats are written so that a line matches at most one of them, so for a
 * source of one format this is the same as detecting the format once.
 */
import { apacheError, accessLog, nginxError } from './apache.ts'
import { bgl, thunderbird } from './bgl.ts'
import { hdfs } from './hdfs.ts'
import { log4j } from './log4j.ts'
import { logfmt } from './logfmt.ts'
import { android, healthApp, hpc, proxifier, windows } from './loghub.ts'
import { oslo } from './oslo.ts'
import { syslog } from './syslog.ts'
import { compileTemplate, isTemplate, TemplateError } from './template.ts'
import type { TimeContext } from './time.ts'
import type { LineFormat, ParsedLine } from './types.ts'

export type { LineFormat, ParsedLine } from './types.ts'
export { TemplateError } from './template.ts'

/** Every named format, in the order `auto` tries them. */
export const FORMATS: readonly LineFormat[] = [hdfs, bgl, thunderbird, oslo, log4j, nginxError, syslog, apacheError, accessLog, hpc, windows, android, healthApp, proxifier, logfmt]

/**
 * How a source's records are read:
 * - `auto`: JSON messages as JSON, text lines by the first format that matches (else plain text);
 * - `json`: every record must be a JSON message (anything else is `bad-json`);
 * - `format`: JSON messages as JSON, text lines by this format only (else plain text).
 */
export type LineFormatSpec = { readonly kind: 'auto' } | { readonly kind: 'json' } | { readonly kind: 'format'; readonly format: LineFormat }

export const AUTO: LineFormatSpec = { kind: 'auto' }

/** `--log-format` names: auto, json, a format's name or alias (case-insensitive), or a header template. */
export function formatNames(): string[] {
  return ['auto', 'json', ...FORMATS.map((f) => f.name)]
}

/**
 * The reading a `--log-format` value names. Throws `TemplateError` (code
 * `CONFIG_INVALID`) for an unknown name or a template that cannot be compiled.
 *
 * @example
 * resolveLineFormat('syslog')
 * resolveLineFormat('<Date> <Time> <Level> <Component>: <Content>')
 */
export function resolveLineFormat(spec: string): LineFormatSpec {
  const value = spec.trim()
  if (isTemplate(value)) return { kind: 'format', format: compileTemplate(value) }
  const name = value.toLowerCase()
  if (name === 'auto' || name === '') return AUTO
  if (name === 'json') return { kind: 'json' }
  const format = FORMATS.find((f) => f.name === name || f.aliases?.includes(name))
  if (!format) throw new TemplateError(`unknown log format ${JSON.stringify(spec)}: use auto, json, ${FORMATS.map((f) => f.name).join(', ')}, or a header template like '<Date> <Time> <Level> <Component>: <Content>'`)
  return { kind: 'format', format }
}

/** A text line read by the spec's format (or the first of all that matches), with the format's name; null when none reads it. */
export function readTextLine(line: string, spec: LineFormatSpec, ctx: TimeContext): { parsed: ParsedLine; format: string } | null {
  if (spec.kind === 'format') {
    const parsed = spec.format.parse(line, ctx)
    return parsed ? { parsed, format: spec.format.name } : null
  }
  for (const format of FORMATS) {
    const parsed = format.parse(line, ctx)
    if (parsed) return { parsed, format: format.name }
  }
  return null
}

/**
 * The message of a text a person typed or pasted (a search, a /similar query):
 * a whole log line reads as its message, so its header does not steer the
 * search; any other text stays as it is.
 *
 * @example
 * messageOf('Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186')  // 'Invalid user webmaster from 173.234.31.186'
 */
export function messageOf(text: string, spec: LineFormatSpec = AUTO): string {
  if (spec.kind === 'json') return text
  const read = readTextLine(text.trim(), spec, { referenceMs: () => Date.now() })
  return read ? read.parsed.text : text
}
