/**
 * Log levels, normalised to the six the message format uses: TRACE, DEBUG,
 * INFO, WARN, ERROR, FATAL. Names from log4j, java.util.logging, syslog,
 * Python, Apache, nginx, BGL and Android are folded onto them; a name none of
 * them uses is kept, upper-cased.
 */

// A Map, not an object: a level named `constructor` or `__proto__` must not find Object.prototype's members.
const NAMES: ReadonlyMap<string, string> = new Map(Object.entries({
  trace: 'TRACE', finest: 'TRACE', finer: 'TRACE', verbose: 'TRACE', v: 'TRACE',
  debug: 'DEBUG', dbug: 'DEBUG', fine: 'DEBUG', config: 'DEBUG', d: 'DEBUG',
  info: 'INFO', information: 'INFO', informational: 'INFO', notice: 'INFO', audit: 'INFO', i: 'INFO',
  warn: 'WARN', warning: 'WARN', w: 'WARN',
  error: 'ERROR', err: 'ERROR', severe: 'ERROR', failure: 'ERROR', e: 'ERROR',
  fatal: 'FATAL', critical: 'FATAL', crit: 'FATAL', alert: 'FATAL', emerg: 'FATAL', emergency: 'FATAL', panic: 'FATAL', f: 'FATAL', a: 'FATAL',
}))

/** The six levels as written: most messages carry one, and need no lower-casing to be looked up. */
const CANONICAL: ReadonlySet<string> = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'])

/**
 * A level name as the message format writes it.
 *
 * @example
 * normaliseLevel('warning')  // 'WARN'
 * normaliseLevel('notice')   // 'INFO'
 */
export function normaliseLevel(level: string): string {
  if (CANONICAL.has(level)) return level
  const name = level.trim()
  return NAMES.get(name.toLowerCase()) ?? name.toUpperCase()
}

/** Syslog severities 0–7 (RFC 5424), as journald and GELF write them. */
const SYSLOG_SEVERITIES = ['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'] as const

/** The level of a syslog severity (0 emergency … 7 debug), or null outside 0–7. */
export function levelOfSeverity(severity: number): string | null {
  return Number.isInteger(severity) && severity >= 0 && severity <= 7 ? SYSLOG_SEVERITIES[severity]! : null
}

/**
 * A numeric level: 0–7 are syslog severities, 10–60 pino's and bunyan's
 * (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal; in between rounds down).
 */
export function levelOfNumber(n: number): string | null {
  if (!Number.isFinite(n)) return null
  if (n >= 0 && n <= 7 && Number.isInteger(n)) return levelOfSeverity(n)
  if (n >= 10 && n < 20) return 'TRACE'
  if (n >= 20 && n < 30) return 'DEBUG'
  if (n >= 30 && n < 40) return 'INFO'
  if (n >= 40 && n < 50) return 'WARN'
  if (n >= 50 && n < 60) return 'ERROR'
  if (n >= 60 && n <= 100) return 'FATAL'
  return null
}

const LEVEL_WORD = /\b(FATAL|ERROR|WARN(?:ING)?|INFO|DEBUG|TRACE)\b/

/** The first upper-case level word in a text (how lines of a format without a level get one), or null. */
export function levelWordIn(text: string): string | null {
  const m = LEVEL_WORD.exec(text)
  return m ? normaliseLevel(m[1]!) : null
}
