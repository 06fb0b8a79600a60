/**
 * Timestamps as log lines write them → ISO 8601 (`2005-06-03T15:42:50.675872`):
 * always date, time and at least milliseconds; the fraction as precise as the
 * line wrote it; the zone (`Z`, `+02:00`) only where the line states one, so a
 * local time stays local. A date without a year gets the year that puts it at
 * most two days after the reference time (the record's own timestamp, else its
 * file's modification time, else the clock), so a December line read in
 * January is last year's.
 */

export interface TimeContext {
  /** Milliseconds since the epoch that dates without a year are placed before: the record's time, else its file's, else now. */
  referenceMs(): number
}

const MONTHS: Readonly<Record<string, number>> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 }
const DAY_MS = 86_400_000

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

/** `+0200`, `-07:00`, `Z`, `UTC` → `+02:00`, `-07:00`, `Z`; '' for none. */
export function zoneOf(text: string | undefined): string {
  if (!text) return ''
  if (/^(?:z|utc|gmt)$/i.test(text)) return 'Z'
  const m = /^([+-])(\d\d):?(\d\d)$/.exec(text)
  return m ? `${m[1]}${m[2]}:${m[3]}` : ''
}

/** A month name (`Jun`, `june`) → 1–12, or 0. */
export function monthOf(name: string): number {
  return MONTHS[name.slice(0, 3).toLowerCase()] ?? 0
}

/**
 * The ISO text of a local date and time, or null when a part is out of range
 * (month 13, February 30, hour 24).
 */
export function isoOf(year: number, month: number, day: number, hour: number, minute: number, second: number, fraction = '', zone = ''): string | null {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return null
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null
  const frac = fraction.length >= 3 ? fraction : fraction.padEnd(3, '0')
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}.${frac}${zone}`
}

/** The year a month and day without one belong to: the reference's, or the one before if that puts them more than two days ahead. */
export function inferYear(month: number, day: number, ctx: TimeContext): number {
  const ref = ctx.referenceMs()
  const year = new Date(ref).getUTCFullYear()
  return Date.UTC(year, month - 1, day) > ref + 2 * DAY_MS ? year - 1 : year
}

/** Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by size) → ISO in UTC. */
export function isoOfEpoch(value: number): string | null {
  if (!Number.isFinite(value) || value <= 0) return null
  const ms = value < 1e11 ? value * 1000 : value < 1e14 ? value : value < 1e17 ? value / 1000 : value / 1e6
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

const M = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*'
/** Shapes tried in order; each returns the ISO text or null. */
const SHAPES: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray, ctx: TimeContext) => string | null]> = [
  // 2015-10-18 18:01:47,978 · 2017-05-16T00:00:00.008+02:00 · 2005-06-03-15.42.50.675872 (BGL) · 2024/01/15 10:23:45 · 2005.06.03 12:01:01
  [
    /^(\d{4})[-/.](\d\d)[-/.](\d\d)(?:[T _-]|\s+)(\d\d)[:.](\d\d)[:.](\d\d)(?:[.,](\d{1,9}))?\s*(z|utc|gmt|[+-]\d\d:?\d\d)?$/i,
    (m) => isoOf(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ?? '', zoneOf(m[8])),
  ],
  // 2024-01-15 (a date alone)
  [/^(\d{4})[-/.](\d\d)[-/.](\d\d)$/, (m) => isoOf(+m[1]!, +m[2]!, +m[3]!, 0, 0, 0)],
  // 17/06/09 20:10:40 (Spark, yy/MM/dd)
  [/^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?$/, (m) => isoOf(2000 + +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, m[7] ?? '')],
  // 081109 203615 (HDFS, yyMMdd HHmmss)
  [/^(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d)$/, (m) => isoOf(2000 + +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!)],
  // Jun 14 15:16:01 · Sun Dec 04 04:47:44 2005 · Fri Sep 09 10:42:29.902022 2011 · Nov 9 12:01:01
  [
    new RegExp(`^(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\\s+)?${M}\\s+(\\d{1,2})\\s+(\\d\\d):(\\d\\d):(\\d\\d)(?:[.,](\\d{1,9}))?(?:\\s+(\\d{4}))?$`, 'i'),
    (m, ctx) => {
      const month = monthOf(m[1]!)
      const day = +m[2]!
      return isoOf(m[7] ? +m[7] : inferYear(month, day, ctx), month, day, +m[3]!, +m[4]!, +m[5]!, m[6] ?? '')
    },
  ],
  // 10/Oct/2000:13:55:36 -0700 (Apache and nginx access logs)
  [
    new RegExp(`^(\\d{1,2})/${M}/(\\d{4}):(\\d\\d):(\\d\\d):(\\d\\d)(?:\\s+([+-]\\d{4}))?$`, 'i'),
    (m) => isoOf(+m[3]!, monthOf(m[2]!), +m[1]!, +m[4]!, +m[5]!, +m[6]!, '', zoneOf(m[7])),
  ],
  // 03-17 16:13:38.811 (Android logcat, no year)
  [
    /^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?$/,
    (m, ctx) => isoOf(inferYear(+m[1]!, +m[2]!, ctx), +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ?? ''),
  ],
  // 20171223-22:15:29:606 (HealthApp)
  [/^(\d{4})(\d\d)(\d\d)-(\d{1,2}):(\d{1,2}):(\d{1,2})(?::(\d{1,3}))?$/, (m) => isoOf(+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!, (m[7] ?? '').padStart(m[7] ? 3 : 0, '0'))],
  // 10.30 16:49:06 (Proxifier, MM.dd, no year)
  [/^(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d)$/, (m, ctx) => isoOf(inferYear(+m[1]!, +m[2]!, ctx), +m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!)],
  // 1117838570 · 1117838570.123 · 1531171074631 (epoch seconds or milliseconds)
  [/^(\d{9,10}(?:\.\d+)?|\d{12,13})$/, (m) => isoOfEpoch(Number(m[1]))],
]

/**
 * A timestamp as a line wrote it → ISO text, or null when it is none of the
 * shapes logs use.
 *
 * @example
 * parseTimestamp('2015-10-18 18:01:47,978', ctx)   // '2015-10-18T18:01:47.978'
 * parseTimestamp('Sun Dec 04 04:47:44 2005', ctx)  // '2005-12-04T04:47:44.000'
 */
export function parseTimestamp(text: string, ctx: TimeContext): string | null {
  const t = text.trim()
  for (const [shape, build] of SHAPES) {
    const m = shape.exec(t)
    if (m) return build(m, ctx)
  }
  return null
}
