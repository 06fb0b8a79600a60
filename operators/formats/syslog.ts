/**
 * Syslog, both wire formats:
 * - RFC 5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD…] MSG`, zone kept;
 * - RFC 3164 (BSD): `[<PRI>]Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, as files under
 *   /var/log hold it (no PRI, no year: the year is inferred, see `time.ts`).
 * The level comes from PRI's severity where the line has one.
 */
import { levelOfSeverity } from './levels.ts'
import { parseTimestamp, type TimeContext } from './time.ts'
import type { LineFormat, ParsedLine } from './types.ts'

const RFC5424 = /^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.*)$/
const RFC3164 = /^(?:<(\d{1,3})>)?([A-Z][a-z]{2}) +(\d{1,2}) (\d\d:\d\d:\d\d)(?: (\d{4}))? +(\S+) +(.*)$/
// TAG[PID]: — one word (sysklogd's `syslogd 1.4.1` and login's `-- root` too), an optional pid, and on macOS an address in parentheses.
const TAG = /^((?:-- )?[^\s[\]:]+(?: [\d.]+)?)(?:\[(\d+)\])?(?: \(([^)]*)\))?: ?(.*)$/s
const NIL = '-'

/** Splits RFC 5424 structured data (`[id k="v"][…]` or `-`) from the message after it; `]` may be escaped inside values. */
function splitStructuredData(rest: string): { sd: string | undefined; msg: string } | null {
  if (rest === NIL || rest.startsWith(`${NIL} `)) return { sd: undefined, msg: rest.slice(2) }
  if (!rest.startsWith('[')) return null
  let i = 0
  while (rest[i] === '[') {
    let quoted = false
    for (i++; i < rest.length; i++) {
      const c = rest[i]
      if (c === '\\') i++
      else if (c === '"') quoted = !quoted
      else if (c === ']' && !quoted) break
    }
    if (i >= rest.length) return null
    i++
  }
  return { sd: rest.slice(0, i), msg: rest.slice(i).replace(/^ /, '').replace(/^\uFEFF/, '') }
}

function severityLevel(pri: string | undefined): string | undefined {
  if (pri === undefined) return undefined
  const n = Number(pri)
  return n <= 191 ? (levelOfSeverity(n % 8) ?? undefined) : undefined
}

function parse5424(line: string, ctx: TimeContext): ParsedLine | null {
  const m = RFC5424.exec(line)
  if (!m || Number(m[1]) > 191) return null
  const sd = splitStructuredData(m[7]!)
  if (!sd || sd.msg.trim() === '') return null
  const timestamp = m[2] === NIL ? undefined : (parseTimestamp(m[2]!, ctx) ?? null)
  if (timestamp === null) return null
  const fields: Record<string, string> = { facility: String(Math.floor(Number(m[1]) / 8)) }
  if (m[6] !== NIL) fields.msgid = m[6]!
  if (sd.sd) fields.structured_data = sd.sd
  return {
    text: sd.msg.trim(),
    timestamp,
    level: severityLevel(m[1]),
    host: m[3] === NIL ? undefined : m[3],
    component: m[4] === NIL ? undefined : m[4],
    pid: m[5] === NIL ? undefined : m[5],
    fields,
  }
}

function parse3164(line: string, ctx: TimeContext): ParsedLine | null {
  const m = RFC3164.exec(line)
  if (!m || (m[1] !== undefined && Number(m[1]) > 191)) return null
  const timestamp = parseTimestamp(`${m[2]} ${m[3]} ${m[4]}${m[5] ? ` ${m[5]}` : ''}`, ctx)
  if (!timestamp) return null
  const fields: Record<string, string> = m[1] === undefined ? {} : { facility: String(Math.floor(Number(m[1]) / 8)) }
  const tag = TAG.exec(m[7]!)
  const base = { timestamp, level: severityLevel(m[1]), host: m[6] }
  if (tag && tag[4]!.trim() !== '') {
    if (tag[3] !== undefined) fields.address = tag[3]
    return { ...base, text: tag[4]!.trim(), component: tag[1], pid: tag[2], fields }
  }
  // No TAG: the rest is the message.
  const text = m[7]!.trim()
  return text === '' ? null : { ...base, text, fields }
}

export const syslog: LineFormat = {
  name: 'syslog',
  aliases: ['rfc5424', 'rfc3164', 'linux', 'openssh', 'mac'],
  description: 'syslog, RFC 5424 (<PRI>1 timestamp host app procid msgid [sd] message) and RFC 3164 / BSD files (Mmm dd hh:mm:ss host tag[pid]: message)',
  example: 'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
  parse(line, ctx) {
    return line.startsWith('<') && /^<\d{1,3}>1 /.test(line) ? parse5424(line, ctx) : parse3164(line, ctx)
  },
}
