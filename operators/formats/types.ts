/**
 * What a log format reads out of a line's header. Each format returns these
 * fields or null (the line is not in that format); `entry-of.ts` turns them into
 * the message format, the same way for every format.
 */
import type { TimeContext } from './time.ts'

export interface ParsedLine {
  /** The message: the line without its header. */
  readonly text: string
  /** ISO timestamp (see `time.ts`); absent when the line has none. */
  readonly timestamp?: string | undefined
  /** The level as written; normalised when the entry is built. */
  readonly level?: string | undefined
  readonly host?: string | undefined
  readonly component?: string | undefined
  readonly pid?: string | undefined
  /** An alert label the line carries (BGL's first field when not '-'). */
  readonly label?: string | undefined
  readonly nodeType?: string | undefined
  /** Defaults to the format's name. */
  readonly source?: string | undefined
  /** Further header fields (thread, request id, client…), kept in the payload under `fields`. */
  readonly fields?: Readonly<Record<string, string>> | undefined
}

export interface LineFormat {
  /** Name for `--log-format` and the payload's `source`: `syslog`, `log4j`, … */
  readonly name: string
  /** Other names `--log-format` accepts (LogHub set names). */
  readonly aliases?: readonly string[]
  readonly description: string
  /** One real line in the format, for the README and the tests. */
  readonly example: string
  /** The line's fields, or null when it is not in this format. Pure: the same line always gives the same fields. */
  parse(line: string, ctx: TimeContext): ParsedLine | null
}
